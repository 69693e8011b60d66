"""The Dask engine: real local clusters of worker processes."""
import numpy as np
import pytest

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


def test_local_cluster_workers_keep_the_users_torch_threads_and_run_on_embed_device(tmp_path, monkeypatch):
    """A real one-worker local cluster; the worker reports the threads and device it encoded with."""
    import torch

    monkeypatch.delenv("TOPICSTANCE_CACHE", raising=False)
    saved = torch.get_num_threads()
    torch.set_num_threads(1)  # the user's own setting, below what the machine has (os.cpu_count() >= 2)
    try:
        p = EmbedParams(engine="dask", workers=1, cache_dir=str(tmp_path / "c"), device="cpu")
        v, stats = encode_dask(TEXTS[:4], p, batch=2)
    finally:
        torch.set_num_threads(saved)
    assert stats["encoded_by_workers"] == 4 and v.shape[0] == 4
    assert stats["worker_threads"] == [1]  # not os.cpu_count() // workers
    assert stats["worker_devices"] == ["cpu"] and stats["device"] == "cpu"


def test_an_unavailable_cuda_device_fails_before_a_cluster_starts(tmp_path):
    import torch

    from topicstance.errors import ParamsError

    assert not torch.cuda.is_available()  # these machines have no GPU
    with pytest.raises(ParamsError, match=r"embed\.device: cuda"):
        encode_dask(TEXTS[:2], EmbedParams(engine="dask", workers=1, cache_dir=str(tmp_path / "c"), device="cuda"))
