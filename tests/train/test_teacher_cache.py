from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from taskembed.train import teacher_cache
from taskembed.train.teacher_cache import TeacherCache


def _embed(calls: list[int]):
    def embed(texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        return np.asarray([[len(t), ord(t[-1])] for t in texts], dtype=np.float32)

    return embed


def test_computed_once_then_read_from_disk(tmp_path: Path) -> None:
    calls: list[int] = []
    texts = ["alpha", "beta", "alpha", "gamma"]
    cache = TeacherCache(tmp_path, {"model": "m", "prompt": None})
    assert cache.fill(texts, _embed(calls), progress=False) == 3
    again = TeacherCache(tmp_path, {"model": "m", "prompt": None})
    assert again.fill([*texts, "delta"], _embed(calls), progress=False) == 1
    assert calls == [3, 1]
    assert np.array_equal(again.vectors(["gamma", "alpha"]), [[5, ord("a")], [5, ord("a")]])
    assert np.array_equal(again.vectors(["delta"]), [[5, ord("a")]])
    other = TeacherCache(tmp_path, {"model": "m", "prompt": "Query: "})  # another setup, another folder
    assert len(other) == 0 and other.folder != again.folder


def test_an_interrupted_fill_keeps_finished_shards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(teacher_cache, "SHARD_ROWS", 2)
    texts = [f"text {i}" for i in range(7)]
    calls: list[int] = []
    embed = _embed(calls)

    def failing(chunk: list[str]) -> np.ndarray:
        if len(calls) == 2:
            raise KeyboardInterrupt
        return embed(chunk)

    with pytest.raises(KeyboardInterrupt):
        TeacherCache(tmp_path, {"model": "m"}).fill(texts, failing, progress=False)
    resumed = TeacherCache(tmp_path, {"model": "m"})
    assert len(resumed) == 4
    assert resumed.fill(texts, embed, progress=False) == 3
    assert len(resumed) == 7 and resumed.vectors(texts).shape == (7, 2)
