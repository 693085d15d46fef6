"""Step and pipeline reports, as JSON (for tools) and Markdown (for people).

Counts in/out, drop reasons, each filter's own statistics and examples of dropped rows.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from taskembed.curation.state import StepState

EXAMPLE_CHARS = 240
LANGUAGE = "language "  # langid's histogram counters: "language FIELD CODE"
LANGUAGE_ROWS = 15


def step_report(
    name: str, kind: str, fields: list[str], settings: dict[str, Any], state: StepState
) -> dict[str, Any]:
    """One step's report from its durable state."""
    counts = state.counts()
    rows_in, rows_out = counts.get("rows in", 0), counts.get("rows out", 0)
    seconds = state.seconds
    inputs: dict[str, dict[str, int]] = {}
    for key, n in counts.items():
        if key.startswith("input "):
            label, side = key[len("input ") :].rsplit(" ", 1)
            inputs.setdefault(label, {"in": 0, "out": 0})[side] = n
    return {
        "name": name,
        "kind": kind,
        "fields": fields,
        "settings": settings,
        "rows_in": rows_in,
        "rows_out": rows_out,
        "removed": rows_in - rows_out,
        "dropped": {key[len("dropped ") :]: n for key, n in counts.items() if key.startswith("dropped ")},
        "stats": {key[len("stat ") :]: n for key, n in counts.items() if key.startswith("stat ")},
        "inputs": inputs,
        "samples": state.samples(),
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows_in / seconds, 1) if seconds > 0 else None,
    }


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


def _example(text: Any) -> str:
    line = json.dumps(text, ensure_ascii=False)
    line = line if len(line) <= EXAMPLE_CHARS else line[: EXAMPLE_CHARS - 1] + "…"
    return line.replace("|", "\\|").replace("`", "'")


def _language_table(histogram: dict[str, int], order: list[str]) -> list[str]:
    """``language FIELD CODE`` counters as a table: languages by total, fields as columns, a tail row."""
    counts: dict[str, dict[str, int]] = {}
    for key, n in histogram.items():
        field, code = key[len(LANGUAGE) :].rsplit(" ", 1)
        counts.setdefault(code, {})[field] = n
    present = {key[len(LANGUAGE) :].rsplit(" ", 1)[0] for key in histogram}
    fields = [field for field in order if field in present]
    ranked = sorted(counts, key=lambda code: -sum(counts[code].values()))
    lines = ["| language | " + " | ".join(fields) + " |", "|---|" + "---:|" * len(fields)]
    for code in ranked[:LANGUAGE_ROWS]:
        lines.append(f"| {code} | " + " | ".join(str(counts[code].get(f, 0)) for f in fields) + " |")
    rest = ranked[LANGUAGE_ROWS:]
    if rest:
        totals = [str(sum(counts[code].get(f, 0) for code in rest)) for f in fields]
        lines.append(f"| {len(rest)} other languages | " + " | ".join(totals) + " |")
    return [*lines, ""]


def _step_markdown(step: dict[str, Any]) -> list[str]:
    lines = [f"## {step['name']} ({step['kind']})", ""]
    settings = ", ".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in step["settings"].items())
    lines += [f"Fields {step['fields']}; {settings}.", ""]
    lines += [
        f"{step['rows_in']} rows in, {step['rows_out']} kept, {step['removed']} removed "
        f"({_share(step['removed'], step['rows_in'])}) in {step['seconds']:.1f} s.",
        "",
    ]
    if step["dropped"]:
        lines += ["| reason | rows | share of input |", "|---|---:|---:|"]
        lines += [f"| {r} | {n} | {_share(n, step['rows_in'])} |" for r, n in step["dropped"].items()]
        lines.append("")
    histogram = {k: n for k, n in step["stats"].items() if k.startswith(LANGUAGE)}
    others = {k: n for k, n in step["stats"].items() if k not in histogram}
    if histogram:
        lines += _language_table(histogram, step["fields"])
    if others:
        lines += ["| statistic | count |", "|---|---:|"]
        lines += [f"| {k} | {n} |" for k, n in others.items()]
        lines.append("")
    for reason, examples in step["samples"].items():
        lines.append(f"Examples of `{reason}`:")
        lines.append("")
        lines += [f"- {e['origin']}: {e['detail']}. `{_example(e['record'])}`" for e in examples]
        lines.append("")
    return lines


def pipeline_markdown(report: dict[str, Any]) -> str:
    """The whole run as Markdown: a summary table, rows per input after each step, then every step."""
    steps = report["steps"]
    lines = ["# Curation report", ""]
    lines += [
        f"Pipeline `{report['pipeline']}` -> `{report['output']}`: {report['rows_in']} rows in, "
        f"{report['rows_out']} kept ({_share(report['rows_out'], report['rows_in'])}).",
        "",
    ]
    lines += [
        "| step | kind | rows in | rows out | removed | removed % | rows/s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for step in steps:
        lines.append(
            f"| {step['name']} | {step['kind']} | {step['rows_in']} | {step['rows_out']} | "
            f"{step['removed']} | {_share(step['removed'], step['rows_in'])} | "
            f"{step['rows_per_second'] or '-'} |"
        )
    lines.append("")
    if steps:
        labels = list(steps[0]["inputs"])
        lines += ["Rows per input after each step:", ""]
        lines += ["| input | rows in | " + " | ".join(s["name"] for s in steps) + " |"]
        lines += ["|---|---:|" + "---:|" * len(steps)]
        for label in labels:
            after = [str(s["inputs"].get(label, {}).get("out", 0)) for s in steps]
            lines.append(f"| {label} | {steps[0]['inputs'][label]['in']} | " + " | ".join(after) + " |")
        lines.append("")
    for step in steps:
        lines += _step_markdown(step)
    return "\n".join(lines).rstrip() + "\n"


def write_reports(report: dict[str, Any], base: Path) -> tuple[Path, Path]:
    """``BASE.json`` and ``BASE.md``, each written atomically."""
    base.parent.mkdir(parents=True, exist_ok=True)
    paths = base.with_name(base.name + ".json"), base.with_name(base.name + ".md")
    for path, text in zip(
        paths,
        (json.dumps(report, ensure_ascii=False, indent=2) + "\n", pipeline_markdown(report)),
        strict=True,
    ):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    return paths
