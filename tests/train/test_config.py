from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tests.train.conftest import ConfigFactory

from taskembed.errors import InputError
from taskembed.train import load_config, parse_config


def test_toml_and_yaml_give_the_same_config(tmp_path: Path, pairs_file: Path) -> None:
    (tmp_path / "data.jsonl").write_text(pairs_file.read_text())
    toml = tmp_path / "run.toml"
    toml.write_text(
        'output = "out"\n[student]\nmodel = "default"\nlayers = [0, 2, 4]\n'
        '[[data]]\npath = "data.jsonl"\nfields = ["anchor", "positive"]\nweight = 2.0\n'
        "[train]\nsteps = 10\n"
    )
    raw = {
        "output": "out",
        "student": {"model": "default", "layers": [0, 2, 4]},
        "data": [{"path": "data.jsonl", "fields": ["anchor", "positive"], "weight": 2.0}],
        "train": {"steps": 10},
    }
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(raw))
    from_toml, from_yaml = load_config(toml), load_config(tmp_path / "run.yaml")
    assert from_toml == from_yaml
    assert from_toml.output == tmp_path / "out"  # relative to the config file
    assert from_toml.data[0].path == tmp_path / "data.jsonl"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"train": {"steps": 10, "learnig_rate": 1e-4}},
            "train.learnig_rate: Extra inputs are not permitted",
        ),
        ({"train": {"steps": 10, "epochs": 1}}, "exactly one of train.steps or train.epochs"),
        ({"train": {"steps": -1}}, "train.steps: Input should be greater than 0"),
        ({"student": {"model": "default", "architecture": {"model_type": "bert"}}}, "exactly one of student"),
        ({"distill": {"dimensions": [8, 4], "dimension_weights": [1.0]}}, "one weight per entry"),
        ({"stage": "adapters"}, "stage: Input should be 'distill'"),
    ],
)
def test_bad_configs_name_the_key(make_config: ConfigFactory, change: dict, message: str) -> None:
    raw = make_config()
    raw.update(change)
    with pytest.raises(InputError, match=message.replace(".", r"\.").replace("(", r"\(")):
        parse_config(raw, "run.toml")


def test_missing_data_file_and_bad_suffix(make_config: ConfigFactory, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        parse_config(make_config(data=[{"path": str(tmp_path / "nope.jsonl"), "fields": ["text"]}]))
    (tmp_path / "run.json").write_text("{}")
    with pytest.raises(InputError, match=r"must be \.toml, \.yaml or \.yml"):
        load_config(tmp_path / "run.json")
