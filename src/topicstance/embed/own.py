"""Bring your own embeddings: ``topicstance run TABLE --embeddings DIR``.

``DIR`` is a folder in the embeddings format (``vectors.npy``, ``chunk_ids.parquet``,
``meta.json``, see :mod:`.store`) whose ids are the table's ``id`` column: one
vector per row, each row one chunk. Then a large corpus is encoded once,
anywhere, and the run skips the chunk splitting and the encoder:

* :func:`row_chunks`: one chunk per kept row (``chunk_id`` = ``article_id`` =
  the row's id, ``position`` 0, the whole text, its token count by the
  pipeline's tokenizer);
* :func:`adopt_embeddings`: the run's ``data/embeddings`` with the rows of
  ``DIR`` in chunk order, copied in batches from the memory-mapped vectors.

Every kept row needs a vector, and every vector a row of the table (skipped
rows and dropped duplicates may have one); anything else is a one-line error
naming the first id that does not match.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema
from ..errors import InputError
from ..io import atomic_path, dumps_json, read_json

COPY_BATCH = 65_536


def row_chunks(articles: pd.DataFrame, tokenizer) -> pd.DataFrame:
    """One chunk per article row (the table's rows, after ingest)."""
    texts = articles["text"].astype(str).tolist()
    ids = articles["article_id"].astype(str).tolist()
    ntok = [len(tokenizer(t, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]) for t in texts]
    df = pd.DataFrame({"chunk_id": ids, "article_id": ids, "position": np.zeros(len(ids), dtype="int64"),
                       "char_start": np.zeros(len(ids), dtype="int64"),
                       "char_end": np.array([len(t) for t in texts], dtype="int64"),
                       "n_tokens": np.array(ntok, dtype="int64"), "text": texts})
    return schema.validate(df[list(schema.CHUNKS)], schema.CHUNKS, "chunks", unique="chunk_id")


def table_ids(path: str | Path) -> set[str]:
    """The ``id`` column of a ``.csv``/``.jsonl``/``.parquet`` table (read alone)."""
    p = Path(path)
    suf = p.suffix.lower()
    try:
        if suf == ".parquet":
            import pyarrow.parquet as pq

            if "id" not in pq.ParquetFile(p).schema_arrow.names:
                raise KeyError("id")
            col = pd.read_parquet(p, columns=["id"])["id"]
        elif suf == ".csv":
            col = pd.read_csv(p, usecols=["id"], dtype=str, keep_default_na=False)["id"]
        elif suf == ".jsonl":
            col = pd.read_json(p, lines=True, dtype=False)["id"]
        else:
            raise InputError(f"--embeddings needs a .csv, .jsonl or .parquet table, got {p}")
    except (KeyError, ValueError):
        raise InputError(f"{p}: no 'id' column (--embeddings keys each vector by the row's id)") from None
    return set(col.astype(str))


def adopt_embeddings(src: str | Path, chunks: pd.DataFrame, table_ids: set[str], out_dir: str | Path,
                     table: str = "the table") -> dict:
    """Write ``out_dir`` (embeddings format) with the vectors of ``src`` for the rows of ``chunks``."""
    from .store import load_embeddings

    src = Path(src)
    ids, V = load_embeddings(src)
    pos = {c: i for i, c in enumerate(ids)}
    if len(pos) != len(ids):
        dup = next(c for i, c in enumerate(ids) if pos[c] != i)
        raise InputError(f"{src}: chunk id {dup!r} appears twice in chunk_ids.parquet")
    stray = next((c for c in ids if c not in table_ids), None)
    if stray is not None:
        raise InputError(f"{src}: id {stray!r} is not in the id column of {table} "
                         "(--embeddings needs one vector per table row, keyed by its id)")
    want = chunks["chunk_id"].astype(str).tolist()
    missing = next((c for c in want if c not in pos), None)
    if missing is not None:
        raise InputError(f"{src}: no vector for id {missing!r} of {table} "
                         f"({len(ids)} vectors for {len(want)} kept rows)")
    rows = np.array([pos[c] for c in want], dtype=np.int64)
    meta = read_json(src / "meta.json")
    meta = {**meta, "dimension": int(V.shape[1]), "source": str(src), "n_vectors_in_source": int(len(ids))}
    out_dir = Path(out_dir)
    with atomic_path(out_dir, is_dir=True) as tmp:
        tmp.mkdir(parents=True, exist_ok=True)
        out = np.lib.format.open_memmap(tmp / "vectors.npy", mode="w+", dtype=np.float32,
                                        shape=(len(rows), V.shape[1]))
        for s in range(0, len(rows), COPY_BATCH):
            r = rows[s:s + COPY_BATCH]
            order = np.argsort(r, kind="stable")  # read the source in file order
            block = np.asarray(V[r[order]], dtype=np.float32)
            out[s + order] = block
        out.flush()
        del out
        pd.DataFrame({"chunk_id": want}).to_parquet(tmp / "chunk_ids.parquet", index=False)
        (tmp / "meta.json").write_text(dumps_json(meta), encoding="utf-8")
    return {"vectors": int(len(rows)), "source": str(src), "source_vectors": int(len(ids)), "encoded": 0}
