"""``taskembed data``: run a curation pipeline file, or one filter on one file (see docs/curation.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

FILTERS = ("dedup", "langid", "consistency", "margin", "overlap")


def _csv_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, help=".jsonl/.csv/.tsv/.parquet (or a BEIR folder with --beir)")
    parser.add_argument("output", type=Path, help="kept rows: .jsonl/.csv/.tsv/.parquet")
    parser.add_argument("--fields", type=_csv_list, default=None, help="text fields, comma-separated")
    parser.add_argument("--no-header", action="store_true", help="CSV/TSV without a header row")
    parser.add_argument(
        "--columns", type=_csv_list, default=None, help="names of a headerless file's columns"
    )
    parser.add_argument(
        "--beir", action="store_true", help="the input is a BEIR folder (query/positive pairs)"
    )
    parser.add_argument("--split", default="train", help="BEIR qrels split (default: train)")
    parser.add_argument("--work-dir", type=Path, default=None, help="parts and state (default: OUTPUT.work)")
    parser.add_argument("--report", type=Path, default=None, help="report path without suffix")
    parser.add_argument("--chunk-rows", type=int, default=None, help="rows per committed chunk")
    parser.add_argument("--samples", type=int, default=None, help="dropped examples per reason in the report")
    parser.add_argument("--write-dropped", action="store_true", help="also write every dropped row and why")
    _add_run_flags(parser)


def _add_run_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--overwrite", action="store_true", help="discard an earlier run's work folder")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def _add_model(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="scoring model (default: the bundled one)")
    for side in ("query", "document"):
        parser.add_argument(f"--{side}-task", default=None)
        parser.add_argument(f"--{side}-prompt", default=None)


def add_data_parser(commands: Any) -> None:
    """Register ``taskembed data`` and its subcommands."""
    data = commands.add_parser(
        "data", help="curate training data: dedup, langid, consistency, margin, overlap"
    )
    steps = data.add_subparsers(dest="data_command", required=True)
    run = steps.add_parser("run", help="run (or resume) a pipeline file of steps")
    run.add_argument("pipeline", type=Path, help="pipeline .toml/.yaml (see docs/curation.md)")
    _add_run_flags(run)
    dedup = steps.add_parser("dedup", help="drop empty/identical-side pairs, exact and near duplicates")
    dedup.add_argument("--threshold", type=float, default=None, help="near-duplicate Jaccard (default 0.8)")
    dedup.add_argument("--no-near", action="store_true", help="exact duplicates only")
    dedup.add_argument("--shingle", choices=["chars", "words"], default=None)
    dedup.add_argument("--ngram", type=int, default=None)
    langid = steps.add_parser("langid", help="keep rows whose fields are in the given languages")
    langid.add_argument("--languages", type=_csv_list, required=True, help="ISO 639-1 codes, e.g. en,de")
    langid.add_argument("--min-confidence", type=float, default=None)
    consistency = steps.add_parser("consistency", help="keep pairs whose positive ranks top-k for its query")
    consistency.add_argument("--sample", type=int, default=None, help="sampled passages (default 1000000)")
    consistency.add_argument("--top-k", type=int, default=None, help="(default 2)")
    _add_model(consistency)
    margin = steps.add_parser("margin", help="keep triplets with sim(q,p) - sim(q,n) > margin")
    margin.add_argument("--margin", type=float, default=None, help="(default 0.05)")
    _add_model(margin)
    overlap = steps.add_parser("overlap", help="drop pairs whose shorter text is mostly inside the longer")
    overlap.add_argument("--ratio", type=float, default=None, help="(default 0.8)")
    overlap.add_argument("--min-words", type=int, default=None, help="(default 4)")
    for parser in (dedup, langid, consistency, margin, overlap):
        _add_common(parser)


STEP_OPTIONS = {  # each filter subcommand's own options, named as in the pipeline file
    "dedup": ("threshold", "shingle", "ngram"),
    "langid": ("languages", "min_confidence"),
    "consistency": ("sample", "top_k"),
    "margin": ("margin",),
    "overlap": ("ratio", "min_words"),
}
MODEL_OPTIONS = ("model", "query_task", "query_prompt", "document_task", "document_prompt")


def single_step_pipeline(args: argparse.Namespace) -> dict[str, Any]:
    """The one-step pipeline mapping a filter subcommand's arguments describe."""
    from taskembed.curation.config import MODEL_STEPS

    kind = args.data_command
    step: dict[str, Any] = {"kind": kind}
    names = [*STEP_OPTIONS[kind], *(MODEL_OPTIONS if kind in MODEL_STEPS else ())]
    step.update({name: getattr(args, name) for name in names if getattr(args, name) is not None})
    if kind == "dedup" and args.no_near:
        step["near"] = False
    source: dict[str, Any] = {"path": str(args.input), "header": not args.no_header, "split": args.split}
    if args.beir:
        source["format"] = "beir"
    if args.columns:
        source["columns"] = args.columns
    pipeline: dict[str, Any] = {"input": [source], "output": str(args.output), "step": [step]}
    if args.fields:
        pipeline["fields"] = args.fields
    for key in ("work_dir", "report", "chunk_rows", "samples"):
        if getattr(args, key) is not None:
            pipeline[key] = (
                str(getattr(args, key)) if isinstance(getattr(args, key), Path) else getattr(args, key)
            )
    if args.write_dropped:
        pipeline["write_dropped"] = True
    return pipeline


def summary(report: dict[str, Any]) -> str:
    """A few lines for the terminal: each step's counts, then the output."""
    lines = []
    for step in report["steps"]:
        reasons = ", ".join(f"{reason} {n}" for reason, n in step["dropped"].items()) or "nothing dropped"
        lines.append(f"{step['name']}: {step['rows_in']} in, {step['rows_out']} kept ({reasons})")
    lines.append(f"wrote {report['rows_out']} of {report['rows_in']} rows to {report['output']}")
    return "\n".join(lines)


def run_data_command(args: argparse.Namespace) -> int:
    """Run ``taskembed data ...``; print the summary and where the reports are."""
    from taskembed.extras import require_extra

    require_extra("curation", ("pydantic",), "taskembed data")
    from taskembed.curation.config import load_pipeline, parse_pipeline
    from taskembed.curation.pipeline import run_pipeline

    if args.data_command == "run":
        config, origin = load_pipeline(args.pipeline), str(args.pipeline)
    else:
        origin = f"taskembed data {args.data_command}"
        config = parse_pipeline(single_step_pipeline(args), origin)
    report = run_pipeline(config, origin=origin, overwrite=args.overwrite, progress=not args.quiet)
    base = config.report_base
    sys.stdout.write(summary(report) + f"\nreport: {base}.md, {base}.json\n")
    return 0
