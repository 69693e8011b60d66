"""The apply stage: stance of every chunk toward every target, then per article.

``data/stance.parquet``: one row per (chunk, target) with the STANCE contract
columns. ``data/article_stance.parquet``: one row per (article, target),
aggregated from that article's chunks by ``stance.article_rule`` (see
:mod:`.aggregate`), with ``n_chunks``, ``n_favor_chunks``, ``n_against_chunks``
and the deciding ``evidence_chunk_id`` (empty for ``mean``).

Chunks are scored ``APPLY_BATCH`` at a time (features, vectors and model
inputs of one batch in memory). Frozen-embedding methods (``embedding-lr``, ``hybrid``) reuse the embed stage's
vectors when they come from the same model weights; chunks missing from the
embeddings folder, or a folder from other weights, are encoded (cached) and
counted. ``setfit`` and ``ensemble`` must encode with their fine-tuned body.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema
from ..io import write_parquet
from . import CLASSES
from .aggregate import aggregate, label_of

ARTICLE_COLUMNS = ["article_id", "target", "stance", "p_favor", "p_against", "p_none", "n_chunks",
                   "n_favor_chunks", "n_against_chunks", "evidence_chunk_id"]


def frozen_source(clf, chunks: pd.DataFrame, embeddings_dir):
    """``(vecs, rows)`` when the embeddings folder can serve ``clf``: the memory-mapped vectors and
    each chunk's row in them (-1 = missing, encoded); ``None`` when every chunk must be encoded
    (no folder, or vectors of other weights), or the method encodes with its own body."""
    if not clf.uses_frozen_embeddings or embeddings_dir is None or not Path(embeddings_dir).exists():
        return None
    from ..embed.store import load_embeddings, load_meta

    meta = load_meta(embeddings_dir)
    if meta.get("weights_sha256") != clf.embedding_sha256_ or int(meta.get("dimension", -1)) != clf.embedding_dim_:
        print(f"stance apply: {embeddings_dir} holds vectors of other model weights; encoding the chunks again",
              file=sys.stderr)
        return None
    ids, vecs = load_embeddings(embeddings_dir)
    pos = {c: i for i, c in enumerate(ids)}
    return vecs, np.array([pos.get(c, -1) for c in chunks["chunk_id"]], dtype=np.int64)


def batch_embeddings(clf, texts: list[str], source, sl: slice, stats: dict) -> np.ndarray | None:
    """Frozen vectors of the chunks ``sl`` (their ``texts``) from ``source`` (see :func:`frozen_source`),
    the missing ones encoded; ``None`` when the method needs none or ``source`` is ``None``."""
    if not clf.uses_frozen_embeddings:
        return None
    if source is None:
        stats["embeddings_encoded"] += len(texts)
        return None
    vecs, rows = source
    r = rows[sl]
    out = np.zeros((len(r), clf.embedding_dim_), dtype=np.float32)
    have = r >= 0
    out[have] = np.asarray(vecs[r[have]], dtype=np.float32)
    if (~have).any():
        out[~have] = clf.frozen_embeddings([t for t, h in zip(texts, have) if not h])
    stats["embeddings_reused"] += int(have.sum())
    stats["embeddings_encoded"] += int((~have).sum())
    return out


def chunk_embeddings(clf, chunks: pd.DataFrame, embeddings_dir) -> tuple[np.ndarray | None, dict]:
    """Frozen vectors for all of ``chunks`` from the embeddings folder when usable, else None."""
    stats = {"embeddings_reused": 0, "embeddings_encoded": 0}
    src = frozen_source(clf, chunks, embeddings_dir)
    vecs = batch_embeddings(clf, chunks["text"].tolist(), src, slice(0, len(chunks)), stats)
    if src is None:
        return None, stats
    return vecs, stats


def article_stance(stance: pd.DataFrame, chunks: pd.DataFrame, rule: str) -> pd.DataFrame:
    ntok = dict(zip(chunks["chunk_id"], chunks["n_tokens"]))
    order = dict(zip(chunks["chunk_id"], chunks["position"]))
    rows = []
    df = stance.assign(_pos=stance["chunk_id"].map(order))
    for (aid, tgt), g in df.sort_values(["article_id", "target", "_pos"]).groupby(["article_id", "target"], sort=True):
        P = g[["p_favor", "p_against", "p_none"]].to_numpy()
        p, i = aggregate(P, weights=g["chunk_id"].map(ntok).to_numpy(), rule=rule)
        rows.append({"article_id": aid, "target": tgt, "stance": label_of(p), "p_favor": float(p[0]),
                     "p_against": float(p[1]), "p_none": float(p[2]), "n_chunks": int(len(g)),
                     "n_favor_chunks": int((g["stance"] == "FAVOR").sum()),
                     "n_against_chunks": int((g["stance"] == "AGAINST").sum()),
                     "evidence_chunk_id": g["chunk_id"].iloc[i] if i >= 0 else ""})
    return pd.DataFrame(rows, columns=ARTICLE_COLUMNS)


APPLY_BATCH = 10_000  # chunks per batch: memory stays bounded by one batch's features and vectors


def apply_stance(model_dir, chunks_path, embeddings_dir, out_path, articles_out, params,
                 batch_size: int = APPLY_BATCH) -> dict:
    from .classifier import StanceClassifier

    chunks = schema.read_table(chunks_path, schema.CHUNKS, unique="chunk_id")
    clf = StanceClassifier.load(model_dir, cache_dir=params.embed.cache_dir)
    stats = {"embeddings_reused": 0, "embeddings_encoded": 0}
    src = frozen_source(clf, chunks, embeddings_dir)
    texts = chunks["text"].tolist()
    n = len(texts)
    probs = {t: np.zeros((n, 3)) for t in params.stance.targets}
    for s in range(0, n, batch_size):  # features and vectors of one batch at a time
        sl = slice(s, min(n, s + batch_size))
        bt = texts[sl]
        vecs = batch_embeddings(clf, bt, src, sl, stats)
        for target in params.stance.targets:
            probs[target][sl] = clf.predict_proba(bt, [target] * len(bt), embeddings=vecs)
    parts = []
    for target in params.stance.targets:
        P = probs[target]
        parts.append(pd.DataFrame({
            "chunk_id": chunks["chunk_id"].to_numpy(), "article_id": chunks["article_id"].to_numpy(),
            "target": target, "stance": np.array(CLASSES, dtype=object)[P.argmax(axis=1)] if len(P) else [],
            "p_favor": P[:, 0], "p_against": P[:, 1], "p_none": P[:, 2]}))
    stance = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(schema.STANCE))
    stance["stance"] = stance["stance"].astype(str)
    schema.validate(stance, schema.STANCE, out_path)
    write_parquet(out_path, stance)
    arts = article_stance(stance, chunks, params.stance.article_rule)
    write_parquet(articles_out, arts)
    stats.update({"chunks": int(len(chunks)), "targets": list(params.stance.targets), "rows": int(len(stance)),
                  "articles": int(arts["article_id"].nunique()) if len(arts) else 0,
                  "unseen_targets": [t for t in params.stance.targets if clf.unseen_targets([t])],
                  "stance_counts": {t: g["stance"].value_counts().to_dict() for t, g in stance.groupby("target")}})
    return stats
