"""Run a curation pipeline in this process and print its peak RSS (MiB) before and after.

test_memory.py runs it in a fresh interpreter, so the numbers belong to the pipeline alone.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

from taskembed.curation.config import parse_pipeline
from taskembed.curation.pipeline import run_pipeline


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def main() -> None:
    source, output = Path(sys.argv[1]), Path(sys.argv[2])
    config = parse_pipeline(
        {
            "input": [{"path": str(source)}],
            "output": str(output),
            "chunk_rows": 1000,
            "cache_mib": 2,  # SQLite's page cache is capped; the test checks nothing else grows
            "step": [{"kind": "dedup"}, {"kind": "langid", "languages": ["en"]}, {"kind": "overlap"}],
        }
    )
    from taskembed.curation.steps.langid import load_identifier
    from taskembed.curation.steps.minhash import Signer

    load_identifier(), Signer(128, 1, 0.8, "chars", 5)  # libraries and models loaded: the fixed part
    before = peak_mib()
    report = run_pipeline(config, progress=False)
    sys.stdout.write(
        json.dumps({"before": before, "after": peak_mib(), "rows_out": report["rows_out"]}) + "\n"
    )


if __name__ == "__main__":
    main()
