"""From chunk probabilities to one stance for a longer text or an article.

Rules (``stance.article_rule``):

``max-evidence`` (default)
    The stance evidence of a chunk is ``max(p_favor, p_against)``. The text takes
    the probabilities of its chunk with the most evidence (the first such chunk
    on a tie), and its stance is their argmax. So one clearly argued paragraph
    decides an otherwise neutral article, and an article is NONE only when no
    chunk leans FAVOR or AGAINST more than it leans NONE.
``mean``
    The token-weighted mean of the chunk probabilities (weights ``n_tokens``),
    and its argmax.

Both return the counts of chunks predicted FAVOR and AGAINST beside the label,
so mixed articles stay visible.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParamsError
from . import ARTICLE_RULES as RULES
from . import CLASSES


def aggregate(proba: np.ndarray, weights=None, rule: str = "max-evidence") -> tuple[np.ndarray, int]:
    """Return (probabilities in CLASSES order, index of the deciding chunk or -1 for ``mean``)."""
    proba = np.asarray(proba, dtype=float)
    if proba.ndim != 2 or proba.shape[1] != len(CLASSES) or len(proba) == 0:
        raise ValueError(f"expected an (n>0, 3) probability matrix, got {proba.shape}")
    if rule == "max-evidence":
        i = int(np.argmax(proba[:, :2].max(axis=1)))
        return proba[i].copy(), i
    if rule == "mean":
        w = np.ones(len(proba)) if weights is None else np.asarray(weights, dtype=float)
        w = np.where(w > 0, w, 0) + (0 if np.any(w > 0) else 1)
        p = (proba * w[:, None]).sum(axis=0) / w.sum()
        return p, -1
    raise ParamsError(f"parameter stance.article_rule: must be one of {', '.join(RULES)}, got {rule!r}")


def label_of(p: np.ndarray) -> str:
    return CLASSES[int(np.argmax(p))]
