"""Predict stance for (text, target) rows of any length.

A text that fits the embedding model's window (``max_seq_length`` tokens,
256 for all-MiniLM-L6-v2) is classified whole, as the labelled paragraphs were
in training. A longer one, which the model would silently truncate, is cut with
:func:`topicstance.chunk.chunk_text` into sentence-aligned chunks of at most
``chunk.max_tokens`` tokens (the pipeline's chunks), every chunk is classified,
and the row gets the aggregate of its chunks by ``stance.article_rule``
(:mod:`.aggregate`). Rows
with an empty text are the documented skip: they keep their place in the
output with an empty ``stance`` and empty probabilities, and are counted.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .aggregate import aggregate, label_of


def predict_rows(clf, texts: list[str], targets: list[str], *, tokenizer, max_tokens: int,
                 overlap_sentences: int, rule: str, window: int | None = None) -> tuple[pd.DataFrame, dict]:
    """``window``: texts up to this many tokens are not chunked (default ``max_tokens``)."""
    from ..chunk import chunk_text

    owner, pieces, ptargets, ntok = [], [], [], []
    empty = 0
    n_chunked = 0
    for i, (text, target) in enumerate(zip(texts, targets)):
        text = "" if text is None else str(text)
        if not text.strip():
            empty += 1
            continue
        n = len(tokenizer(text, add_special_tokens=True, truncation=False, verbose=False)["input_ids"])
        if n <= (window or max_tokens):
            chunks = [(text, n)]
        else:
            chunks = [(c.text, c.n_tokens) for c in chunk_text(text, tokenizer, max_tokens, overlap_sentences)]
            n_chunked += 1
        for c, k in chunks:
            owner.append(i)
            pieces.append(c)
            ptargets.append(str(target))
            ntok.append(k)
    P = clf.predict_proba(pieces, ptargets) if pieces else np.zeros((0, 3))
    owner = np.asarray(owner, dtype=np.int64)
    ntok = np.asarray(ntok, dtype=float)
    out = pd.DataFrame({"stance": [""] * len(texts), "p_favor": np.nan, "p_against": np.nan, "p_none": np.nan,
                        "n_chunks": 0})
    for i in np.unique(owner):
        m = owner == i
        p, _ = aggregate(P[m], weights=ntok[m], rule=rule)
        out.loc[i, ["p_favor", "p_against", "p_none"]] = p
        out.loc[i, "stance"] = label_of(p)
        out.loc[i, "n_chunks"] = int(m.sum())
    scored_targets = [str(targets[i]) for i in np.unique(owner)]
    stats = {"rows": len(texts), "empty_skipped": empty, "chunked_rows": n_chunked, "chunks": int(len(pieces)),
             "unseen_target_rows": clf.unseen_targets(scored_targets) if scored_targets else 0}
    return out, stats
