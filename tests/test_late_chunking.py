"""Late chunking: exact offsets for every chunker, macro windows that cover every token once, the
late-chunking paper's Berlin example with the bundled model, and every option on the late path."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import taskembed
from taskembed.encode.chunkers import pieces_of
from taskembed.encode.late_chunking import default_overlap, macro_windows, token_states
from taskembed.errors import InputError

BERLIN = [
    "Berlin is the capital and largest city of Germany, both by area and by population.",
    "Its more than 3.85 million inhabitants make it the European Union's most populous city, "
    "as measured by population within city limits.",
    "The city is also one of the states of Germany, and is the third smallest state in the country in "
    "terms of area.",
]
TRICKY = "Grüße aus Köln!  Zweiter   Satz?\n\nDritter Satz — mit 東京。最後の文です。 Ende.   "


@pytest.mark.parametrize("chunker", ["sentences:1", "sentences:2", "tokens:1", "tokens:5", "tokens:1000"])
def test_chunks_cover_the_text_exactly(bundled, chunker):
    pieces = pieces_of(TRICKY, bundled.model.tokenizer, chunker)
    assert pieces[0].start == 0 and pieces[-1].end == len(TRICKY)
    for before, after in itertools.pairwise(pieces):
        assert before.end == after.start  # no gap, no overlap
    assert "".join(TRICKY[p.start : p.end] for p in pieces) == TRICKY
    assert all(p.chunk == i for i, p in enumerate(pieces))


def test_sentence_chunks_split_where_sentences_end(bundled):
    pieces = pieces_of(TRICKY, bundled.model.tokenizer, "sentences:1")
    texts = [TRICKY[p.start : p.end] for p in pieces]
    assert texts == [
        "Grüße aus Köln!  ",
        "Zweiter   Satz?\n\n",
        "Dritter Satz — mit 東京。",
        "最後の文です。 ",
        "Ende.   ",
    ]


def test_explicit_spans_keep_the_gaps_as_context(bundled):
    pieces = pieces_of(TRICKY, bundled.model.tokenizer, spans=[[0, 15], [17, 32]])
    assert [(p.start, p.end, p.chunk) for p in pieces] == [
        (0, 15, 0),
        (15, 17, None),
        (17, 32, 1),
        (32, len(TRICKY), None),
    ]
    for bad, message in (
        ([[5, 3]], "empty or outside"),
        ([[0, 10], [5, 20]], "overlaps"),
        ([[0, 999]], "outside"),
    ):
        with pytest.raises(InputError, match=message):
            pieces_of(TRICKY, bundled.model.tokenizer, spans=bad)
    with pytest.raises(InputError, match="sentences:N or tokens:N"):
        pieces_of(TRICKY, bundled.model.tokenizer, "words:3")


def test_macro_windows_cover_every_token_once():
    windows = macro_windows(600, 256, 32)
    assert [(w.start, w.end, w.keep) for w in windows] == [(0, 256, 0), (224, 480, 32), (448, 600, 32)]
    kept = [t for w in windows for t in range(w.start + w.keep, w.end)]
    assert kept == list(range(600))
    assert macro_windows(100, 256, 32) == macro_windows(100, 256, 0)[:1]
    assert default_overlap(256) == 32
    with pytest.raises(InputError, match="window_overlap"):
        macro_windows(600, 256, 256)


def test_windows_large_enough_equal_one_pass_and_small_ones_stay_close(bundled):
    ids, _ = bundled.model.tokenizer.tokenize_joined([" ".join(BERLIN * 4)])
    with torch.inference_mode():
        whole = token_states(bundled.model, ids, -1, window=len(ids), overlap=0)
        roomy = token_states(bundled.model, ids, -1, window=len(ids) + 50, overlap=10)
        windowed = token_states(bundled.model, ids, -1, window=96, overlap=32)
    assert len(ids) > 2 * 96 and windowed.shape == whole.shape
    assert torch.equal(whole, roomy)
    cosine = torch.nn.functional.cosine_similarity(whole.mean(0), windowed.mean(0), dim=0)
    assert cosine > 0.95


def test_the_berlin_example(bundled):
    berlin = bundled.encode("Berlin")
    naive = bundled.encode(BERLIN) @ berlin
    late = bundled.encode(BERLIN, late_chunking=True) @ berlin
    # measured: naive 0.6379 0.2309 0.4174, late 0.6251 0.4817 0.6022 (docs/late_chunking.md)
    assert late[1] > naive[1] and late[2] > naive[2]  # "Its ..." and "The city ..." now know it is Berlin


def test_a_document_longer_than_the_window_loses_nothing(bundled):
    chunks = BERLIN * 6  # ~ 600 tokens, beyond the 256-token window
    result = bundled.embed(chunks, taskembed.EncodeOptions(late_chunking=True))
    vectors = result.embeddings[taskembed.EmbeddingType.FLOAT]
    assert vectors.shape == (len(chunks), 384)
    assert result.total_tokens == sum(bundled.model.tokenizer.count_tokens(chunks) - 2)
    assert not result.truncated


def test_every_option_works_on_the_late_path(bundled):
    outputs = bundled.encode(
        BERLIN,
        late_chunking=True,
        dimensions=64,
        embedding_type=["float", "int8", "ubinary"],
        prompt="query: ",
    )
    assert outputs["float"].shape == (3, 64) and outputs["ubinary"].shape == (3, 8)
    np.testing.assert_allclose(np.linalg.norm(outputs["float"], axis=1), 1, atol=1e-5)
    raw = bundled.encode(BERLIN, late_chunking=True, normalized=False)
    assert not np.allclose(np.linalg.norm(raw, axis=1), 1)


def test_encode_chunks_returns_offsets_and_vectors(bundled):
    document = " ".join(BERLIN)
    chunks = bundled.encode_chunks(document, chunker="sentences:1", dimensions=128)
    assert [c.text for c in chunks] == [document[c.start : c.end] for c in chunks]
    assert [c.text.strip() for c in chunks] == BERLIN
    late = bundled.encode([document[c.start : c.end] for c in chunks], late_chunking=True, dimensions=128)
    np.testing.assert_allclose(np.stack([c.embedding for c in chunks]), late, atol=1e-6)
    naive = bundled.encode_chunks(document, chunker="sentences:1", late_chunking=False)
    np.testing.assert_allclose(naive[1].embedding, bundled.encode(chunks[1].text), atol=1e-6)


def test_the_cli_writes_chunks_with_offsets(bundled, tmp_path, capsys):
    import json

    from taskembed.cli import main

    documents = [{"id": "berlin", "text": " ".join(BERLIN)}, {"id": "tricky", "text": TRICKY}]
    source = tmp_path / "docs.jsonl"
    source.write_text("".join(json.dumps(d) + "\n" for d in documents), encoding="utf-8")
    output = tmp_path / "chunks.jsonl"
    args = ["encode", str(source), "-o", str(output), "--id-field", "id", "--chunker", "sentences:1"]
    assert main([*args, "--late-chunking", "--quiet"]) == 0
    assert "the chunks of 2 documents" in capsys.readouterr().out
    rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    texts = {d["id"]: d["text"] for d in documents}
    assert [r["id"] for r in rows].count("berlin") == 3
    assert all(texts[r["id"]][r["start"] : r["end"]] == r["text"] for r in rows)
    expected = bundled.encode_chunks(texts["berlin"], chunker="sentences:1")
    np.testing.assert_allclose([r["embedding"] for r in rows[:3]], [c.embedding for c in expected], atol=1e-6)
    assert (
        main(["encode", str(source), "-o", str(tmp_path / "x.npy"), "--chunker", "tokens:8", "--quiet"]) == 2
    )
    assert "write .jsonl or .parquet" in capsys.readouterr().err
