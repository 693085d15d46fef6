"""The taskembed command: formats in and out, one-line errors, interrupted runs that resume exactly."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from taskembed.cli import main

TEXTS = [
    "The cat sits on the mat.",
    "A dog runs in the park.",
    "",
    "Markets fell sharply today.",
    "Ünïcödé 漢字",
]


def _write_inputs(folder: Path) -> dict[str, Path]:
    paths = {
        "txt": folder / "in.txt",
        "jsonl": folder / "in.jsonl",
        "csv": folder / "in.csv",
        "parquet": folder / "in.parquet",
    }
    paths["txt"].write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    paths["jsonl"].write_text(
        "".join(json.dumps({"doc": f"d{i}", "body": t}) + "\n" for i, t in enumerate(TEXTS)), encoding="utf-8"
    )
    paths["csv"].write_text(
        "doc,body\n" + "".join(f'd{i},"{t}"\n' for i, t in enumerate(TEXTS)), encoding="utf-8"
    )
    pq.write_table(pa.table({"doc": [f"d{i}" for i in range(len(TEXTS))], "body": TEXTS}), paths["parquet"])
    return paths


def _encode(source: Path, output: Path, *args: str) -> int:
    return main(["encode", str(source), "-o", str(output), "--quiet", *args])


@pytest.fixture(scope="module")
def expected(bundled) -> np.ndarray:
    return bundled.encode(TEXTS)


@pytest.mark.parametrize("source", ["txt", "jsonl", "csv", "parquet"])
def test_every_input_format_to_npy(tmp_path, expected, source):
    paths = _write_inputs(tmp_path)
    fields = [] if source == "txt" else ["--text-field", "body"]
    assert main(["encode", str(paths[source]), "-o", str(tmp_path / "out.npy"), "--quiet", *fields]) == 0
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), expected, atol=1e-6)
    assert not (tmp_path / "out.npy.partial").exists()


def test_parquet_output_has_ids_and_vectors(tmp_path, expected):
    paths = _write_inputs(tmp_path)
    out = tmp_path / "out.parquet"
    args = [
        "encode",
        str(paths["jsonl"]),
        "-o",
        str(out),
        "--text-field",
        "body",
        "--id-field",
        "doc",
        "--quiet",
        "--chunk-rows",
        "2",
    ]
    assert main(args) == 0
    table = pq.read_table(out)
    assert table.column("id").to_pylist() == [f"d{i}" for i in range(len(TEXTS))]
    np.testing.assert_allclose(np.array(table.column("embedding").to_pylist()), expected, atol=1e-6)


def test_jsonl_output_with_binary_vectors(tmp_path, bundled):
    paths = _write_inputs(tmp_path)
    out = tmp_path / "out.jsonl"
    assert _encode(paths["txt"], out, "--embedding-type", "ubinary", "--dimensions", "64") == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == list(range(len(TEXTS)))
    np.testing.assert_array_equal(
        np.array([r["embedding"] for r in rows]),
        bundled.encode(TEXTS, dimensions=64, embedding_type="ubinary"),
    )


def test_info_prints_json(capsys):
    assert main(["info", "default"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["dimension"] == 384
    assert info["max_tokens"] == 256


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["encode", "{dir}/missing.txt", "-o", "{dir}/o.npy"], "does not exist"),
        (["encode", "{dir}/in.txt", "-o", "{dir}/o.xlsx"], "cannot write"),
        (["encode", "{dir}/in.jsonl", "-o", "{dir}/o.npy"], "line 1 has no field 'text'"),
        (["encode", "{dir}/in.txt", "-o", "{dir}/o.npy", "--dimensions", "999"], "choose 1..384"),
        (["encode", "{dir}/in.txt", "-o", "{dir}/o.npy", "--task", "query"], "unknown task"),
        (["encode", "{dir}/in.txt", "-o", "{dir}/o.npy", "--model", "{dir}/nope"], "no model folder"),
        (["encode", "{dir}/long.txt", "-o", "{dir}/o.npy", "--no-truncate"], "row 1 of"),
    ],
)
def test_user_errors_print_one_line_and_exit_2(tmp_path, capsys, args, message):
    _write_inputs(tmp_path)
    (tmp_path / "long.txt").write_text("short\n" + "word " * 400 + "\n")
    code = main([a.format(dir=tmp_path) for a in args] + ["--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("taskembed: error: ")
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_existing_output_is_not_overwritten_by_accident(tmp_path, capsys):
    paths = _write_inputs(tmp_path)
    (tmp_path / "o.npy").write_bytes(b"keep me")
    assert main(["encode", str(paths["txt"]), "-o", str(tmp_path / "o.npy"), "--quiet"]) == 2
    assert (tmp_path / "o.npy").read_bytes() == b"keep me"
    assert main(["encode", str(paths["txt"]), "-o", str(tmp_path / "o.npy"), "--quiet", "--overwrite"]) == 0


def test_calibrate_then_encode_int8(tmp_path, bundled):
    paths = _write_inputs(tmp_path)
    ranges = tmp_path / "ranges.json"
    assert main(["calibrate", str(paths["txt"]), "-o", str(ranges), "--dimensions", "384,32"]) == 0
    assert set(json.loads(ranges.read_text())["ranges"]) == {"384", "32"}
    out = tmp_path / "codes.npy"
    args = ("--embedding-type", "uint8", "--dimensions", "32", "--ranges", str(ranges))
    assert _encode(paths["txt"], out, *args) == 0
    codes = np.load(out)
    assert codes.dtype == np.uint8
    assert codes.shape == (len(TEXTS), 32)
    assert codes.min() == 0
    assert codes.max() == 255


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "taskembed.cli", *args]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_interrupted_run_resumes_to_a_byte_identical_file(tmp_path, sig):
    source = tmp_path / "big.txt"
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda"]
    source.write_text("".join(" ".join(words[: 2 + i % 10]) + f" {i}\n" for i in range(1200)))
    common = ["--chunk-rows", "40", "--quiet"]
    reference = tmp_path / "reference.npy"
    assert main(["encode", str(source), "-o", str(reference), *common]) == 0

    output = tmp_path / "resumed.npy"
    process = subprocess.Popen(
        _cli("encode", str(source), "-o", str(output), *common), stderr=subprocess.PIPE
    )
    partial = tmp_path / "resumed.npy.partial"
    deadline = time.monotonic() + 120
    while len(list(partial.glob("chunk-*.npz"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(sig)
    _, err = process.communicate(timeout=60)
    assert not output.exists(), "the run finished before it could be interrupted"
    done = len(list(partial.glob("chunk-*.npz")))
    assert 3 <= done < 30
    if sig == signal.SIGINT:
        assert process.returncode == 130
        assert b"run the same command to resume" in err

    resumed = subprocess.run(
        _cli("encode", str(source), "-o", str(output), *common), check=True, capture_output=True, text=True
    )
    assert f"{done} chunk(s) resumed" in resumed.stdout
    assert output.read_bytes() == reference.read_bytes()
    assert not partial.exists()


def test_resume_with_other_arguments_is_refused(tmp_path, capsys):
    paths = _write_inputs(tmp_path)
    out = tmp_path / "o.npy"
    partial = tmp_path / "o.npy.partial"
    partial.mkdir()
    (partial / "job.json").write_text(json.dumps({"format": 1, "something": "else"}))
    (partial / "chunk-000000.npz").write_bytes(b"finished work of another command")
    assert main(["encode", str(paths["txt"]), "-o", str(out), "--quiet"]) == 2
    assert "unfinished run with other arguments" in capsys.readouterr().err
    assert (partial / "chunk-000000.npz").exists()


def test_a_failed_start_does_not_block_the_corrected_command(tmp_path):
    paths = _write_inputs(tmp_path)
    out = tmp_path / "o.npy"
    assert main(["encode", str(paths["jsonl"]), "-o", str(out), "--quiet"]) == 2  # wrong text field
    assert main(["encode", str(paths["jsonl"]), "-o", str(out), "--quiet", "--text-field", "body"]) == 0


def test_empty_input_gives_an_empty_output_of_the_right_width(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    assert (
        main(
            [
                "encode",
                str(tmp_path / "empty.txt"),
                "-o",
                str(tmp_path / "o.npy"),
                "--quiet",
                "--embedding-type",
                "binary",
            ]
        )
        == 0
    )
    array = np.load(tmp_path / "o.npy")
    assert array.shape == (0, 48)
    assert array.dtype == np.int8


def test_a_folder_output_is_parquet_shards_that_read_as_one_table(tmp_path, expected):
    paths = _write_inputs(tmp_path)
    shards = tmp_path / "shards"
    args = ("--text-field", "body", "--id-field", "doc", "--chunk-rows", "2")
    assert _encode(paths["jsonl"], shards, *args) == 0
    names = sorted(p.name for p in shards.iterdir())
    assert names == ["_SUCCESS", "_taskembed_job.json", *(f"part-{i:06d}.parquet" for i in range(3))]
    assert pq.read_table(shards / "part-000001.parquet").column("id").to_pylist() == ["d2", "d3"]
    table = pq.ParquetDataset(shards).read()  # the "_" files are skipped, as by Spark and DuckDB
    assert table.column("id").to_pylist() == [f"d{i}" for i in range(len(TEXTS))]
    np.testing.assert_allclose(np.array(table.column("embedding").to_pylist()), expected, atol=1e-6)
    assert json.loads((shards / "_taskembed_job.json").read_text())["chunk_rows"] == 2


def test_a_folder_output_is_never_someone_elses_folder(tmp_path, capsys):
    paths = _write_inputs(tmp_path)
    mine = tmp_path / "photos"
    mine.mkdir()
    (mine / "holiday.jpg").write_bytes(b"precious")
    assert _encode(paths["txt"], mine, "--overwrite") == 2
    assert "did not write" in capsys.readouterr().err
    assert (mine / "holiday.jpg").read_bytes() == b"precious"
    (tmp_path / "a-file").write_text("x")
    assert _encode(paths["txt"], tmp_path / "a-file") == 2
    assert "is not a folder" in capsys.readouterr().err


def test_a_finished_folder_is_replaced_only_with_overwrite(tmp_path, capsys):
    paths = _write_inputs(tmp_path)
    shards = tmp_path / "shards"
    assert _encode(paths["txt"], shards, "--chunk-rows", "2") == 0
    assert _encode(paths["txt"], shards, "--chunk-rows", "2") == 2
    assert "holds a finished run; pass --overwrite" in capsys.readouterr().err
    assert _encode(paths["txt"], shards, "--chunk-rows", "5", "--overwrite") == 0
    assert sorted(p.name for p in shards.glob("part-*")) == ["part-000000.parquet"]
    assert pq.ParquetDataset(shards).read().num_rows == len(TEXTS)


def test_ray_flags_need_the_ray_engine(tmp_path, capsys):
    paths = _write_inputs(tmp_path)
    assert _encode(paths["txt"], tmp_path / "o.npy", "--num-workers", "2") == 2
    assert "--num-workers is for --engine ray" in capsys.readouterr().err


def test_over_long_rows_are_named_by_their_id(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    rows = [{"id": "short", "text": "ok"}, {"id": "huge", "text": "w " * 900}]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert _encode(source, tmp_path / "o.npy", "--id-field", "id", "--no-truncate") == 2
    assert "row huge of" in capsys.readouterr().err


def test_a_folder_of_files_reads_as_one_input_in_name_order(tmp_path, expected):
    folder = tmp_path / "corpus"
    folder.mkdir()
    lines = [json.dumps({"body": text}) + "\n" for text in TEXTS]
    (folder / "part-00001.jsonl").write_text("".join(lines[3:]), encoding="utf-8")
    (folder / "part-00000.jsonl").write_text("".join(lines[:3]), encoding="utf-8")
    (folder / "_SUCCESS").write_text("")
    (folder / ".hidden.jsonl").write_text("not json")
    out = tmp_path / "o.jsonl"
    assert _encode(folder, out, "--text-field", "body", "--chunk-rows", "2") == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["id"] for row in rows] == list(range(len(TEXTS)))  # row numbers run across the files
    np.testing.assert_allclose(np.array([row["embedding"] for row in rows]), expected, atol=1e-6)


def test_an_input_folder_is_fingerprinted_by_its_data_files():
    import tempfile

    from taskembed.bulk import _input_fingerprint
    from taskembed.io.readers import InputSpec

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "a.txt").write_text("one\ntwo\n")
        spec = InputSpec(folder)
        first = _input_fingerprint(spec)
        assert _input_fingerprint(spec) == first
        (folder / "_SUCCESS").write_text("")  # not data: the same input
        assert _input_fingerprint(spec) == first
        (folder / "b.txt").write_text("three\n")
        second = _input_fingerprint(spec)
        assert second != first
        (folder / "a.txt").write_text("one\ntwo\nthree\n")
        assert _input_fingerprint(spec) != second


@pytest.mark.parametrize(
    ("files", "message"),
    [({}, "holds no data files"), ({"a.txt": "x\n", "b.jsonl": "{}\n"}, "holds .jsonl, .txt files")],
)
def test_an_input_folder_must_hold_one_kind_of_file(tmp_path, capsys, files, message):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    assert _encode(folder, tmp_path / "o.npy") == 2
    assert message in capsys.readouterr().err
