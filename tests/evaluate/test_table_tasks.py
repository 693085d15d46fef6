"""Spec-driven table tasks (bitext, classification, clustering, reranking, pair classification) and
task/prompt setups in the sweep: each sweep cell equals the metric computed directly on embeddings."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("pytrec_eval")

from taskembed.cli import main
from taskembed.errors import InputError
from taskembed.evaluate.bitext import bitext_scores
from taskembed.evaluate.cache import EmbeddingCache
from taskembed.evaluate.classification import classification_scores
from taskembed.evaluate.clustering import clustering_scores
from taskembed.evaluate.data import load_beir
from taskembed.evaluate.pair_classification import pair_classification_scores
from taskembed.evaluate.report import markdown_table
from taskembed.evaluate.reranking import reranking_scores
from taskembed.evaluate.retrieval import evaluate_retrieval
from taskembed.evaluate.specs import load_spec
from taskembed.evaluate.sweep import Prompts, run_sweep
from taskembed.options import EncodeOptions

TOPICS = {
    "sport": [
        "The striker scored twice in the final.",
        "She won the marathon in record time.",
        "The team lost the match on penalties.",
        "He trains at the tennis club every morning.",
        "The coach praised the young goalkeeper.",
        "Fans cheered as the cyclist crossed the line.",
        "The basketball season starts next week.",
        "Our swimmer took gold in the relay.",
        "The referee showed a red card.",
        "They practise rugby on Saturdays.",
    ],
    "food": [
        "Simmer the tomato sauce for twenty minutes.",
        "This bakery sells the best sourdough bread.",
        "Add a pinch of salt to the boiling pasta.",
        "The chef grilled the salmon with lemon.",
        "Whisk the eggs with sugar until pale.",
        "We ordered spicy noodles and dumplings.",
        "Roast the vegetables with olive oil.",
        "The soup needs more garlic and pepper.",
        "She baked a chocolate cake for dessert.",
        "Slice the onions thinly before frying.",
    ],
}
BITEXT = [
    ("The cat sleeps on the sofa.", "Die Katze schläft auf dem Sofa."),
    ("I would like a cup of coffee.", "Ich hätte gern eine Tasse Kaffee."),
    ("The train leaves at eight.", "Der Zug fährt um acht ab."),
    ("My brother lives in Berlin.", "Mein Bruder wohnt in Berlin."),
]
PAIRS = [
    ("A man plays a guitar.", "A man is playing the guitar.", 1),
    ("A dog runs in a park.", "A cat sleeps on a sofa.", 0),
    ("The stock market fell.", "Share prices dropped sharply.", 1),
    ("Kids play football.", "The weather is cold today.", 0),
    ("He drives a red car.", "A man is driving a car.", 1),
    ("She reads a novel.", "The bridge was closed for repairs.", 0),
]
RERANK = [
    {
        "query": "How do I bake bread?",
        "positive": ["Knead the dough and bake it at 220 degrees."],
        "negative": ["The referee showed a red card.", "Trains leave every hour."],
    },
    {
        "query": "Who won the match?",
        "positive": ["The home team won 2-1.", "A late goal decided the game."],
        "negative": ["Slice the onions thinly."],
    },
]


def write_table(path: Path, header: list[str], rows: list[tuple]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t" if path.suffix == ".tsv" else ",")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_spec(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(f'name = "{name}"\n{body}', encoding="utf-8")
    return path


@pytest.fixture
def tables(tmp_path: Path) -> Path:
    labelled = [(text, topic) for topic, texts in TOPICS.items() for text in texts]
    write_table(tmp_path / "train.csv", ["sentence", "topic"], labelled[0:8] + labelled[10:18])
    write_table(tmp_path / "test.csv", ["sentence", "topic"], labelled[8:10] + labelled[18:20])
    write_spec(
        tmp_path,
        "TinyClassification",
        'type = "classification"\nformat = "table"\npath = "test.csv"\ntrain_path = "train.csv"\n'
        '[fields]\ntext = "sentence"\nlabel = "topic"\n',
    )
    write_table(tmp_path / "clusters.csv", ["text", "label"], labelled)
    write_spec(tmp_path, "TinyClustering", 'type = "clustering"\nformat = "table"\npath = "clusters.csv"\n')
    with (tmp_path / "bitext.jsonl").open("w", encoding="utf-8") as handle:
        handle.writelines(json.dumps({"sentence1": a, "sentence2": b}) + "\n" for a, b in BITEXT)
    write_spec(tmp_path, "TinyBitext", 'type = "bitext"\nformat = "table"\npath = "bitext.jsonl"\n')
    with (tmp_path / "rerank.jsonl").open("w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(record) + "\n" for record in RERANK)
    write_spec(tmp_path, "TinyReranking", 'type = "reranking"\nformat = "table"\npath = "rerank.jsonl"\n')
    write_table(tmp_path / "pairs.tsv", ["sentence1", "sentence2", "label"], PAIRS)
    write_spec(tmp_path, "TinyPairs", 'type = "pair_classification"\nformat = "table"\npath = "pairs.tsv"\n')
    return tmp_path


def full_float(bundled, tables: Path, name: str) -> dict[str, float]:
    spec = load_spec(str(tables / f"{name}.toml"), tables)
    (row,) = run_sweep(bundled, [spec], [384], ["float"], cache=EmbeddingCache(None))
    return row.scores


def test_classification_equals_the_metric_on_embeddings(bundled, tables: Path):
    train = [t for texts in TOPICS.values() for t in texts[:8]]
    test = [t for texts in TOPICS.values() for t in texts[8:]]
    labels = [topic for topic in TOPICS for _ in range(8)], [topic for topic in TOPICS for _ in range(2)]
    direct = classification_scores(bundled.encode(train), labels[0], bundled.encode(test), labels[1])
    assert full_float(bundled, tables, "TinyClassification") == pytest.approx(direct, abs=1e-6)


def test_clustering_bitext_pairs_and_reranking_equal_the_metrics(bundled, tables: Path):
    texts = [t for group in TOPICS.values() for t in group]
    labels = [topic for topic, group in TOPICS.items() for _ in group]
    assert full_float(bundled, tables, "TinyClustering") == pytest.approx(
        clustering_scores(bundled.encode(texts), labels), abs=1e-6
    )
    source, target = (bundled.encode([pair[i] for pair in BITEXT]) for i in (0, 1))
    assert full_float(bundled, tables, "TinyBitext") == pytest.approx(bitext_scores(source, target), abs=1e-6)
    first, second = (bundled.encode([pair[i] for pair in PAIRS]) for i in (0, 1))
    similarity = (first * second).sum(axis=1).astype("float64")
    direct = pair_classification_scores(similarity, [pair[2] for pair in PAIRS])
    assert full_float(bundled, tables, "TinyPairs") == pytest.approx(direct, abs=1e-5)
    queries = bundled.encode([r["query"] for r in RERANK])
    candidates = [bundled.encode(r["positive"] + r["negative"]) for r in RERANK]
    relevant = [[True] * len(r["positive"]) + [False] * len(r["negative"]) for r in RERANK]
    assert full_float(bundled, tables, "TinyReranking") == pytest.approx(
        reranking_scores(queries, candidates, relevant), abs=1e-6
    )


def test_table_tasks_sweep_over_types(bundled, tables: Path):
    specs = [load_spec(str(tables / f"{name}.toml"), tables) for name in ("TinyClustering", "TinyReranking")]
    rows = run_sweep(bundled, specs, [384, 64], ["float", "int8", "binary"], cache=EmbeddingCache(None))
    assert len(rows) == 12
    assert all(0.0 <= row.main <= 1.0 for row in rows)


def test_table_spec_errors_are_clear(tables: Path):
    write_spec(tables, "NoTrain", 'type = "classification"\nformat = "table"\npath = "test.csv"\n')
    with pytest.raises(InputError, match="needs train_path"):
        load_spec(str(tables / "NoTrain.toml"), tables)
    write_spec(
        tables,
        "BadField",
        'type = "clustering"\nformat = "table"\npath = "clusters.csv"\n[fields]\ntxt = "x"\n',
    )
    with pytest.raises(InputError, match="unknown field 'txt' for type clustering"):
        load_spec(str(tables / "BadField.toml"), tables)
    write_spec(tables, "WrongColumn", 'type = "clustering"\nformat = "table"\npath = "test.csv"\n')
    spec = load_spec(str(tables / "WrongColumn.toml"), tables)
    with pytest.raises(InputError, match=r"no field 'text' \(fields: sentence, topic\)"):
        run_sweep(None, [spec], [384], ["float"], cache=EmbeddingCache(None))  # type: ignore[arg-type]
    write_table(tables / "rerank.csv", ["query", "positive", "negative"], [("q", "a", "b")])
    write_spec(tables, "CsvRerank", 'type = "reranking"\nformat = "table"\npath = "rerank.csv"\n')
    with pytest.raises(InputError, match="must be a list of texts"):
        run_sweep(
            None,
            [load_spec(str(tables / "CsvRerank.toml"), tables)],
            [384],
            ["float"],
            cache=EmbeddingCache(None),
        )  # type: ignore[arg-type]


@pytest.fixture
def beir_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    docs = {"d1": "Guitars have six strings.", "d2": "Cats sleep a lot.", "d3": "Stocks fell on Monday."}
    queries = {"q1": "How many strings does a guitar have?", "q2": "market crash", "q3": "sleepy pets"}
    for name, items in (("corpus", docs), ("queries", queries)):
        lines = (json.dumps({"_id": k, "title": "", "text": v}) + "\n" for k, v in items.items())
        (folder / f"{name}.jsonl").write_text("".join(lines))
    (folder / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t2\nq3\td2\t1\n"
    )
    write_spec(tmp_path, "TinyBEIR", 'type = "retrieval"\nformat = "beir"\npath = "beir"\n')
    return tmp_path


def test_setups_are_a_grid_axis_and_the_query_prompt_reaches_only_queries(bundled, beir_dir: Path):
    spec = load_spec(str(beir_dir / "TinyBEIR.toml"), beir_dir)
    setups = [Prompts(), Prompts(query_prompt="query: ")]
    rows = run_sweep(bundled, [spec], [384, 64], ["float"], cache=EmbeddingCache(None), setups=setups)
    assert [(r.setup, r.dimensions) for r in rows] == [
        ("default", 384),
        ("default", 64),
        ("query_prompt=query: ", 384),
        ("query_prompt=query: ", 64),
    ]
    data = load_beir(beir_dir / "beir")
    direct = evaluate_retrieval(bundled, data, query_options=EncodeOptions(prompt="query: "))
    assert rows[2].scores == pytest.approx(direct.scores, abs=1e-6)
    assert "| TinyBEIR (ndcg_at_10) | query_prompt=query:  |" in markdown_table(rows)


def test_eval_command_sweeps_prompt_setups(beir_dir: Path, capsys):
    out = beir_dir / "report"
    args = ["eval", "--task", str(beir_dir / "TinyBEIR.toml"), "--query-prompt", "none", "query: "]
    assert main([*args, "-o", str(out), "--quiet"]) == 0
    report = json.loads((out / "results.json").read_text())
    assert [s["label"] for s in report["options"]["setups"]] == ["default", "query_prompt=query: "]
    assert {r["setup"] for r in report["results"]} == {"default", "query_prompt=query: "}
    assert main([*args, "--model-task", "retrieval.query", "-o", str(out), "--quiet"]) == 2
    assert "unknown task 'retrieval.query'" in capsys.readouterr().err
