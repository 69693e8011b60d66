"""The one prediction path for stance: text -> chunks -> chunk probabilities -> one stance per text.

* :func:`chunk_texts` cuts every text like the corpus: sentence-aligned chunks of
  at most ``chunk.max_tokens`` tokens overlapping by ``chunk.overlap_sentences``
  sentences (:func:`topicstance.chunk.chunk_text`). An empty text has no chunk.
* :func:`predict_stance` gives each chunk the features its model needs (n-grams
  from its text; the frozen sentence embedding, computed once per chunk or
  reused when given; the fine-tuned body's embedding for SetFit), its
  probabilities toward its target, and aggregates each text's chunks, in
  order, by ``stance.article_rule`` (:mod:`.aggregate`).

``topicstance predict`` (``Models.predict``), ``stance predict`` and ``stance
apply`` all go through these two functions, so one text gets one stance
whichever command asks (a test checks it row for row).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import CLASSES
from .aggregate import aggregate_groups

CHUNK_COLUMNS = ["owner", "position", "char_start", "char_end", "n_tokens", "text"]
OWNER_COLUMNS = ["owner", "target", "stance", "p_favor", "p_against", "p_none", "n_chunks", "n_favor_chunks",
                 "n_against_chunks", "evidence"]


def chunk_texts(texts, tokenizer, max_tokens: int, overlap_sentences: int) -> pd.DataFrame:
    """One row per chunk: ``owner`` (the text's position in ``texts``), ``position``, offsets,
    ``n_tokens`` and ``text``; empty texts have none."""
    from ..chunk import chunk_text

    rows = []
    for i, t in enumerate(texts):
        t = "" if t is None else str(t)
        if not t.strip():
            continue
        for pos, c in enumerate(chunk_text(t, tokenizer, max_tokens, overlap_sentences)):
            rows.append((i, pos, c.char_start, c.char_end, c.n_tokens, c.text))
    df = pd.DataFrame(rows, columns=CHUNK_COLUMNS)
    for col in ("owner", "position", "char_start", "char_end", "n_tokens"):
        df[col] = df[col].astype("int64")
    return df


def predict_stance(clf, chunks: pd.DataFrame, targets=None, *, rule: str,
                   embeddings=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stance of every chunk and of every owner (text, article) of ``chunks``.

    ``chunks`` needs ``owner``, ``text``, ``n_tokens`` and ``position`` (the order
    within the owner; other columns, like ``chunk_id``, are carried along).
    ``targets``: a list (every chunk toward each), or None (each chunk toward its
    own ``target`` column). ``embeddings``: the frozen vectors of the chunks' texts,
    row for row, when the caller has them.

    Returns ``(per_chunk, per_owner)``: ``per_chunk`` is ``chunks`` x targets with
    ``chunk_index`` (the row of ``chunks``), ``target, stance, p_favor, p_against, p_none``; ``per_owner`` has one row per
    (owner, target) with the aggregate, the counts of FAVOR and AGAINST chunks and
    ``evidence``, the row of ``chunks`` whose probabilities decided (-1 for ``mean``).
    """
    texts = chunks["text"].astype(str).tolist()
    n = len(texts)
    E = None
    if n and clf.uses_frozen_embeddings:
        E = clf.frozen_embeddings(texts) if embeddings is None else np.asarray(embeddings, dtype=np.float32)
    base = chunks.reset_index(drop=True).assign(chunk_index=np.arange(n))
    parts = []
    if targets is None:
        tg = base["target"].astype(str).tolist()
        parts.append(_with_probs(base.assign(target=tg), clf.predict_proba(texts, tg, embeddings=E) if n
                                 else np.zeros((0, len(CLASSES)))))
    elif n and targets:  # one call for every target: the text features are made once per text
        tgs = [str(t) for t in targets]
        P = clf.predict_proba(texts * len(tgs), [t for t in tgs for _ in range(n)],
                              embeddings=None if E is None else np.tile(E, (len(tgs), 1)))
        parts = [_with_probs(base.assign(target=t), P[k * n:(k + 1) * n]) for k, t in enumerate(tgs)]
    else:
        parts = [_with_probs(base.assign(target=str(t)), np.zeros((0, len(CLASSES)))) for t in targets]
    per_chunk = pd.concat(parts, ignore_index=True) if parts else base.assign(
        target=pd.Series(dtype=object), stance=pd.Series(dtype=object),
        p_favor=pd.Series(dtype=float), p_against=pd.Series(dtype=float), p_none=pd.Series(dtype=float))
    return per_chunk, aggregate_owners(per_chunk, rule)


def _with_probs(df: pd.DataFrame, P: np.ndarray) -> pd.DataFrame:
    P = np.asarray(P, dtype=float).reshape(-1, len(CLASSES))
    return df.assign(stance=np.array(CLASSES, dtype=object)[P.argmax(axis=1)] if len(P) else np.array([], dtype=object),
                     p_favor=P[:, 0], p_against=P[:, 1], p_none=P[:, 2])


def aggregate_owners(per_chunk: pd.DataFrame, rule: str) -> pd.DataFrame:
    """One row per (owner, target): the chunks in ``position`` order aggregated by ``rule``."""
    if not len(per_chunk):
        return pd.DataFrame([], columns=OWNER_COLUMNS)
    df = per_chunk.sort_values(["owner", "target", "position"], kind="stable")
    codes = df.groupby(["owner", "target"], sort=True).ngroup().to_numpy(dtype=np.int64)
    P, index = aggregate_groups(df[["p_favor", "p_against", "p_none"]].to_numpy(dtype=float), codes,
                                weights=df["n_tokens"].to_numpy(dtype=float), rule=rule)
    first = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])  # sorted, so each group is one run of rows
    stance = df["stance"].to_numpy()
    n_groups = len(first)

    def count(label: str) -> np.ndarray:
        return np.bincount(codes, weights=(stance == label).astype(float), minlength=n_groups).astype(np.int64)

    evidence = np.where(index >= 0, df["chunk_index"].to_numpy()[np.maximum(index, 0)], -1)
    return pd.DataFrame({
        "owner": df["owner"].to_numpy()[first], "target": df["target"].to_numpy()[first],
        "stance": np.array(CLASSES, dtype=object)[P.argmax(axis=1)],
        "p_favor": P[:, 0], "p_against": P[:, 1], "p_none": P[:, 2],
        "n_chunks": np.bincount(codes, minlength=n_groups).astype(np.int64),
        "n_favor_chunks": count("FAVOR"), "n_against_chunks": count("AGAINST"),
        "evidence": evidence.astype(np.int64)}, columns=OWNER_COLUMNS)


