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

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema
from ..errors import InputError
from ..io import atomic_path, check_outputs, dumps_json, read_json, write_parquet

COPY_BATCH = 65_536
TOKENIZE_BATCH = 10_000


def check_table(corpus: str | Path, embeddings: str | Path) -> None:
    """``--embeddings`` needs a table: refuse a folder corpus before anything runs."""
    from ..tables import SUFFIXES

    p = Path(corpus)
    if p.is_dir() or p.suffix.lower() not in SUFFIXES:
        raise InputError(f"--embeddings {embeddings}: needs a table ({', '.join(SUFFIXES)}) with an id column, "
                         f"not {corpus}")


def row_chunks(articles: pd.DataFrame, tokenizer) -> pd.DataFrame:
    """One chunk per article row (the table's rows, after ingest), its tokens counted by the
    pipeline's tokenizer."""
    texts = articles["text"].astype(str).tolist()
    ids = articles["article_id"].astype(str).tolist()
    ntok: list[int] = []
    for s in range(0, len(texts), TOKENIZE_BATCH):
        enc = tokenizer(texts[s:s + TOKENIZE_BATCH], add_special_tokens=True, truncation=False, verbose=False)
        ntok += [len(x) for x in enc["input_ids"]]
    df = pd.DataFrame({"chunk_id": ids, "article_id": ids, "position": np.zeros(len(ids), dtype="int64"),
                       "char_start": np.zeros(len(ids), dtype="int64"),
                       "char_end": np.array([len(t) for t in texts], dtype="int64"),
                       "n_tokens": np.array(ntok, dtype="int64"), "text": texts})
    return schema.validate(df[list(schema.CHUNKS)], schema.CHUNKS, "chunks", unique="chunk_id")


def row_chunk_file(articles_path: str | Path, out_path: str | Path, model: str) -> dict:
    """``chunks.parquet`` of :func:`row_chunks`, recording the tokenizer's model and that each row is
    one chunk (not cut at ``chunk.max_tokens``)."""
    from ..chunk import CHUNKER_KEY
    from .model import load_tokenizer, read_model_info

    check_outputs(files=[out_path])
    arts = schema.read_table(articles_path, schema.ARTICLES, unique="article_id")
    df = row_chunks(arts, load_tokenizer(model))
    info = read_model_info(model)
    record = {"model": model, "weights_sha256": info.weights_sha256, "max_seq_length": info.max_seq_length,
              "one_chunk_per_row": True}
    write_parquet(out_path, df, metadata={CHUNKER_KEY: json.dumps(record)})
    return {"articles": int(len(arts)), "chunks": int(len(df)), "one_chunk_per_row": True}


def table_ids(path: str | Path, columns: dict | None = None) -> set[str]:
    """The ``id`` column of the table (through the one table reader, with the column map)."""
    from ..tables import read_table

    t = read_table(path, columns=columns)
    if "id" not in t.df.columns:
        raise InputError(f"{path}: no 'id' column (--embeddings keys each vector by the row's id)")
    return {v for v in t.df["id"].tolist() if v is not None}


def adopt_embeddings(src: str | Path, chunks_path: str | Path, table: str | Path, out_dir: str | Path,
                     columns: dict | None = None) -> dict:
    """Write ``out_dir`` (embeddings format) with the vectors of ``src`` for the chunks of
    ``chunks_path``, checking ``src``'s ids against the id column of ``table``."""
    from .store import load_embeddings

    check_outputs(folders=[out_dir])
    src = Path(src)
    ids, V = load_embeddings(src)
    known = table_ids(table, columns)
    pos = {c: i for i, c in enumerate(ids)}
    if len(pos) != len(ids):
        dup = next(c for i, c in enumerate(ids) if pos[c] != i)
        raise InputError(f"{src}: chunk id {dup!r} appears twice in chunk_ids.parquet")
    stray = next((c for c in ids if c not in known), None)
    if stray is not None:
        raise InputError(f"{src}: id {stray!r} is not in the id column of {table} "
                         "(--embeddings needs one vector per table row, keyed by its id)")
    want = pd.read_parquet(chunks_path, columns=["chunk_id"])["chunk_id"].astype(str).tolist()
    missing = next((c for c in want if c not in pos), None)
    if missing is not None:
        raise InputError(f"{src}: no vector for id {missing!r} of {table} "
                         f"({len(ids)} vectors for {len(want)} kept rows)")
    rows = np.array([pos[c] for c in want], dtype=np.int64)
    meta = read_json(src / "meta.json")
    meta = {**meta, "dimension": int(V.shape[1]), "source": str(src), "n_vectors_in_source": int(len(ids)),
            "n_chunks": int(len(rows))}
    out_dir = Path(out_dir)
    with atomic_path(out_dir, is_dir=True) as tmp:
        tmp.mkdir(parents=True, exist_ok=True)
        out = np.lib.format.open_memmap(tmp / "vectors.npy", mode="w+", dtype=np.float32,
                                        shape=(len(rows), V.shape[1]))
        for s in range(0, len(rows), COPY_BATCH):
            r = rows[s:s + COPY_BATCH]
            order = np.argsort(r, kind="stable")  # read the source in file order
            out[s + order] = np.asarray(V[r[order]], dtype=np.float32)
        out.flush()
        del out
        pd.DataFrame({"chunk_id": want}).to_parquet(tmp / "chunk_ids.parquet", index=False)
        (tmp / "meta.json").write_text(dumps_json(meta), encoding="utf-8")
    return {"vectors": int(len(rows)), "source": str(src), "source_vectors": int(len(ids)), "encoded": 0}
