"""jina-embeddings v1 layout: a sentence-transformers folder whose Transformer is T5 (encoder only).

sentence-transformers is the reference: it loads T5 configs as ``T5EncoderModel`` and ignores the
decoder weights, and so must taskembed.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

import taskembed
from taskembed.models.resolve import bundled_model_dir

TEXTS = ["The cat sits on the mat.", "A dog runs in the park.", "Markets fell sharply today, again."]


@pytest.fixture(scope="module")
def t5_folder(tmp_path_factory):
    from transformers import T5Config, T5Model

    folder = tmp_path_factory.mktemp("t5-v1")
    torch.manual_seed(0)
    config = T5Config(
        vocab_size=30522, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=1, num_heads=4
    )
    T5Model(config).save_pretrained(folder)  # encoder and decoder weights, as the published files
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        shutil.copy(bundled_model_dir() / name, folder / name)
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 32, "pooling_mode_mean_tokens": True})
    )
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 512}))
    return folder


def test_t5_folder_equals_sentence_transformers(t5_folder):
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(t5_folder), device="cpu").encode(TEXTS, convert_to_numpy=True)
    model = taskembed.load(str(t5_folder))
    assert model.info.max_tokens == 512 and model.info.dimension == 32
    got = model.encode(TEXTS, normalized=False)
    cosines = (
        np.sum(got * reference, axis=1) / np.linalg.norm(got, axis=1) / np.linalg.norm(reference, axis=1)
    )
    assert cosines.min() >= 0.99999
    np.testing.assert_allclose(got, reference, rtol=1e-4, atol=1e-5)


def test_t5_mixed_batch_equals_one_at_a_time(t5_folder):
    model = taskembed.load(str(t5_folder))
    batch = model.encode(TEXTS)
    alone = np.stack([model.encode([text])[0] for text in TEXTS])
    np.testing.assert_allclose(batch, alone, atol=1e-5)