def predict_rows(clf, texts: list[str], targets: list[str], *, tokenizer, max_tokens: int,
                 overlap_sentences: int, rule: str) -> tuple[pd.DataFrame, dict]:
    """Stance of (text, target) rows: ``stance, p_favor, p_against, p_none, n_chunks`` per row, in
    order; an empty text keeps its place with an empty stance (the documented skip, counted)."""
    chunks = chunk_texts(texts, tokenizer, max_tokens, overlap_sentences)
    chunks["target"] = [str(targets[i]) for i in chunks["owner"]]
    _, per_row = predict_stance(clf, chunks, None, rule=rule)
    out = pd.DataFrame({"stance": [""] * len(texts), "p_favor": np.nan, "p_against": np.nan, "p_none": np.nan,
                        "n_chunks": 0})
    idx = per_row["owner"].to_numpy(dtype=np.int64)
    out.loc[idx, "stance"] = per_row["stance"].to_numpy()
    for c in ("p_favor", "p_against", "p_none", "n_chunks"):
        out.loc[idx, c] = per_row[c].to_numpy()
    scored = [str(targets[i]) for i in idx]
    stats = {"rows": len(texts), "empty_skipped": len(texts) - len(idx),
             "chunked_rows": int((per_row["n_chunks"] > 1).sum()), "chunks": int(len(chunks)),
             "unseen_target_rows": clf.unseen_targets(scored) if scored else 0}
    return out, stats
