"""Reports of a sweep: JSON (every number and where it came from), a Markdown table, PNG plots."""

from __future__ import annotations

import importlib.metadata
import json
import platform
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from taskembed.evaluate.specs import TaskSpec
from taskembed.evaluate.sweep import SweepRow
from taskembed.models.info import ModelInfo

PACKAGES = (
    "taskembed",
    "torch",
    "transformers",
    "tokenizers",
    "numpy",
    "scipy",
    "scikit-learn",
    "pytrec-eval-terrier",
)


def _versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return {"python": platform.python_version(), **found}


def markdown_table(rows: Sequence[SweepRow]) -> str:
    """Tasks (x setups, when there are several) as rows, variants as columns, main scores x 100."""
    variants = list(dict.fromkeys((r.dimensions, r.kind) for r in rows))
    lines_of = list(dict.fromkeys((r.task, r.setup) for r in rows))
    several_setups = len({setup for _, setup in lines_of}) > 1
    cell = {(r.task, r.setup, r.dimensions, r.kind): r for r in rows}
    first = "task (metric) | setup" if several_setups else "task (metric)"
    header = f"| {first} | " + " | ".join(f"{d} {k}" for d, k in variants) + " |"
    lines = [header, "|" + "---|" * (len(variants) + 1 + several_setups)]
    for task, setup in lines_of:
        metric = next(r.main_score for r in rows if r.task == task)
        values = " | ".join(
            f"{cell[(task, setup, d, k)].main * 100:.2f}" if (task, setup, d, k) in cell else "-"
            for d, k in variants
        )
        label = f"{task} ({metric}) | {setup}" if several_setups else f"{task} ({metric})"
        lines.append(f"| {label} | {values} |")
    return "\n".join(lines) + "\n"


def plot(rows: Sequence[SweepRow], task: str, path: Path) -> None:
    """Main score against dimensions, one line per output type."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4))
    mine = [r for r in rows if r.task == task]
    several_setups = len({r.setup for r in mine}) > 1
    for setup, kind in dict.fromkeys((r.setup, r.kind) for r in mine):
        points = sorted((r.dimensions, r.main * 100) for r in mine if (r.setup, r.kind) == (setup, kind))
        label = f"{setup} · {kind}" if several_setups else kind
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
    axes.set_xscale("log", base=2)
    axes.set_xlabel("dimensions")
    axes.set_ylabel(f"{mine[0].main_score} x 100")
    axes.set_title(task)
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_report(
    rows: Sequence[SweepRow],
    specs: Sequence[TaskSpec],
    info: ModelInfo,
    options: dict[str, Any],
    folder: Path,
) -> list[Path]:
    """Write results.json, results.md and one PNG per task with several dimensions; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    payload = {
        "model": info.as_dict(),
        "options": options,
        "data": {s.name: {"path": str(s.path), "sha256": s.data_hash(), "split": s.split} for s in specs},
        "versions": _versions(),
        "results": [asdict(r) for r in rows],
    }
    written = [folder / "results.json", folder / "results.md"]
    written[0].write_text(json.dumps(payload, indent=2), encoding="utf-8")
    written[1].write_text(f"# {info.name}\n\n" + markdown_table(rows), encoding="utf-8")
    for task in dict.fromkeys(r.task for r in rows):
        if len({r.dimensions for r in rows if r.task == task}) > 1:
            path = folder / f"{task}.png"
            plot(rows, task, path)
            written.append(path)
    return written
