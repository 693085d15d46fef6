"""Memory stays bounded: a 5x larger input (far larger than a chunk) barely moves the peak RSS.

Each run is a fresh interpreter. The dedup index lives in SQLite on disk behind a page cache capped by
``cache_mib`` (2 MiB here, 64 by default); the other filters hold one chunk. An in-memory index would
grow by tens of MiB between the two sizes here (so did a statement cache filled with long
``IN (?, ...)`` lists, which this test caught).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.curation.synthetic import write_pairs

PROBE = Path(__file__).with_name("memory_probe.py")


def _peak(tmp_path: Path, rows: int) -> dict[str, float]:
    source = write_pairs(tmp_path / f"pairs-{rows}.jsonl", rows, seed=rows)
    done = subprocess.run(
        [sys.executable, str(PROBE), str(source), str(tmp_path / f"out-{rows}.jsonl")],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    result["file_mib"] = source.stat().st_size / 2**20
    return result


def test_peak_rss_does_not_grow_with_the_input(tmp_path):
    small, large = _peak(tmp_path, 15_000), _peak(tmp_path, 75_000)
    assert large["file_mib"] > 15  # a chunk (1,000 rows) is about 0.2 MiB
    growth = (large["after"] - large["before"]) - (small["after"] - small["before"])
    assert growth < 8, f"peak RSS grew {growth:.1f} MiB for 60,000 more rows ({small} -> {large})"
    assert large["after"] - large["before"] < 64, (
        f"the run itself took {large['after'] - large['before']:.0f} MiB"
    )
