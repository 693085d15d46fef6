"""Curation speed: rows/s and peak RSS per `taskembed data` step on a generated 1M-row pair file.

Each step runs beside the alternative a user would write by hand, in the same run.

    .venv/bin/python bench/curation.py [--rows 1000000] [--model-rows 20000]

- dedup (exact + MinHash LSH, index in SQLite) vs datasketch's in-memory ``MinHashLSH`` (insert + query
  per row, same signatures): speed and memory;
- langid vs a bare py3langid loop over both fields (our overhead);
- overlap (no alternative: pure Python);
- consistency and margin on the first ``--model-rows`` rows (the model is the cost: 1M rows would take
  hours on 2 cores) vs sentence-transformers encoding the same texts (their lower bound).

Each measurement runs in a fresh interpreter, so peak RSS is its own. Results: bench/results/curation.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from itertools import islice
from pathlib import Path
from typing import Any

from taskembed.curation.config import MODEL_STEPS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

STEPS: dict[str, dict[str, Any]] = {
    "dedup": {"kind": "dedup"},
    "langid": {"kind": "langid", "languages": ["en"]},
    "overlap": {"kind": "overlap"},
    "consistency": {"kind": "consistency"},
    "margin": {"kind": "margin", "fields": ["query", "positive", "negative"]},
}


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rows(path: Path, limit: int) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in islice(handle, limit)]


def child_step(kind: str, source: Path, rows: int) -> dict[str, Any]:
    """One taskembed step over ``source`` (its first ``rows`` rows for the model steps)."""
    from taskembed.curation.config import parse_pipeline
    from taskembed.curation.pipeline import run_pipeline

    if kind in MODEL_STEPS:
        subset = RESULTS / f"curation-{rows}.jsonl"
        with subset.open("w", encoding="utf-8") as handle:
            for record in _rows(source, rows):
                handle.write(json.dumps({**record, "negative": record["positive"][::-1]}) + "\n")
        source = subset
    raw = {"input": [{"path": str(source)}], "output": str(RESULTS / f"curation-{kind}.jsonl")}
    config = parse_pipeline({**raw, "step": [STEPS[kind]]})
    started = time.perf_counter()
    report = run_pipeline(config, overwrite=True, progress=True)
    wall = time.perf_counter() - started
    step = report["steps"][0]
    return {
        "rows": step["rows_in"],
        "kept": step["rows_out"],
        "seconds": wall,
        "rows_per_s": step["rows_in"] / wall,
    }


def child_datasketch(source: Path, rows: int) -> dict[str, Any]:
    """The hand-written alternative: normalize, sign, query + insert into datasketch's in-memory LSH."""
    from datasketch import LeanMinHash, MinHash, MinHashLSH

    from taskembed.curation.normalize import normalize
    from taskembed.curation.steps.minhash import Signer

    signer = Signer(128, 1, 0.8, "chars", 5)
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    kept, started = 0, time.perf_counter()
    with source.open(encoding="utf-8") as handle:
        for number, line in enumerate(islice(handle, rows)):
            record = json.loads(line)
            values = signer.signature(normalize(record["query"]) + " " + normalize(record["positive"]))
            minhash = LeanMinHash(MinHash(num_perm=128, hashvalues=values, scheme="affine32"))
            if not lsh.query(minhash):
                lsh.insert(str(number), minhash)
                kept += 1
    wall = time.perf_counter() - started
    return {"rows": rows, "kept": kept, "seconds": wall, "rows_per_s": rows / wall}


def child_py3langid(source: Path, rows: int) -> dict[str, Any]:
    """A bare py3langid loop over both fields."""
    from taskembed.curation.steps.langid import load_identifier

    identifier = load_identifier()
    started = time.perf_counter()
    with source.open(encoding="utf-8") as handle:
        for line in islice(handle, rows):
            record = json.loads(line)
            identifier.classify(record["query"]), identifier.classify(record["positive"])
    wall = time.perf_counter() - started
    return {"rows": rows, "seconds": wall, "rows_per_s": rows / wall}


def child_sentence_transformers(source: Path, rows: int, texts_per_row: int) -> dict[str, Any]:
    """sentence-transformers encoding the same texts the model step embeds."""
    from sentence_transformers import SentenceTransformer

    from taskembed.models.resolve import bundled_model_dir

    model = SentenceTransformer(str(bundled_model_dir()), device="cpu")
    records = _rows(source, rows)
    texts = [r["query"] for r in records] + [r["positive"] for r in records]
    texts += [r["positive"][::-1] for r in records] if texts_per_row == 3 else []
    started = time.perf_counter()
    model.encode(texts, batch_size=32)
    wall = time.perf_counter() - started
    return {"rows": rows, "seconds": wall, "rows_per_s": rows / wall}


def _measure(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=False,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _generate(rows: int) -> Path:
    from tests.curation.synthetic import write_pairs

    path = RESULTS / f"curation-pairs-{rows}.jsonl"
    if not path.is_file():
        RESULTS.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        write_pairs(path.with_suffix(".tmp"), rows, seed=11).rename(path)
        size, seconds = path.stat().st_size / 2**20, time.perf_counter() - started
        print(f"generated {rows} rows ({size:.0f} MiB) in {seconds:.0f} s")
    return path


def main() -> None:
    """Measure every step and its alternative; print a line each; save the numbers."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--model-rows", type=int, default=20_000)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, source, rows = args.child[0], Path(args.child[1]), int(args.child[2])
        if name == "datasketch":
            result = child_datasketch(source, rows)
        elif name == "py3langid":
            result = child_py3langid(source, rows)
        elif name.startswith("st-"):
            result = child_sentence_transformers(source, rows, 2 if name == "st-consistency" else 3)
        else:
            result = child_step(name, source, rows)
        print(json.dumps({**result, "peak_mib": round(_peak_mib(), 1)}))
        return
    source = _generate(args.rows)
    results: dict[str, Any] = {"rows": args.rows, "model_rows": args.model_rows}
    plan = [
        ("dedup", args.rows, "datasketch"),
        ("langid", args.rows, "py3langid"),
        ("overlap", args.rows, None),
        ("consistency", args.model_rows, "st-consistency"),
        ("margin", args.model_rows, "st-margin"),
    ]
    for kind, rows, alternative in plan:
        ours = _measure(kind, str(source), str(rows))
        entry: dict[str, Any] = {"taskembed": ours}
        line = f"{kind:<12} {ours['rows']:>9} rows {ours['rows_per_s']:>9.0f} rows/s"
        line += f"  peak {ours['peak_mib']:.0f} MiB"
        if alternative is not None:
            other = _measure(alternative, str(source), str(rows))
            entry[alternative] = other
            line += (
                f" | {alternative}: {other['rows_per_s']:.0f} rows/s, peak {other['peak_mib']:.0f} MiB"
                f" | speed ratio {ours['rows_per_s'] / other['rows_per_s']:.2f}x"
            )
        results[kind] = entry
        print(line, flush=True)
    (RESULTS / "curation.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"saved {RESULTS / 'curation.json'}")


if __name__ == "__main__":
    main()
