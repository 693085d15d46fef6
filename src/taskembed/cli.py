"""The `taskembed` command: info, encode, calibrate. User errors print one line and exit 2."""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from taskembed.curation.cli import add_data_parser, run_data_command
from taskembed.errors import InputError, TaskembedError
from taskembed.types import EmbeddingType

DEFAULT_CHUNK_ROWS = 4096
RAY_FLAGS = ("address", "num_workers", "cpus_per_worker")


def _add_runtime(parser: argparse.ArgumentParser, *, backend: bool = True) -> None:
    if backend:
        parser.add_argument(
            "--backend", default="torch", choices=["torch", "onnx"], help="backbone engine (default: torch)"
        )
    parser.add_argument(
        "--dtype",
        default="fp32",
        choices=["fp32", "bf16", "int8"],
        help="fp32 (exact), bf16 (torch, CPUs with native bf16) or int8 (onnx) (default: fp32)",
    )
    parser.add_argument("--threads", type=int, default=None, help="intra-op threads (default: every core)")
    parser.add_argument(
        "--onnx-cache", type=Path, default=None, help="exported graphs (default: ~/.cache/taskembed/onnx)"
    )


def _add_model(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", default="default", help="bundled name, local folder or hub id (default: default)"
    )
    _add_runtime(parser)


def _load(args: argparse.Namespace) -> Any:
    """The ``--model`` of ``args`` on the runtime its flags choose."""
    import taskembed

    return taskembed.load(
        args.model,
        backend=args.backend,
        dtype=args.dtype,
        threads=args.threads,
        onnx_cache=args.onnx_cache,
    )


