"""The embed stage: chunks.parquet -> embeddings folder."""
from __future__ import annotations

import time
from pathlib import Path

from .. import schema
from ..chunk import check_chunker
from ..io import check_outputs, writes
from ..params import EmbedParams
from .encoder import Embedder
from .model import resolve_device
from .store import write_embeddings


def make_embedder(p: EmbedParams, *, show_progress: bool | None = None) -> Embedder:
    return Embedder(model=p.model, precision=p.precision, batch_size=p.batch_size, cache_dir=p.cache_dir,
                    parity_min_cosine=p.parity_min_cosine, parity_sample=p.parity_sample,
                    show_progress=show_progress, device=p.device)


@writes("embed", inputs=("chunks_path",))
def embed_chunks(chunks_path: str | Path, out_dir: str | Path, p: EmbedParams) -> dict:
    """Embed every chunk; returns the run's stats (hits, misses, times, precision)."""
    t0 = time.perf_counter()
    check_outputs(folders=[out_dir])
    device = resolve_device(p.device)  # an unavailable cuda fails here, before any work
    chunks = schema.read_table(chunks_path, schema.CHUNKS, unique="chunk_id")
    info = make_embedder(p).info
    check_chunker(chunks_path, p.model, info.weights_sha256)
    texts = chunks["text"].tolist()
    if p.engine == "dask":
        from .distributed import encode_dask

        vectors, stats = encode_dask(texts, p)
    else:
        emb = make_embedder(p)
        vectors = emb.encode(texts)
        stats = emb.stats.as_dict()
        emb.cache.close()
    meta = {
        "model": p.model,
        "model_path_name": Path(info.path).name,
        "weights_sha256": info.weights_sha256,
        "max_seq_length": info.max_seq_length,
        "dimension": int(vectors.shape[1]),
        "pooling": info.pooling,
        "normalized": True,
        "precision": stats["precision"],
        "device": device,
        "dtype": "float32",
        "n_chunks": int(vectors.shape[0]),
    }
    tw = time.perf_counter()
    write_embeddings(out_dir, chunks["chunk_id"].tolist(), vectors, meta)
    stats["write_seconds"] = round(time.perf_counter() - tw, 3)
    stats["total_seconds"] = time.perf_counter() - t0
    stats["engine"] = p.engine
    return stats
