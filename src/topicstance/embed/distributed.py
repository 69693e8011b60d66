"""Embedding on a Dask distributed cluster (``embed.engine: dask``).

The driver decides the precision once (the same parity check as the local
engine), splits the cache misses into batches and sends them to the workers.
Each worker keeps one :class:`Embedder` alive and writes its vectors into the
shared, content-addressed SQLite cache (safe under concurrent writers), so a
re-run finds them whether it runs locally or on the cluster.

``TOPICSTANCE_DASK_SCHEDULER=tcp://host:8786`` points the stage at a running
cluster; without it a local cluster of ``embed.workers`` single-threaded
worker processes is started for the run and shut down after it.
"""
from __future__ import annotations

import os
import time

import numpy as np

from ..params import EmbedParams

_WORKER_EMBEDDERS: dict = {}


def _worker_encode(texts: list[str], model: str, precision: str, batch_size: int, cache_dir: str | None,
                   threads: int) -> tuple[np.ndarray, int]:
    from .encoder import Embedder

    key = (model, precision, batch_size, cache_dir)
    emb = _WORKER_EMBEDDERS.get(key)
    if emb is None:
        import torch

        torch.set_num_threads(threads)
        emb = Embedder(model=model, precision=precision, batch_size=batch_size, cache_dir=cache_dir,
                       show_progress=False)
        emb._model = _pin_threads(emb._model, threads)
        _WORKER_EMBEDDERS[key] = emb
    before = emb.stats.misses
    v = emb.encode(texts)
    return v, emb.stats.misses - before


def _pin_threads(fn, threads):
    def wrapped():
        import torch

        m = fn()
        torch.set_num_threads(threads)
        return m

    return wrapped


def encode_dask(texts: list[str], p: EmbedParams, *, client=None, batch: int = 256) -> tuple[np.ndarray, dict]:
    from distributed import Client, LocalCluster

    from .encoder import Embedder, cache_dir_from

    t0 = time.perf_counter()
    driver = Embedder(model=p.model, precision=p.precision, batch_size=p.batch_size, cache_dir=p.cache_dir,
                      parity_min_cosine=p.parity_min_cosine, parity_sample=p.parity_sample, show_progress=False)
    uniq = list(dict.fromkeys(texts))
    precision, cached, misses = driver.resolve(uniq)
    cache_dir = cache_dir_from(p.cache_dir)
    cache_str = None if cache_dir is None else str(cache_dir.resolve())
    own_cluster = None
    if client is None:
        address = os.environ.get("TOPICSTANCE_DASK_SCHEDULER")
        if address:
            client = Client(address)
        else:
            own_cluster = LocalCluster(n_workers=p.workers, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40)
            client = Client(own_cluster)
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})) or p.workers)
        threads = max(1, (os.cpu_count() or 1) // n_workers)
        # longest first, so batches hold texts of similar length
        order = sorted(misses, key=len, reverse=True)
        parts = [order[i:i + batch] for i in range(0, len(order), batch)]
        futures = [client.submit(_worker_encode, part, p.model, precision, p.batch_size, cache_str, threads,
                                 pure=False) for part in parts]
        results = client.gather(futures)
    finally:
        if own_cluster is not None:
            client.close()
            own_cluster.close()
    vecs = dict(cached)
    encoded = 0
    for part, (v, n_enc) in zip(parts, results):
        encoded += n_enc
        for t, row in zip(part, v):
            vecs[t] = row
    out = np.stack([vecs[t] for t in texts]).astype(np.float32) if texts else np.zeros((0, driver.info.dimension),
                                                                                      dtype=np.float32)
    stats = {"n_texts": len(texts), "n_unique": len(uniq), "hits": len(uniq) - len(misses), "misses": len(misses),
             "encoded_by_workers": encoded, "precision": precision, "parity_min_cosine": driver.stats.parity_min_cosine,
             "encode_seconds": time.perf_counter() - t0, "load_seconds": driver.stats.load_seconds,
             "workers": n_workers}
    driver.cache.close()
    return out, stats
