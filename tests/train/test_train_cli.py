from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from tests.train.conftest import ConfigFactory, losses

from taskembed.cli import main


def test_train_command_runs_refuses_a_second_start_and_resumes(
    make_config: ConfigFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = make_config(train={"steps": 4, "gradient_checkpointing": True, "precision": "fp32"})
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert main(["train", str(path)]) == 0
    assert "wrote" in capsys.readouterr().out
    output = Path(raw["output"])
    assert [step for step, _ in losses(output)] == [1, 2, 3, 4]
    assert main(["train", str(path)]) == 2
    assert "pass --resume to continue it or --overwrite" in capsys.readouterr().err
    assert main(["train", str(path), "--resume"]) == 0  # already finished: writes the model again
    assert main(["train", str(path), "--overwrite"]) == 0
    assert json.loads((output / "model" / "taskembed.json").read_text())["training"]["steps"] == 4


def test_train_command_reports_config_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('output = "x"\n[student]\nmodel = "default"\n[train]\nstep = 3\n')
    assert main(["train", str(path)]) == 2
    error = capsys.readouterr().err
    assert "is not a valid training config" in error and "data: Field required" in error
    assert "train.step: Extra inputs are not permitted" in error
