import numpy as np
import pytest

from topicstance.embed.encoder import Embedder
from topicstance.embed.model import cpu_supports_bf16, resolve_model_path
from topicstance.errors import ParamsError

TEXTS = ["Russian missiles struck Kyiv overnight.", "The central bank held interest rates.",
         "Russian missiles struck Kyiv overnight.", "A new phone goes on sale."]


def test_vectors_are_float32_unit_norm_and_cached(tmp_path):
    e = Embedder(precision="float32", cache_dir=tmp_path, show_progress=False)
    v = e.encode(TEXTS)
    assert v.dtype == np.float32 and v.shape == (4, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(v[0], v[2])
    assert (e.stats.hits, e.stats.misses) == (0, 3)
    e2 = Embedder(precision="float32", cache_dir=tmp_path, show_progress=False)
    v2 = e2.encode(TEXTS)
    assert (e2.stats.hits, e2.stats.misses) == (3, 0)
    assert np.array_equal(v, v2)


def test_precision_is_part_of_the_cache_key(tmp_path):
    a = Embedder(precision="float32", cache_dir=tmp_path, show_progress=False)
    a.encode(TEXTS[:1])
    b = Embedder(precision="bfloat16", cache_dir=tmp_path, show_progress=False)
    b.encode(TEXTS[:1])
    assert b.stats.misses == 1


def test_bfloat16_is_close_to_float32(tmp_path):
    a = Embedder(precision="float32", cache_dir=None, show_progress=False).encode(TEXTS)
    b = Embedder(precision="bfloat16", cache_dir=None, show_progress=False).encode(TEXTS)
    assert float(np.min(np.sum(a * b, axis=1))) >= 0.995


def test_auto_precision_records_what_it_used(tmp_path):
    e = Embedder(precision="auto", cache_dir=tmp_path, show_progress=False)
    e.encode(TEXTS)
    expected = "bfloat16" if cpu_supports_bf16() else "float32"
    assert e.stats.precision == expected
    if expected == "bfloat16":
        assert e.stats.parity_min_cosine >= 0.995


def test_the_parity_checks_rows_are_used_not_encoded_again(tmp_path, monkeypatch):
    # auto on a CPU that reports bfloat16 units (forced, so the path runs on every machine: without
    # the units bfloat16 is emulated, slowly, but gives the same rows)
    monkeypatch.setattr("topicstance.embed.encoder.cpu_supports_bf16", lambda: True)
    texts = [f"{t} ({i})" for i, t in enumerate(TEXTS * 12)]  # 48 distinct: 32 in the check, 16 more
    e = Embedder(precision="auto", cache_dir=tmp_path, show_progress=False, parity_sample=32)
    v = e.encode(texts)
    assert e.stats.precision == "bfloat16"
    assert e.stats.extra["rows_from_parity_check"] == 32
    again = e._encoder("bfloat16").encode(texts)  # the same encoder, every row encoded now
    assert np.min(np.sum(v * again / np.linalg.norm(again, axis=1, keepdims=True), axis=1)) > 0.999


def test_env_var_overrides_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TOPICSTANCE_CACHE", str(tmp_path / "envcache"))
    Embedder(precision="float32", cache_dir=tmp_path / "param", show_progress=False).encode(TEXTS[:1])
    assert (tmp_path / "envcache" / "embeddings.sqlite").exists()
    assert not (tmp_path / "param").exists()


def test_unknown_model_fails_at_once_and_says_how_to_fix():
    with pytest.raises(ParamsError, match="local"):
        resolve_model_path("some-org/not-a-local-model")


def test_packaged_model_resolves_to_a_local_folder():
    p = resolve_model_path("all-MiniLM-L6-v2")
    assert (p / "model.safetensors").exists()


def test_bfloat16_uses_the_fused_encoder_for_the_default_model(tmp_path):
    e = Embedder(precision="bfloat16", cache_dir=tmp_path, show_progress=False)
    e.encode(["The striker scored twice in the second half.", "Parliament rejected the budget."])
    assert e.stats.as_dict()["bf16_kernel"] == "fused-eager"
