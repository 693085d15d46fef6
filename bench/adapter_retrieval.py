"""Experiment 3 of docs/training.md: the retrieval adapter ablation on SciFact (like v5's Table 5).

    .venv/bin/python bench/adapter_retrieval.py [--plot docs/images/adapter-retrieval.png]

Writes SciFact train (claim, abstract) pairs, mines hard negatives for them with the stage-1 student
(`taskembed mine`'s code), trains three adapters on that student (distillation only / InfoNCE +
distillation / InfoNCE + distillation + GOR) and scores SciFact test nDCG@10 with float and binary
embeddings, before and after.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from adapter_common import ROOT, save, scores, train_variant, variant_config
from corpus import DATA
from taskembed import load
from taskembed.evaluate.data import load_beir
from taskembed.evaluate.sweep import Prompts
from taskembed.mining import MiningOptions, mine, source

CONFIG = ROOT / "examples" / "adapters" / "scifact-retrieval.toml"
VARIANTS = {
    "distill": {"weights": {"infonce": 0.0, "gor": 0.0}},
    "infonce+distill": {"weights": {"gor": 0.0}},
    "infonce+distill+gor": {},
}


def write_pairs(path: Path) -> None:
    """SciFact train qrels as (claim, title + abstract) rows, joined as the evaluator reads BEIR."""
    data = load_beir(DATA / "scifact", "train")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for query_id, judged in data.qrels.items():
            for document_id, score in judged.items():
                if score > 0:
                    record = {"query": data.queries[query_id], "positive": data.corpus[document_id]}
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")


def main() -> None:
    """Data, mining, three trainings, scores; print a Markdown table and save JSON (and a plot)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--plot", type=Path, default=None)
    args = parser.parse_args()
    mined = ROOT / "runs" / "data" / "scifact-train.negatives.jsonl"  # the config's data file
    student = str(ROOT / "runs" / "minilm-3-layers" / "model")  # the config's student (stage 1's output)
    if not mined.is_file():
        pairs = mined.with_name("scifact-train.jsonl")
        write_pairs(pairs)
        corpus = source(DATA / "scifact" / "corpus.jsonl", [["title", "text"]])
        options = MiningOptions(negatives=7, margin=0.05)
        mine(load(student), source(pairs, ["query", "positive"]), options, mined, corpus)
    tasks, dims, kinds = ["SciFact"], [384], ["float", "binary"]
    results = {"student (stage 1, no adapter)": scores(student, tasks, Prompts(), dims, kinds)}
    minutes = {}
    for name, adapter in VARIANTS.items():
        folder, minutes[name] = train_variant(variant_config(CONFIG, name, {"adapter": adapter}))
        setup = Prompts(task="retrieval.passage", query_task="retrieval.query")
        results[name] = scores(folder, tasks, setup, dims, kinds)
        print(name, results[name], flush=True)
    print("| model | SciFact float | SciFact binary | binary / float |\n|---|---|---|---|")
    for name, row in results.items():
        f, b = row["SciFact@384/float"], row["SciFact@384/binary"]
        print(f"| {name} | {f:.2f} | {b:.2f} | {100 * b / f:.1f} % |")
    print("training minutes:", {k: round(v, 1) for k, v in minutes.items()})
    print("saved", save("adapter_retrieval", {"scores": results, "minutes": minutes}))
    if args.plot:
        _plot(results, args.plot)


def _plot(results: dict[str, dict[str, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results)
    figure, axis = plt.subplots(figsize=(7, 4))
    width = 0.38
    for offset, kind in ((-width / 2, "float"), (width / 2, "binary")):
        values = [results[n][f"SciFact@384/{kind}"] for n in names]
        axis.bar([i + offset for i in range(len(names))], values, width, label=kind)
    axis.set_xticks(range(len(names)), [n.replace(" (", "\n(") for n in names], fontsize=8)
    axis.set_ylabel("SciFact test nDCG@10 x 100")
    axis.set_title("retrieval adapter ablation (3-layer student)")
    axis.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
