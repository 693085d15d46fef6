"""Did curation keep the right STS pairs? Gold similarity of the rows each step dropped, and of those kept.

    .venv/bin/python bench/curation_shared.py

Runs (or resumes) examples/curation/shared-data.toml over ../shared/data, then reads its output and
dropped rows. STS Benchmark pairs carry a gold score (0-5): a filter that keeps good training pairs should
drop mostly low-scored ones. Prints one row per step plus the kept set; saves
bench/results/curation-shared.json.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from statistics import mean
from typing import Any

from taskembed.curation.config import load_pipeline
from taskembed.curation.pipeline import dropped_path, run_pipeline

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = ROOT / "examples" / "curation" / "shared-data.toml"


def _scores(records: list[dict[str, Any]]) -> dict[str, Any]:
    scores = [float(r["score"]) for r in records if "score" in r]
    if not scores:
        return {"rows": len(records)}
    return {
        "rows": len(records),
        "sts_rows": len(scores),
        "mean_score": round(mean(scores), 3),
        "share_score_ge_4": round(sum(s >= 4 for s in scores) / len(scores), 3),
        "share_score_le_1": round(sum(s <= 1 for s in scores) / len(scores), 3),
    }


def main() -> None:
    """Run the pipeline if needed, then print and save the score breakdown."""
    config = load_pipeline(PIPELINE)
    run_pipeline(config, origin=str(PIPELINE.relative_to(ROOT)), progress=True)
    dropped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with dropped_path(config).open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            dropped[f"{row['step']} ({row['reason']})"].append(row["record"])
    with config.output.open(encoding="utf-8") as handle:
        kept = [json.loads(line) for line in handle]
    everything = [record for rows in dropped.values() for record in rows] + kept
    results = {"all input rows": _scores(everything), **{k: _scores(v) for k, v in dropped.items()}}
    results["kept"] = _scores(kept)
    print(f"{'rows':<42} {'count':>7} {'STS':>6} {'mean':>6} {'>=4':>6} {'<=1':>6}")
    for name, entry in results.items():
        if "sts_rows" in entry:
            print(
                f"{name:<42} {entry['rows']:>7} {entry['sts_rows']:>6} {entry['mean_score']:>6.2f} "
                f"{entry['share_score_ge_4']:>6.1%} {entry['share_score_le_1']:>6.1%}"
            )
    out = ROOT / "bench" / "results" / "curation-shared.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"saved {out}")


if __name__ == "__main__":
    main()