def _add_text_fields(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--text-field", default="text", help="field holding the text in .jsonl/.csv/.tsv/.parquet"
    )
    parser.add_argument("--id-field", default=None, help="field holding the row id (default: the row number)")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="taskembed", description="Task-targeted text embeddings.")
    commands = parser.add_subparsers(dest="command", required=True)

    info = commands.add_parser("info", help="show what a model is and accepts")
    info.add_argument("model", nargs="?", default="default")

    export = commands.add_parser(
        "export", help="build (or find) the cached ONNX graphs of a model, one per task for adapter models"
    )
    export.add_argument("model", nargs="?", default="default")
    _add_runtime(export, backend=False)
    export.add_argument(
        "--task", nargs="+", default=None, help="tasks to export (default: every task, plus the base weights)"
    )
    export.add_argument(
        "--keep-fp32",
        nargs="+",
        default=(),
        help="int8: substrings of ONNX MatMul node names to keep in fp32 (layers that lose accuracy)",
    )

    encode = commands.add_parser("encode", help="embed a file of texts (resumable)")
    encode.add_argument("input", type=Path, help=".txt (one text per line), .jsonl, .csv, .tsv or .parquet")
    encode.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help=".npy, .parquet (id + vector), .jsonl, or a folder (no suffix) of Parquet shards",
    )
    _add_model(encode)
    _add_text_fields(encode)
    encode.add_argument("--task", default=None)
    encode.add_argument("--prompt", default=None, help="text prefix (overrides the task's prompt)")
    encode.add_argument("--dimensions", type=int, default=None, help="Matryoshka truncation")
    encode.add_argument("--embedding-type", default="float", choices=[t.value for t in EmbeddingType])
    encode.add_argument(
        "--ranges", type=Path, default=None, help="int8/uint8 ranges file from `taskembed calibrate`"
    )
    encode.add_argument("--no-normalize", action="store_true", help="skip L2 normalization")
    encode.add_argument(
        "--no-truncate", action="store_true", help="fail on over-long inputs instead of cutting"
    )
    encode.add_argument("--batch-tokens", type=int, default=None, help="padded tokens per forward pass")
    encode.add_argument("--chunk-rows", type=int, default=DEFAULT_CHUNK_ROWS, help="rows per resumable chunk")
    encode.add_argument(
        "--chunker",
        default=None,
        help="sentences:N or tokens:N: each row is a document, each output row one chunk (with offsets)",
    )
    encode.add_argument(
        "--late-chunking",
        action="store_true",
        help="with --chunker: embed chunks in their document's context",
    )
    encode.add_argument(
        "--window-overlap", type=int, default=None, help="late chunking: tokens of left context"
    )
    encode.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    encode.add_argument("--quiet", action="store_true", help="no progress bar")
    encode.add_argument(
        "--engine",
        default="local",
        choices=["local", "ray"],
        help="local (this process) or ray (a Ray Data actor pool; extra 'ray') (default: local)",
    )
    encode.add_argument(
        "--address", default=None, help="ray: the cluster to join (default: RAY_ADDRESS, else a local one)"
    )
    encode.add_argument(
        "--num-workers", type=int, default=None, help="ray: model copies (default: one per node)"
    )
    encode.add_argument(
        "--cpus-per-worker",
        type=int,
        default=None,
        help="ray: CPUs (and threads) per worker (default: --threads, else the cluster's CPUs shared evenly)",
    )

    serve = commands.add_parser("serve", help="run the HTTP API (Jina- and OpenAI-compatible /v1/embeddings)")
    from taskembed.server.config import add_serve_arguments, environ

    add_serve_arguments(serve, environ())

    evaluate = commands.add_parser("eval", help="score a model on tasks, over dimensions x output types")
    _add_model(evaluate)
    evaluate.add_argument("--task", nargs="+", required=True, help="ready task names or .toml spec files")
    evaluate.add_argument("--dimensions", default=None, help="comma-separated sizes (default: the full size)")
    evaluate.add_argument(
        "--embedding-type", default="float", help="comma-separated: float,int8,binary,binary_rescore"
    )
    evaluate.add_argument(
        "--data-dir", type=Path, default=Path("../shared/data"), help="root of ready specs' data"
    )
    evaluate.add_argument(
        "--cache-dir", type=Path, default=None, help="reuse embeddings across runs (default: OUT/cache)"
    )
    setup_help = "; several values (none = without) sweep every combination as one grid"
    for flag, what in (
        ("--model-task", "the model task for all texts"),
        ("--query-task", "the model task of queries (retrieval, reranking)"),
        ("--prompt", "a text prefix for all texts"),
        ("--query-prompt", "a text prefix for queries"),
    ):
        evaluate.add_argument(flag, nargs="+", default=[None], help=what + setup_help)
    evaluate.add_argument("-o", "--output", type=Path, required=True, help="report folder")
    evaluate.add_argument("--quiet", action="store_true")

    calib = commands.add_parser("calibrate", help="compute int8/uint8 ranges from sample texts")
    calib.add_argument("input", type=Path)
    calib.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="ranges file; save it as quantization_ranges.json in a model folder to make it the default",
    )
    _add_model(calib)
    _add_text_fields(calib)
    calib.add_argument("--task", default=None)
    calib.add_argument("--dimensions", default=None, help="comma-separated sizes (default: the full size)")
    calib.add_argument("--max-texts", type=int, default=100_000)
    mine = commands.add_parser(
        "mine", help="hard negatives for (query, positive) data, written beside it (see docs/training.md)"
    )
    mine.add_argument("data", type=Path, help=".jsonl/.csv/.tsv/.parquet with a query and a positive per row")
    _add_model(mine)
    mine.add_argument("--query-field", default="query", help="field of the query (default: query)")
    mine.add_argument(
        "--positive-field", default="positive", help="field of the positive (default: positive)"
    )
    mine.add_argument("--no-header", action="store_true", help="CSV/TSV without a header: fields are numbers")
    mine.add_argument(
        "--corpus", type=Path, default=None, help="more candidate texts (default: positives only)"
    )
    mine.add_argument(
        "--corpus-field",
        action="append",
        default=None,
        help="corpus field(s) joined into one text, e.g. --corpus-field title --corpus-field text",
    )
    mine.add_argument("--negatives", type=int, default=7, help="negatives per row (default: 7)")
    mine.add_argument("--skip-top", type=int, default=0, help="skip the N highest-ranked candidates")
    mine.add_argument(
        "--margin",
        type=float,
        default=None,
        help="skip candidates scoring above (positive score - MARGIN): likely unlabelled positives",
    )
    mine.add_argument("--query-task", default=None)
    mine.add_argument("--query-prompt", default=None)
    mine.add_argument("--document-task", default=None)
    mine.add_argument("--document-prompt", default=None)
    mine.add_argument(
        "-o", "--output", type=Path, default=None, help="default: DATA.negatives.jsonl beside DATA"
    )
    add_data_parser(commands)
    train = commands.add_parser(
        "train", help="train a model from a config (distillation or task adapters; see docs/training.md)"
    )
    train.add_argument("config", type=Path, help="a .toml or .yaml training config")
    train.add_argument(
        "--resume", action="store_true", help="continue from the last checkpoint in the output"
    )
    train.add_argument(
        "--overwrite", action="store_true", help="delete an earlier run in the output and start again"
    )
    return parser


