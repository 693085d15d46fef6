"""Every runtime of taskembed vs sentence-transformers on the same corpus, same machine, same run.

Each method runs in its own child process (so peak RSS is its own): one warm-up pass, then the median
of --repeats timed passes (model loading and ONNX export are not timed). Tokens/s counts real
(non-padding) tokens after truncation at 256. Emulated bf16 (a CPU without native bf16) gets one timed
run and no SciFact: it would take most of an hour. Per method: speed vs sentence-transformers, min/mean
cosine vs torch fp32, STSBenchmark test Spearman (and SciFact nDCG@10 with --scifact) from the eval
harness, peak RSS, and the fraction of the roofline: achieved FLOP/s (the corpus's exact FLOP count,
attention included) over this machine's measured GEMM peak for that arithmetic (bench/gemm_peak.py).

    .venv/bin/python bench/throughput.py [--repeats 3] [--size 4096] [--scifact] [--methods ...]
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import resource
import statistics
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from corpus import DATA, load_corpus

RUNTIMES = {
    "torch-fp32": ("torch", "fp32"),
    "torch-bf16": ("torch", "bf16"),
    "onnx-fp32": ("onnx", "fp32"),
    "onnx-int8": ("onnx", "int8"),
}
METHODS = ["sentence-transformers", *RUNTIMES]
PEAK_OF = {
    "sentence-transformers": "torch_fp32",
    "torch-fp32": "torch_fp32",
    "torch-bf16": "torch_bf16",
    "onnx-fp32": "ort_fp32",
    "onnx-int8": "ort_int8",
}


def _timed(encode: Any, texts: list[str], repeats: int) -> tuple[list[float], np.ndarray]:
    encode(texts[:256])
    timings, vectors = [], np.zeros(0)
    for _ in range(repeats):
        start = time.perf_counter()
        vectors = np.asarray(encode(texts))
        timings.append(time.perf_counter() - start)
    return timings, vectors


def _quality(model: Any, scifact: bool) -> dict[str, float]:
    from taskembed.evaluate.data import load_beir, load_stsbenchmark
    from taskembed.evaluate.retrieval import evaluate_retrieval
    from taskembed.evaluate.sts import evaluate_sts

    warnings.simplefilter("ignore")
    scores = {"stsb": evaluate_sts(model, load_stsbenchmark(DATA / "stsbenchmark" / "sts-test.csv")).main}
    if scifact:
        scores["scifact"] = evaluate_retrieval(model, load_beir(DATA / "scifact")).main
    return {name: 100 * value for name, value in scores.items()}


def _run(name: str, texts: list[str], repeats: int, scifact: bool) -> dict[str, Any]:
    """Time the method; peak RSS is read before the quality evaluation adds its own data."""
    if name == "sentence-transformers":
        from sentence_transformers import SentenceTransformer

        from taskembed.models.resolve import bundled_model_dir

        st = SentenceTransformer(str(bundled_model_dir()), device="cpu")
        encode = functools.partial(st.encode, batch_size=32, convert_to_numpy=True)
        timings, vectors = _timed(encode, texts, repeats)
        return {"timings": timings, "vectors": vectors, "peak_mib": _peak_mib(), "quality": {}}
    import taskembed
    from taskembed.cpu_features import has_native_bf16

    backend, dtype = RUNTIMES[name]
    if dtype == "bf16" and not has_native_bf16():  # emulated bf16 is ~10x slower than fp32 here
        repeats, scifact = 1, False
        print("torch-bf16: no native bf16 on this CPU; 1 timed run, no SciFact", flush=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = taskembed.load("default", backend=backend, dtype=dtype)
    timings, vectors = _timed(model.encode, texts, repeats)
    peak = _peak_mib()
    return {"timings": timings, "vectors": vectors, "peak_mib": peak, "quality": _quality(model, scifact)}


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(name: str, texts: list[str], repeats: int, scifact: bool, queue: multiprocessing.Queue) -> None:
    warnings.simplefilter("ignore")  # truncation notices on every timed pass
    queue.put(_run(name, texts, repeats, scifact))


def _measure(name: str, texts: list[str], repeats: int, scifact: bool) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(name, texts, repeats, scifact, queue))
    process.start()
    result: dict[str, Any] = queue.get()
    process.join()
    return result


def _score(quality: dict[str, float], name: str) -> str:
    return f"{quality[name]:.2f}" if name in quality else "-"


def _roofline(achieved: float, peak: float) -> str:
    """Achieved over peak; emulated arithmetic (e.g. bf16 without hardware support) has no meaningful peak."""
    if achieved > peak:
        return f"n/a (GEMM peak {peak:.0f})"
    return f"{100 * achieved / peak:.0f}% of {peak:.0f}"


def corpus_flop(lengths: np.ndarray) -> float:
    """Exact FLOP of the bundled model on these token counts: 2 x linear weights per token plus attention."""
    from transformers import AutoConfig

    from taskembed.models.resolve import bundled_model_dir

    config = AutoConfig.from_pretrained(str(bundled_model_dir()))
    hidden, ffn, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    linear = layers * (4 * hidden * hidden + 2 * hidden * ffn)
    attention = layers * 4 * hidden  # QK^T and AV: 2 x 2 x hidden per token pair
    return float(2 * linear * lengths.sum() + attention * (lengths.astype(np.float64) ** 2).sum())


def main() -> None:
    """Run the methods and print a table with ratios, accuracy and roofline fractions."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--scifact", action="store_true", help="also SciFact nDCG@10 (minutes per runtime)")
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    args = parser.parse_args()

    from gemm_peak import measure_peaks
    from taskembed.models.load import load_model

    texts = load_corpus(args.size)
    lengths = load_model("default").tokenizer.tokenize(texts, limit=256, truncate=True).lengths
    tokens, flop = int(lengths.sum()), corpus_flop(lengths)
    peaks = measure_peaks()
    methods = ["sentence-transformers", "torch-fp32"] + [m for m in args.methods if m not in METHODS[:2]]
    results = {}
    for name in methods:
        print(f"running {name} ...", flush=True)
        results[name] = _measure(name, texts, args.repeats, args.scifact)
    base = statistics.median(results["sentence-transformers"]["timings"])
    reference = results["torch-fp32"]["vectors"]
    print(
        f"\ncorpus: {len(texts)} texts, {tokens:,} tokens, {flop / tokens / 1e6:.2f} MFLOP/token; "
        f"median of {args.repeats} runs after a warm-up"
    )
    print("GEMM peaks (GFLOP/s): " + ", ".join(f"{k} {v:.0f}" for k, v in peaks.items()))
    header = (
        "| method | tokens/s | vs ST | min cos | mean cos | STS-B | SciFact | peak RSS MiB | GFLOP/s "
        "| roofline |"
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    report = {}
    for name, result in results.items():
        seconds = statistics.median(result["timings"])
        cosines = (result["vectors"] * reference).sum(axis=1)
        achieved = flop / seconds / 1e9
        peak = peaks[PEAK_OF[name]]
        quality = result["quality"]
        report[name] = {
            "seconds": seconds,
            "tokens_per_s": tokens / seconds,
            "speedup_vs_st": base / seconds,
            "min_cosine": float(cosines.min()),
            "mean_cosine": float(cosines.mean()),
            "quality": quality,
            "peak_rss_mib": result["peak_mib"],
            "gflops": achieved,
            "roofline_fraction": achieved / peak,
        }
        print(
            f"| {name} | {tokens / seconds:,.0f} | {base / seconds:.2f}x | {cosines.min():.5f} | "
            f"{cosines.mean():.5f} | {_score(quality, 'stsb')} | {_score(quality, 'scifact')} | "
            f"{result['peak_mib']:,.0f} | {achieved:.0f} | {_roofline(achieved, peak)} |"
        )
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "throughput.json").write_text(
        json.dumps(
            {"texts": len(texts), "tokens": tokens, "flop": flop, "peaks": peaks, "methods": report}, indent=2
        )
    )


if __name__ == "__main__":
    main()
