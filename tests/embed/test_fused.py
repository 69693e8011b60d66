"""The fused bfloat16 graph (embed/fused.py) against sentence-transformers' own float32 encode."""
import copy

import numpy as np
import pytest

from topicstance.embed import fused
from topicstance.embed.model import load_sentence_transformer

TEXTS = [
    "Short one.",
    "Troops withdrew from the city after weeks of heavy shelling, officials said on Monday.",
    "The central bank raised interest rates by a quarter point, its third rise this year, citing "
    "stubborn inflation in services and a labour market that remains tight despite slower growth.",
    "Drone strikes hit an oil depot near the border overnight.",
    "A new smartphone with a folding screen goes on sale next month. " * 20,  # longer than max_seq_length
]


@pytest.fixture(scope="module")
def models():
    import torch

    st = load_sentence_transformer("all-MiniLM-L6-v2").eval()
    return st, copy.deepcopy(st).to(torch.bfloat16)


def _unit(v):
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_fused_matches_float32_encode_row_for_row(models):
    st, bf = models
    enc = fused.build(bf)
    assert enc is not None
    ref = st.encode(TEXTS, normalize_embeddings=True, batch_size=2)
    got = _unit(enc.encode(TEXTS, batch_size=2))  # several batches, several padded lengths
    assert got.shape == ref.shape
    assert np.min(np.sum(ref * got, axis=1)) >= 0.995


def test_fused_keeps_input_order(models):
    _, bf = models
    enc = fused.build(bf)
    a = enc.encode(TEXTS, batch_size=3)
    perm = [4, 0, 3, 1, 2]
    b = enc.encode([TEXTS[i] for i in perm], batch_size=3)
    assert np.allclose(a[perm], b, atol=1e-2)


def test_unsupported_pooling_falls_back():
    from sentence_transformers import SentenceTransformer, models as stm

    st = load_sentence_transformer("all-MiniLM-L6-v2")
    max_pool = SentenceTransformer(modules=[st[0], stm.Pooling(st[0].get_word_embedding_dimension(), "max")],
                                   device="cpu")
    assert fused.pooling_mode(st) == "mean"
    assert fused.pooling_mode(max_pool) is None
    assert fused.build(max_pool) is None
