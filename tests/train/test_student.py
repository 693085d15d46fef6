from __future__ import annotations

import copy

import numpy as np
import torch

import taskembed
from taskembed.train.config import StudentConfig
from taskembed.train.student import backbone_model, build_student


def test_layer_subset_equals_the_same_layers_run_by_hand(bundled: taskembed.Embedder) -> None:
    student = build_student(StudentConfig(model="default", layers=[0, 2, 4]), seed=0)
    model = backbone_model(student)
    assert model.config.num_hidden_layers == 3 and len(model.encoder.layer) == 3
    reference = copy.deepcopy(backbone_model(bundled.model))
    reference.encoder.layer = torch.nn.ModuleList([reference.encoder.layer[i] for i in (0, 2, 4)])
    reference.config.num_hidden_layers = 3
    tokens = bundled.model.tokenizer.tokenize(["a cut-down model"], limit=256, truncate=False).ids[0]
    ids = torch.from_numpy(tokens).unsqueeze(0)
    with torch.inference_mode():
        ours = student.backbone(ids, torch.ones_like(ids))
        theirs = reference(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state
    assert torch.allclose(ours, theirs, atol=1e-6)
    full = bundled.encode(["a cut-down model"])
    cut = taskembed.Embedder(student).encode(["a cut-down model"])
    assert not np.allclose(full, cut, atol=1e-3)  # a different (smaller) model


def test_random_student_from_architecture(tiny_bert_dir) -> None:
    config = StudentConfig(
        architecture={
            "model_type": "bert",
            "hidden_size": 8,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 16,
        },
        tokenizer=str(tiny_bert_dir),
        pooling="cls",
        max_tokens=32,
    )
    one, two = build_student(config, seed=4), build_student(config, seed=4)
    assert one.info.dimension == 8 and one.info.max_tokens == 32 and one.pooling[0].value == "cls"
    assert all(
        torch.equal(a, b)
        for a, b in zip(one.backbone.state_dict().values(), two.backbone.state_dict().values(), strict=True)
    )
    grads = {name: p.requires_grad for name, p in one.backbone.named_parameters()}
    assert all(flag for name, flag in grads.items() if not name.startswith("model.pooler."))
    assert not grads["model.pooler.dense.weight"]  # unused by sentence embeddings: frozen


def test_freeze_prefixes(tiny_bert_dir) -> None:
    import pytest

    from taskembed.errors import InputError

    config = StudentConfig(model=str(tiny_bert_dir), freeze=["embeddings.", "encoder.layer.0."])
    student = build_student(config, seed=0)
    grads = {name.removeprefix("model."): p.requires_grad for name, p in student.backbone.named_parameters()}
    assert not grads["embeddings.word_embeddings.weight"] and not grads["encoder.layer.0.output.dense.weight"]
    assert grads["encoder.layer.1.output.dense.weight"]
    with pytest.raises(InputError, match=r"student.freeze \['encoder.layers.0.'\] matches no parameter"):
        build_student(StudentConfig(model=str(tiny_bert_dir), freeze=["encoder.layers.0."]), seed=0)
