"""Experiments 4 and 5 of docs/training.md: a text-matching adapter, with and without Matryoshka.

The adapter is trained with CoSENT on STS-B train scores, on the bundled all-MiniLM-L6-v2.

    .venv/bin/python bench/adapter_text_matching.py [--plot docs/images/adapter-matryoshka.png]

Scores STSBenchmark and STSBenchmarkMultilingualSTS (de/es/fr/zh) test before and after, at every
Matryoshka width, and reports the 64-dim score as a share of the full-width score.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from adapter_common import ROOT, save, scores, train_variant, variant_config
from taskembed.evaluate.sweep import Prompts

CONFIG = ROOT / "examples" / "adapters" / "stsb-text-matching.toml"
TASKS = ["STSBenchmark", "STSB-de", "STSB-es", "STSB-fr", "STSB-zh"]
DIMS = [32, 64, 128, 256, 384]
VARIANTS = {
    "cosent": {},
    "cosent-matryoshka": {"distill": {"dimensions": DIMS}},
}


def _table(results: dict[str, dict[str, float]]) -> str:
    lines = [
        "| model | " + " | ".join(t.replace("STSB-", "") for t in TASKS) + " | en @64 | en @64 / @384 |",
        "|---" * (len(TASKS) + 3) + "|",
    ]
    for name, row in results.items():
        full = [row[f"{task}@384/float"] for task in TASKS]
        small = row["STSBenchmark@64/float"]
        lines.append(
            f"| {name} | "
            + " | ".join(f"{v:.2f}" for v in full)
            + f" | {small:.2f} | {100 * small / full[0]:.1f} % |"
        )
    return "\n".join(lines)


def _plot(results: dict[str, dict[str, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    for name, row in results.items():
        axis.plot(DIMS, [row[f"STSBenchmark@{d}/float"] for d in DIMS], marker="o", label=name)
    axis.set_xscale("log", base=2)
    axis.set_xticks(DIMS, [str(d) for d in DIMS])
    axis.set_xlabel("embedding dimensions (prefix)")
    axis.set_ylabel("STSBenchmark test, Spearman x 100")
    axis.set_title("text-matching adapter on all-MiniLM-L6-v2")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)


def main() -> None:
    """Train both variants, score base and adapters, print a table, save JSON (and a plot)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--plot", type=Path, default=None, help="write the Matryoshka curve as a PNG")
    args = parser.parse_args()
    results = {"base (no adapter)": scores("default", TASKS, Prompts(), DIMS)}
    minutes = {}
    for name, overrides in VARIANTS.items():
        folder, minutes[name] = train_variant(variant_config(CONFIG, name, overrides))
        results[name] = scores(folder, TASKS, Prompts(task="text-matching"), DIMS)
        print(name, results[name], flush=True)
    print(_table(results))
    print("training minutes:", {k: round(v, 1) for k, v in minutes.items()})
    print("saved", save("adapter_text_matching", {"scores": results, "minutes": minutes}))
    if args.plot:
        _plot(results, args.plot)


if __name__ == "__main__":
    main()