def _dimension_list(text: str | None, full: int) -> list[int]:
    """Parse a comma-separated --dimensions value; the model's full size when absent."""
    if not text:
        return [full]
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise InputError(f"--dimensions {text!r}: give comma-separated integers, e.g. 384,128,32") from None


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _cmd_info(args: argparse.Namespace) -> int:
    import taskembed

    _out(json.dumps(taskembed.load(args.model).info.as_dict(), indent=2))
    return 0


def _ranges_for(path: Path | None, dimensions: int | None, full: int) -> object:
    if path is None:
        return None
    from taskembed.quantization_ranges import load_ranges_file

    ranges = load_ranges_file(path)
    dims = dimensions or full
    if dims not in ranges:
        raise InputError(f"{path} has no ranges for dimensions={dims} (it has {sorted(ranges)})")
    return ranges[dims]


def _cmd_encode(args: argparse.Namespace) -> int:
    from taskembed.bulk import BulkJob, run_bulk
    from taskembed.io.readers import InputSpec
    from taskembed.options import EncodeOptions

    _check_ray_flags(args)  # before the model loads
    embedder = _load(args)
    options = EncodeOptions.create(
        embedding_type=args.embedding_type,
        task=args.task,
        prompt=args.prompt,
        dimensions=args.dimensions,
        normalized=not args.no_normalize,
        truncate=not args.no_truncate,
        batch_tokens=args.batch_tokens,
        ranges=_ranges_for(args.ranges, args.dimensions, embedder.info.dimension),
        late_chunking=args.late_chunking,
        window_overlap=args.window_overlap,
    )
    job = BulkJob(
        InputSpec(args.input, args.text_field, args.id_field),
        args.output,
        options,
        chunk_rows=args.chunk_rows,
        overwrite=args.overwrite,
        chunker=args.chunker,
    )
    if args.engine == "ray":
        summary = _run_on_ray(args, job, embedder)
    else:
        summary = run_bulk(embedder, job, progress=not args.quiet)
    resumed = f", {summary.resumed_chunks} chunk(s) resumed" if summary.resumed_chunks else ""
    cut = f", {summary.truncated} cut at {embedder.info.max_tokens} tokens" if summary.truncated else ""
    what = f"the chunks of {summary.rows} documents" if args.chunker else f"{summary.rows} embeddings"
    _out(f"wrote {what} to {args.output} in {summary.seconds:.1f}s{resumed}{cut}")
    return 0


def _check_ray_flags(args: argparse.Namespace) -> None:
    """The Ray flags only with ``--engine ray``, and their counts positive."""
    if args.engine != "ray" and (flag := next((f for f in RAY_FLAGS if getattr(args, f) is not None), None)):
        raise InputError(f"--{flag.replace('_', '-')} is for --engine ray")
    for flag in RAY_FLAGS[1:]:
        if (value := getattr(args, flag)) is not None and value < 1:
            raise InputError(f"--{flag.replace('_', '-')} must be a positive integer, got {value}")


