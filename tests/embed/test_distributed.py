"""The Dask engine: a real local cluster with two worker processes."""
import numpy as np

from topicstance.embed.cache import EmbeddingCache
from topicstance.embed.encoder import Embedder
from topicstance.embed.distributed import encode_dask
from topicstance.params import EmbedParams

TEXTS = [f"Report {i}: officials in Kyiv said {i} drones were shot down overnight near the border." for i in range(24)]
TEXTS += ["The league title was decided on the final day.", "Interest rates were left unchanged."] * 3


def test_dask_run_matches_local_run_and_shares_the_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("TOPICSTANCE_CACHE", raising=False)
    local = Embedder(cache_dir=tmp_path / "local", show_progress=False)
    v_local = local.encode(TEXTS)
    assert local.stats.misses == len(set(TEXTS))

    p = EmbedParams(engine="dask", workers=2, cache_dir=str(tmp_path / "dask"))
    v_dask, stats = encode_dask(TEXTS, p, batch=5)
    assert stats["workers"] == 2
    assert stats["misses"] == stats["encoded_by_workers"] == len(set(TEXTS))
    cos = np.sum(v_local * v_dask, axis=1)
    assert float(cos.min()) >= 0.9999

    # the workers wrote into the shared cache: a local run on it encodes nothing
    again = Embedder(cache_dir=tmp_path / "dask", show_progress=False)
    again.encode(TEXTS)
    assert (again.stats.hits, again.stats.misses) == (len(set(TEXTS)), 0)
    assert EmbeddingCache(tmp_path / "dask" / "embeddings.sqlite").integrity_ok()
