"""Long inputs on JinaBERT (jina-embeddings-v2 base shape, random weights): tokens/s and peak RSS by length.

Writes a random base-size checkpoint (H 768, 12 layers, 12 heads, I 3072, V 30528; ~550 MB) in the
published layout with the bundled WordPiece tokenizer. Then, for each length, a fresh process loads it
with ``taskembed.load`` and embeds one text of exactly that many tokens: once to warm up, then timed.
Each length runs with taskembed's blocks of 1,024 queries, and with all queries at once (the full
L x L bias a plain implementation builds) for comparison.
Peak RSS is the process's high-water mark during the timed call (reset just before it); "growth" is
the part above the loaded, warmed-up model.

    .venv/bin/python bench/jinabert.py [--lengths 512 2048 8192] [--threads 2] [--query-blocks 1024 0]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

MEASURE = """
import json, sys, time
from pathlib import Path
import taskembed
from taskembed.models import jinabert

jinabert.QUERY_BLOCK = int(sys.argv[4]) or 10**9  # 0: the whole length at once (a full L x L bias)

def mib(field):
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith(field))
    return int(line.split()[1]) / 1024

model = taskembed.load(sys.argv[1], threads=int(sys.argv[3]))
length = int(sys.argv[2])
assert model.info.max_tokens >= length, model.info.max_tokens
text = " ".join(["fox"] * (length - 2))  # one token each, plus [CLS] and [SEP]
assert len(model.model.tokenizer.tokenize([text], limit=10**6, truncate=False).ids[0]) == length
model.encode([" ".join(["fox"] * 62)], truncate=False)  # warm-up
Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
loaded = mib("VmRSS")
started = time.perf_counter()
model.encode([text], truncate=False)
seconds = time.perf_counter() - started
row = {"tokens": length, "block": sys.argv[4], "seconds": seconds}
print(json.dumps({**row, "loaded_mib": loaded, "peak_mib": mib("VmHWM")}))
"""


def _write_checkpoint(folder: Path) -> None:
    import torch
    from safetensors.torch import save_file

    from taskembed.models.jinabert import JinaBertConfig, JinaBertModel
    from taskembed.models.resolve import bundled_model_dir

    config = {
        "model_type": "bert",
        "position_embedding_type": "alibi",
        "feed_forward_type": "geglu",
        "hidden_size": 768,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "intermediate_size": 3072,
        "max_position_embeddings": 8192,
        "vocab_size": 30528,
    }
    torch.manual_seed(0)
    model = JinaBertModel(JinaBertConfig.from_dict(config, vocab_size=30528, code_style=False))
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 8192}))
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        shutil.copy(bundled_model_dir() / name, folder / name)


def main() -> None:
    """Measure each length in a fresh process; print the table and write bench/results/jinabert.json."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lengths", type=int, nargs="+", default=[512, 2048, 8192])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--query-blocks",
        type=int,
        nargs="+",
        default=[1024, 0],
        help="queries per attention block; 0 = all at once, the full L x L bias (default: 1024 0)",
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="taskembed-jinabert-") as folder:
        _write_checkpoint(Path(folder))
        for block in args.query_blocks:
            for length in args.lengths:
                command = [sys.executable, "-c", MEASURE, folder, str(length), str(args.threads), str(block)]
                result = subprocess.run(command, check=True, capture_output=True, text=True)
                rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
    print(f"random jina-embeddings-v2-base-shaped JinaBERT, one text, {args.threads} threads")
    print(
        f"{'query block':>12}{'tokens':>7}{'seconds':>9}{'tokens/s':>10}{'loaded MiB':>12}{'peak MiB':>10}"
        f"{'growth MiB':>12}"
    )
    for row in rows:
        growth = row["peak_mib"] - row["loaded_mib"]
        block = "all" if row["block"] == "0" else row["block"]
        print(
            f"{block:>12}{row['tokens']:>7}{row['seconds']:>9.2f}{row['tokens'] / row['seconds']:>10,.0f}"
            f"{row['loaded_mib']:>12,.0f}{row['peak_mib']:>10,.0f}{growth:>12,.0f}"
        )
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "jinabert.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
