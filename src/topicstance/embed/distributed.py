"""Embedding on a Dask distributed cluster (``embed.engine: dask``).

The driver decides the precision once (the same parity check as the local
engine), splits the cache misses into batches and sends them to the workers.
Each worker keeps one :class:`Embedder` alive and writes its vectors into the
shared, content-addressed SQLite cache (safe under concurrent writers), so a
re-run finds them whether it runs locally or on the cluster.

``TOPICSTANCE_DASK_SCHEDULER=tcp://host:8786`` points the stage at a running
cluster; without it a local cluster of ``embed.workers`` worker processes is
started for the run and shut down after it.

**Threads.** As in the local engine, torch's own thread count is the user's: on
a local cluster the driver's ``torch.get_num_threads()`` (``OMP_NUM_THREADS``,
or ``torch.set_num_threads`` called before the run) is shared among the
workers, so they use that many threads together (at least one each). The
workers of a running cluster (or of a ``client`` passed in) keep their own
setting (Dask starts worker processes with ``OMP_NUM_THREADS=1`` unless its
``distributed.nanny.pre-spawn-environ`` config says otherwise).

**Device.** Every worker's :class:`Embedder` gets ``embed.device``, resolved
on the worker (``auto``: its CUDA GPU when torch sees one); the driver resolves
it too, so an unavailable ``cuda`` is a one-line error before any cluster starts.
The stats name the threads and device each worker used.
"""
from __future__ import annotations

import os
import time

import numpy as np

from ..params import EmbedParams

_WORKER_EMBEDDERS: dict = {}


def worker_threads(n_workers: int, local: bool) -> int | None:
    """Torch threads per worker (module doc): a local cluster shares the driver's own torch thread
    count among its ``n_workers``; None (the workers' own setting) for a running cluster."""
    if not local:
        return None
    import torch

    return max(1, torch.get_num_threads() // max(1, n_workers))


def _worker_encode(texts: list[str], model: str, precision: str, batch_size: int, cache_dir: str | None,
                   device: str, threads: int | None) -> tuple[np.ndarray, int, dict]:
    """On a worker: encode ``texts`` with its one Embedder; returns the vectors, the number it
    encoded (cache misses) and the threads and device it ran with."""
    import torch

    from .encoder import Embedder

    key = (model, precision, batch_size, cache_dir, device)
    emb = _WORKER_EMBEDDERS.get(key)
    if emb is None:
        emb = Embedder(model=model, precision=precision, batch_size=batch_size, cache_dir=cache_dir,
                       show_progress=False, device=device)
        _WORKER_EMBEDDERS[key] = emb
    if threads is not None:
        torch.set_num_threads(threads)
    before = emb.stats.misses
    v = emb.encode(texts)
    return v, emb.stats.misses - before, {"threads": torch.get_num_threads(), "device": emb.device_}


def encode_dask(texts: list[str], p: EmbedParams, *, client=None, batch: int = 256) -> tuple[np.ndarray, dict]:
    from distributed import Client, LocalCluster

    from .encoder import Embedder, cache_dir_from

    t0 = time.perf_counter()
    driver = Embedder(model=p.model, precision=p.precision, batch_size=p.batch_size, cache_dir=p.cache_dir,
                      parity_min_cosine=p.parity_min_cosine, parity_sample=p.parity_sample, show_progress=False,
                      device=p.device)
    driver.device_  # an unavailable cuda fails here, before a cluster starts
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
        threads = worker_threads(n_workers, local=own_cluster is not None)
        # longest first, so batches hold texts of similar length
        order = sorted(misses, key=len, reverse=True)
        parts = [order[i:i + batch] for i in range(0, len(order), batch)]
        futures = [client.submit(_worker_encode, part, p.model, precision, p.batch_size, cache_str, p.device,
                                 threads, pure=False) for part in parts]
        results = client.gather(futures)
    finally:
        if own_cluster is not None:
            client.close()
            own_cluster.close()
    vecs = dict(cached)
    encoded = 0
    ran = set()
    for part, (v, n_enc, how) in zip(parts, results):
        encoded += n_enc
        ran.add((how["threads"], how["device"]))
        for t, row in zip(part, v):
            vecs[t] = row
    out = np.stack([vecs[t] for t in texts]).astype(np.float32) if texts else np.zeros((0, driver.info.dimension),
                                                                                      dtype=np.float32)
    stats = {"n_texts": len(texts), "n_unique": len(uniq), "hits": len(uniq) - len(misses), "misses": len(misses),
             "encoded_by_workers": encoded, "precision": precision, "parity_min_cosine": driver.stats.parity_min_cosine,
             "encode_seconds": time.perf_counter() - t0, "load_seconds": driver.stats.load_seconds,
             "workers": n_workers, "device": driver.device_,
             "worker_threads": sorted({t for t, _ in ran}), "worker_devices": sorted({d for _, d in ran})}
    driver.cache.close()
    return out, stats
