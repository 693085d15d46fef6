"""Task specs, the embedding cache, the robustness sweep, reports and `taskembed eval`, on small data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("pytrec_eval")

from taskembed.cli import main
from taskembed.errors import InputError
from taskembed.evaluate.cache import EmbeddingCache, raw_options
from taskembed.evaluate.data import load_sts_csv
from taskembed.evaluate.specs import builtin_names, load_spec
from taskembed.evaluate.sts import evaluate_sts
from taskembed.evaluate.sweep import run_sweep
from taskembed.evaluate.variants import Variant, encode, paired_similarity, similarity_matrix

PAIRS = [
    ("A man plays a guitar.", "A man is playing the guitar.", 4.8),
    ("A dog runs in a park.", "A cat sleeps on a sofa.", 0.6),
    ("The stock market fell.", "Share prices dropped sharply.", 4.0),
    ("A woman slices an onion.", "A person is cutting a vegetable.", 3.4),
    ("Kids play football.", "The weather is cold today.", 0.2),
    ("He drives a red car.", "A man is driving a car.", 3.0),
]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "sts.csv").write_text("".join(f'"{a}","{b}",{s}\n' for a, b, s in PAIRS), encoding="utf-8")
    (tmp_path / "sts.toml").write_text(
        'name = "TinySTS"\ntype = "sts"\nformat = "sts-csv"\npath = "sts.csv"\nlanguages = ["en"]\n'
    )
    beir = tmp_path / "beir"
    (beir / "qrels").mkdir(parents=True)
    docs = {"d1": "Guitars have six strings.", "d2": "Cats sleep a lot.", "d3": "Stocks fell on Monday."}
    (beir / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": k, "title": "", "text": v}) + "\n" for k, v in docs.items())
    )
    (beir / "queries.jsonl").write_text(
        json.dumps({"_id": "q1", "text": "How many strings does a guitar have?"})
        + "\n"
        + json.dumps({"_id": "q2", "text": "market crash"})
        + "\n"
    )
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t2\n")
    (tmp_path / "beir.toml").write_text(
        'name = "TinyBEIR"\ntype = "retrieval"\nformat = "beir"\npath = "beir"\n'
    )
    triples = [{"anchor": "You're not fat.", "entailment": "You're thin.", "negative": "You're fat."}] * 3
    (tmp_path / "neg.jsonl").write_text("".join(json.dumps(t) + "\n" for t in triples))
    (tmp_path / "neg.toml").write_text(
        'name = "TinyNeg"\ntype = "negation"\nformat = "triples-jsonl"\npath = "neg.jsonl"\n'
    )
    return tmp_path


def test_ready_specs_cover_the_shared_data():
    assert {"STSBenchmark", "STSB-de", "STSB-zh", "SciFact", "SemAntoNeg", "CondaQA-negation"} <= set(
        builtin_names()
    )


def test_bad_specs_are_clear_errors(data_dir: Path):
    (data_dir / "bad.toml").write_text('name = "X"\ntype = "sts"\nformat = "beir"\npath = "sts.csv"\n')
    with pytest.raises(InputError, match="format 'beir' is not supported"):
        load_spec(str(data_dir / "bad.toml"), data_dir)
    with pytest.raises(InputError, match="no task 'Nope'"):
        load_spec("Nope", data_dir)
    with pytest.raises(InputError, match="data not found"):
        load_spec("STSBenchmark", data_dir)  # the ready spec's data is not under this folder


def test_sweep_full_float_equals_the_plain_evaluator(bundled, data_dir: Path):
    spec = load_spec(str(data_dir / "sts.toml"), data_dir)
    rows = run_sweep(bundled, [spec], [384, 64], ["float", "int8", "binary"], cache=EmbeddingCache(None))
    assert [(r.dimensions, r.kind) for r in rows] == [
        (384, "float"),
        (384, "int8"),
        (384, "binary"),
        (64, "float"),
        (64, "int8"),
        (64, "binary"),
    ]
    plain = evaluate_sts(bundled, load_sts_csv(data_dir / "sts.csv"))
    assert rows[0].main == pytest.approx(plain.main, abs=1e-6)


def test_retrieval_and_negation_in_the_sweep(bundled, data_dir: Path):
    specs = [load_spec(str(data_dir / name), data_dir) for name in ("beir.toml", "neg.toml")]
    rows = run_sweep(bundled, specs, [384], ["float", "binary_rescore"], cache=EmbeddingCache(None))
    retrieval = {r.kind: r for r in rows if r.task == "TinyBEIR"}
    assert retrieval["float"].main == pytest.approx(1.0)  # each query finds its document first
    assert retrieval["binary_rescore"].main == pytest.approx(1.0)
    negation = [r for r in rows if r.task == "TinyNeg"]
    assert {r.main_score for r in negation} == {"hard_negation"}


def test_the_cache_encodes_each_text_list_once(bundled, data_dir: Path, monkeypatch):
    calls = []
    original = bundled.embed

    def counting(texts, options, **kwargs):
        calls.append(len(list(texts)))
        return original(texts, options, **kwargs)

    monkeypatch.setattr(bundled, "embed", counting)
    spec = load_spec(str(data_dir / "sts.toml"), data_dir)
    for _ in range(2):
        run_sweep(bundled, [spec], [384, 32], ["float"], cache=EmbeddingCache(data_dir / "cache"))
    assert calls == [len(PAIRS), len(PAIRS)]  # two sides, first run only
    assert len(list((data_dir / "cache").glob("*.npy"))) == 2
    key = EmbeddingCache.key(bundled, ["a"], raw_options())
    assert key != EmbeddingCache.key(bundled, ["a"], raw_options(prompt="query: "))


def test_binary_similarity_is_the_share_of_equal_bits():
    raw = np.array([[1.0, -1.0, 1.0, 1.0], [1.0, 1.0, -1.0, 1.0]])
    variant = Variant(4, "binary")
    codes = encode(raw, variant, None)
    assert paired_similarity(codes[:1], codes[1:], variant).tolist() == [0.5]
    assert similarity_matrix(codes, codes, variant).tolist() == [[1.0, 0.5], [0.5, 1.0]]


def test_eval_command_writes_json_markdown_and_png(data_dir: Path, capsys):
    out = data_dir / "report"
    args = [
        "eval",
        "--task",
        str(data_dir / "sts.toml"),
        str(data_dir / "neg.toml"),
        "--dimensions",
        "384,64",
        "--embedding-type",
        "float,int8",
        "-o",
        str(out),
        "--quiet",
    ]
    assert main(args) == 0
    assert "| TinySTS (cosine_spearman) |" in capsys.readouterr().out
    report = json.loads((out / "results.json").read_text())
    assert report["model"]["name"] == "all-MiniLM-L6-v2"
    assert len(report["results"]) == 8
    assert set(report["data"]) == {"TinySTS", "TinyNeg"}
    assert len(report["data"]["TinySTS"]["sha256"]) == 64
    assert "torch" in report["versions"]
    assert (out / "results.md").read_text().startswith("# all-MiniLM-L6-v2")
    assert (out / "TinySTS.png").read_bytes()[:4] == b"\x89PNG"


def test_eval_command_bad_task_is_one_line(capsys):
    assert main(["eval", "--task", "Nope", "-o", "/tmp/unused-report"]) == 2
    assert capsys.readouterr().err.startswith("taskembed: error: no task 'Nope'")
