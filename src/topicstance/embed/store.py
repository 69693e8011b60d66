"""The embeddings folder: ``vectors.npy``, ``chunk_ids.parquet``, ``meta.json``.

Row i of ``vectors.npy`` belongs to row i of ``chunk_ids.parquet`` and of the
chunks file it was built from. The folder is written under a temporary name
and renamed into place, so a reader never sees a half-written folder.

``embed`` replaces the folder only when its output marker
(:data:`topicstance.io.MARKER`) says ``embed`` wrote everything in it. File
names prove nothing (anyone can name a file ``vectors.npy``), so a folder
without the marker, such as one written before markers existed, is refused with
a one-line error: give an empty or new folder, or remove the old one yourself.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io import atomic_path, dumps_json, read_json, writes

FILES = ("vectors.npy", "chunk_ids.parquet", "meta.json")


@writes("embed")
def write_embeddings(out_dir: str | Path, chunk_ids: list[str], vectors: np.ndarray, meta: dict) -> Path:
    out_dir = Path(out_dir)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.shape[0] != len(chunk_ids):
        raise ValueError(f"{len(chunk_ids)} ids but {vectors.shape[0]} vectors")
    with atomic_path(out_dir, is_dir=True) as tmp:
        tmp.mkdir(parents=True, exist_ok=True)
        np.save(tmp / "vectors.npy", vectors)
        pd.DataFrame({"chunk_id": list(chunk_ids)}).to_parquet(tmp / "chunk_ids.parquet", index=False)
        (tmp / "meta.json").write_text(dumps_json(meta), encoding="utf-8")
    return out_dir


def load_embeddings(path: str | Path, *, mmap: bool = True) -> tuple[list[str], np.ndarray]:
    """Return ``(chunk_ids, vectors)``; the matrix is memory-mapped by default."""
    d = Path(path)
    for name in FILES:
        if not (d / name).exists():
            raise InputError(f"{d}: not an embeddings folder (missing {name})")
    ids = pd.read_parquet(d / "chunk_ids.parquet")["chunk_id"].astype(str).tolist()
    vecs = np.load(d / "vectors.npy", mmap_mode="r" if mmap else None, allow_pickle=False)
    if vecs.shape[0] != len(ids):
        raise InputError(f"{d}: {len(ids)} chunk ids but {vecs.shape[0]} vectors")
    return ids, vecs


def load_meta(path: str | Path) -> dict:
    return read_json(Path(path) / "meta.json")