def _run_on_ray(args: argparse.Namespace, job: Any, embedder: Any) -> Any:
    """``job`` on a Ray cluster; the flags' model is loaded by each worker."""
    from taskembed.bulk_ray import RayCluster, WorkerModel, run_bulk_ray

    model = WorkerModel(args.model, args.backend, args.dtype, args.onnx_cache)
    cluster = RayCluster(args.address, args.num_workers, args.cpus_per_worker or args.threads)
    return run_bulk_ray(job, model, cluster, embedder=embedder, progress=not args.quiet)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from taskembed.calibration import calibrate_model
    from taskembed.io.readers import InputSpec, read_rows
    from taskembed.quantization_ranges import save_ranges_file

    embedder = _load(args)
    rows = read_rows(InputSpec(args.input, args.text_field, args.id_field))
    texts = [text for _, text in itertools.islice(rows, args.max_texts)]
    dims = _dimension_list(args.dimensions, embedder.info.dimension)
    ranges = calibrate_model(embedder, texts, dims, task=args.task)
    save_ranges_file(
        args.output, ranges, source=f"{embedder.info.name} on {len(texts)} texts of {args.input.name}"
    )
    _out(f"wrote ranges for dimensions {sorted(ranges)} from {len(texts)} texts to {args.output}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from taskembed.backends.export_all import export_model
    from taskembed.models.runtime import Runtime

    runtime = Runtime.create(
        "onnx", args.dtype, threads=args.threads, onnx_cache=args.onnx_cache, int8_keep_fp32=args.keep_fp32
    )
    for task, graph, built in export_model(args.model, runtime, args.task):
        _out(f"{task or 'base'}: {graph} ({'exported' if built else 'cached'})")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from taskembed.server import check_server_extra
    from taskembed.server.config import config_from_args

    check_server_extra()
    from taskembed.server.run import serve

    serve(config_from_args(args))
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from taskembed.evaluate.cache import EmbeddingCache
    from taskembed.evaluate.report import markdown_table, write_report
    from taskembed.evaluate.specs import load_spec
    from taskembed.evaluate.sweep import Prompts, run_sweep
    from taskembed.options import EncodeOptions

    specs = [load_spec(ref, args.data_dir) for ref in args.task]  # bad specs fail before the model loads
    embedder = _load(args)
    dims = _dimension_list(args.dimensions, embedder.info.dimension)
    kinds = args.embedding_type.split(",")
    choices = [args.model_task, args.query_task, args.prompt, args.query_prompt]
    setups = [
        Prompts(*(None if value in (None, "none") else value for value in combination))
        for combination in itertools.product(*choices)
    ]
    for setup in setups:  # unknown tasks fail before anything is encoded
        for query in (False, True):
            EncodeOptions(task=setup.options(query)[0]).validated(embedder.info)
    cache = EmbeddingCache(args.cache_dir or args.output / "cache")
    rows = run_sweep(embedder, specs, dims, kinds, cache=cache, setups=setups, progress=not args.quiet)
    options = {
        "dimensions": dims,
        "embedding_types": kinds,
        "setups": [{"label": s.label, **vars(s)} for s in setups],
    }
    written = write_report(rows, specs, embedder.info, options, args.output)
    _out(markdown_table(rows) + "wrote " + ", ".join(str(p) for p in written))
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from taskembed.extras import require_extra

    require_extra("train", ("pydantic",), "taskembed train")
    from taskembed.train import train

    folder = train(args.config, resume=args.resume, overwrite=args.overwrite)
    _out(f"wrote {folder} (load it with taskembed.load, `taskembed eval` or `taskembed serve --model`)")
    return 0


def _field(name: str, header: bool) -> str | int:
    return name if header or not name.isdigit() else int(name)


def _cmd_mine(args: argparse.Namespace) -> int:
    from taskembed.extras import require_extra

    require_extra("train", ("pydantic",), "taskembed mine")
    from taskembed.mining import MiningOptions, default_output, mine, source

    header = not args.no_header
    data = source(
        args.data, [_field(args.query_field, header), _field(args.positive_field, header)], header=header
    )
    corpus = None
    if args.corpus is not None:
        fields = [_field(name, header) for name in args.corpus_field or ["text"]]
        corpus = source(args.corpus, [fields if len(fields) > 1 else fields[0]], header=header)
    options = MiningOptions(
        negatives=args.negatives,
        skip_top=args.skip_top,
        margin=args.margin,
        query_task=args.query_task,
        query_prompt=args.query_prompt,
        document_task=args.document_task,
        document_prompt=args.document_prompt,
    )
    output = args.output or default_output(args.data)
    count = mine(_load(args), data, options, output, corpus)
    _out(f"wrote {count} rows with hard negatives to {output}")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "train": _cmd_train,
    "mine": _cmd_mine,
    "data": run_data_command,
    "eval": _cmd_eval,
    "info": _cmd_info,
    "export": _cmd_export,
    "serve": _cmd_serve,
    "encode": _cmd_encode,
    "calibrate": _cmd_calibrate,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except TaskembedError as error:
        sys.stderr.write(f"taskembed: error: {error}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("taskembed: interrupted; finished chunks are kept, run the same command to resume\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
