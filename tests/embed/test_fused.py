"""The fused bfloat16 graph (embed/fused.py) against sentence-transformers' own float32 encode."""
import copy
import json
import shutil

import numpy as np
import pytest

from topicstance.embed import fused
from topicstance.embed.light import BatchTokenizer, load_transformer, read_layout
from topicstance.embed.model import load_sentence_transformer, resolve_model_path

TEXTS = [
    "Short one.",
    "Troops withdrew from the city after weeks of heavy shelling, officials said on Monday.",
    "The central bank raised interest rates by a quarter point, its third rise this year, citing "
    "stubborn inflation in services and a labour market that remains tight despite slower growth.",
    "Drone strikes hit an oil depot near the border overnight.",
    "A new smartphone with a folding screen goes on sale next month. " * 20,  # longer than max_seq_length
]


@pytest.fixture(scope="module")
def parts():
    import torch

    layout = read_layout(resolve_model_path("all-MiniLM-L6-v2"))
    model = load_transformer(layout)
    return layout, BatchTokenizer(layout), model, copy.deepcopy(model).to(torch.bfloat16)


def _unit(v):
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_fused_matches_sentence_transformers_float32_row_for_row(parts):
    layout, tok, _, bf = parts
    enc = fused.build(tok, bf, layout.pooling)
    assert isinstance(enc, fused.FusedEncoder)
    ref = load_sentence_transformer("all-MiniLM-L6-v2").encode(TEXTS, normalize_embeddings=True, batch_size=2)
    got = _unit(enc.encode(TEXTS, batch_size=2))  # several batches, several padded lengths
    assert got.shape == ref.shape
    assert np.min(np.sum(ref * got, axis=1)) >= 0.995


def test_the_own_encoder_runs_fused_as_it_is_and_another_model_is_traced(parts):
    import torch
    from transformers import AutoModel

    layout, tok, _, bf = parts
    assert fused.build(tok, bf, layout.pooling).kernel == "fused-eager"
    other = AutoModel.from_pretrained(str(layout.path), local_files_only=True).eval().to(torch.bfloat16)
    enc = fused.build(tok, other, layout.pooling)  # transformers' own class: the traced graph
    assert enc.kernel == "fused-jit"
    ref = load_sentence_transformer("all-MiniLM-L6-v2").encode(TEXTS, normalize_embeddings=True, batch_size=2)
    assert np.min(np.sum(ref * _unit(enc.encode(TEXTS, batch_size=2)), axis=1)) >= 0.995


def test_eager_float32_equals_sentence_transformers(parts):
    layout, tok, model, _ = parts
    ref = load_sentence_transformer("all-MiniLM-L6-v2").encode(TEXTS, normalize_embeddings=True, batch_size=2)
    got = _unit(fused.eager(tok, model, layout.pooling).encode(TEXTS, batch_size=2))
    assert np.min(np.sum(ref * got, axis=1)) >= 0.99999


def test_fused_keeps_input_order(parts):
    layout, tok, _, bf = parts
    enc = fused.build(tok, bf, layout.pooling)
    a = enc.encode(TEXTS, batch_size=3)
    perm = [4, 0, 3, 1, 2]
    b = enc.encode([TEXTS[i] for i in perm], batch_size=3)
    assert np.allclose(a[perm], b, atol=1e-2)


def test_unsupported_pooling_is_not_the_common_layout(tmp_path):
    src = resolve_model_path("all-MiniLM-L6-v2")
    dst = tmp_path / "m"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("model.safetensors"))
    assert read_layout(dst).pooling == "mean"
    cfg = dst / "1_Pooling" / "config.json"
    c = json.loads(cfg.read_text())
    c["pooling_mode_mean_tokens"], c["pooling_mode_max_tokens"] = False, True
    cfg.write_text(json.dumps(c))
    assert read_layout(dst) is None
