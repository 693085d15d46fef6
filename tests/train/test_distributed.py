from __future__ import annotations

import json
import socket
from pathlib import Path

import torch.multiprocessing as mp
from tests.train.gather_worker import gather_and_backpropagate

from taskembed.train.distributed import World, gather_with_grad, rank_slice


def test_rank_slices_cover_the_batch_in_order() -> None:
    for count, size in ((8, 2), (9, 2), (10, 3), (2, 4)):
        slices = [rank_slice(count, World(rank, size)) for rank in range(size)]
        covered = [i for part in slices for i in range(count)[part]]
        assert covered == list(range(count))
        assert max(s.stop - s.start for s in slices) - min(s.stop - s.start for s in slices) <= 1


def test_gather_with_grad_is_identity_in_one_process() -> None:
    import torch

    rows = torch.ones(2, 3)
    assert gather_with_grad(rows, World()) is rows


def test_gather_with_grad_across_two_gloo_processes(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mp.start_processes(gather_and_backpropagate, args=(port, str(tmp_path)), nprocs=2, start_method="spawn")
    results = [json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in (0, 1)]
    assert results[0]["gathered"] == results[1]["gathered"] == [1.0, 1.0, 2.0, 2.0]
    # every rank's loss weighs gathered row r by r, so the gradient of a rank's own rows sums both losses
    assert results[0]["grad"] == [0.0 * 2, 1.0 * 2]
    assert results[1]["grad"] == [2.0 * 2, 3.0 * 2]
