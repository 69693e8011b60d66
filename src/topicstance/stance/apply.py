"""The apply stage: stance of every chunk toward every target, then per article.

``data/stance.parquet``: one row per (chunk, target) with the STANCE contract
columns. ``data/article_stance.parquet``: one row per (article, target),
aggregated from that article's chunks by ``stance.article_rule`` through the
one prediction path (:func:`.predict.predict_stance`, :mod:`.aggregate`), with ``n_chunks``, ``n_favor_chunks``, ``n_against_chunks``
and the deciding ``evidence_chunk_id`` (empty for ``mean``).

Frozen-embedding methods (``embedding-lr``, ``hybrid``) reuse the embed stage's
vectors when they come from the same model weights; chunks missing from the
embeddings folder, or a folder from other weights, are encoded (cached) and
counted. ``setfit`` and ``ensemble`` must encode with their fine-tuned body.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema
from ..io import check_outputs, write_parquet, writes

_LOG = logging.getLogger(__name__)
ARTICLE_COLUMNS = ["article_id", "target", "stance", "p_favor", "p_against", "p_none", "n_chunks",
                   "n_favor_chunks", "n_against_chunks", "evidence_chunk_id"]


def chunk_embeddings(clf, chunks: pd.DataFrame, embeddings_dir) -> tuple[np.ndarray | None, dict]:
    """The frozen features of ``chunks``: the embeddings folder's vectors where they come from one of the
    stance model's sentence models (``stance.model``), the rest encoded from chunk text (cached)."""
    stats = {"embeddings_reused": 0, "embeddings_encoded": 0}
    if not clf.uses_frozen_embeddings:
        return None, stats
    texts = chunks["text"].astype(str).tolist()
    meta = {}
    if embeddings_dir is not None and Path(embeddings_dir).exists():
        from ..embed.store import load_meta

        meta = load_meta(embeddings_dir)
    sha = meta.get("weights_sha256")
    if not clf.reuses(sha):
        if meta:
            _LOG.info(f"stance apply: {embeddings_dir} holds vectors of {meta.get('model')}, not of the stance "
                      f"model's {', '.join(clf.models)}; encoding the chunks from their text")
        stats["embeddings_encoded"] = len(chunks) * len(clf.models)
        return clf.frozen_embeddings(texts), stats
    from ..embed.store import load_embeddings

    ids, vecs = load_embeddings(embeddings_dir)
    pos = {c: i for i, c in enumerate(ids)}
    rows = np.array([pos.get(c, -1) for c in chunks["chunk_id"]], dtype=np.int64)
    have = rows >= 0
    given = np.zeros((len(chunks), vecs.shape[1]), dtype=np.float32)
    given[have] = np.asarray(vecs[rows[have]], dtype=np.float32)
    if (~have).any():
        from ..embed.encoder import Embedder

        emb = Embedder(model=meta["model"], precision=clf.precision, cache_dir=clf.cache_dir, show_progress=False)
        given[~have] = emb.encode([texts[i] for i in np.flatnonzero(~have)])
        emb.cache.close()
    out = clf.frozen_embeddings(texts, given=given, given_sha256=sha)
    stats["embeddings_reused"] = int(have.sum())
    stats["embeddings_encoded"] = int((~have).sum()) + len(chunks) * (len(clf.models) - 1)
    return out, stats


def article_stance(per_article: pd.DataFrame, chunks: pd.DataFrame) -> pd.DataFrame:
    """``data/article_stance.parquet`` from :func:`.predict.predict_stance`'s per-owner rows."""
    ids = chunks["chunk_id"].tolist()
    ev = per_article["evidence"].to_numpy()
    return pd.DataFrame({
        "article_id": per_article["owner"].to_numpy(), "target": per_article["target"].to_numpy(),
        "stance": per_article["stance"].to_numpy(), "p_favor": per_article["p_favor"].to_numpy(dtype=float),
        "p_against": per_article["p_against"].to_numpy(dtype=float),
        "p_none": per_article["p_none"].to_numpy(dtype=float), "n_chunks": per_article["n_chunks"].to_numpy(),
        "n_favor_chunks": per_article["n_favor_chunks"].to_numpy(),
        "n_against_chunks": per_article["n_against_chunks"].to_numpy(),
        "evidence_chunk_id": [ids[i] if i >= 0 else "" for i in ev]}, columns=ARTICLE_COLUMNS)


@writes("stance apply", inputs=("model_dir", "chunks_path", "embeddings_dir"))
def apply_stance(model_dir, chunks_path, embeddings_dir, out_path, articles_out, params) -> dict:
    from .classifier import StanceClassifier
    from .predict import predict_stance

    check_outputs(files=[out_path, articles_out])
    chunks = schema.read_table(chunks_path, schema.CHUNKS, unique="chunk_id")
    clf = StanceClassifier.load(model_dir, cache_dir=params.embed.cache_dir)
    vecs, stats = chunk_embeddings(clf, chunks, embeddings_dir)
    per_chunk, per_article = predict_stance(clf, chunks.assign(owner=chunks["article_id"]), list(params.stance.targets),
                                            rule=params.stance.article_rule, embeddings=vecs)
    stance = per_chunk[list(schema.STANCE)].copy() if len(per_chunk) else pd.DataFrame(columns=list(schema.STANCE))
    stance["stance"] = stance["stance"].astype(str)
    schema.validate(stance, schema.STANCE, out_path)
    write_parquet(out_path, stance)
    arts = article_stance(per_article, chunks)
    write_parquet(articles_out, arts)
    stats.update({"chunks": int(len(chunks)), "targets": list(params.stance.targets), "rows": int(len(stance)),
                  "articles": int(arts["article_id"].nunique()) if len(arts) else 0,
                  "unseen_targets": [t for t in params.stance.targets if clf.unseen_targets([t])],
                  "stance_counts": {t: g["stance"].value_counts().to_dict() for t, g in stance.groupby("target")}})
    return stats
