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


def aggregate_groups(proba: np.ndarray, groups: np.ndarray, weights=None,
                     rule: str = "max-evidence") -> tuple[np.ndarray, np.ndarray]:
    """Aggregate the rows of each group at once: ``groups`` holds codes 0..G-1, every code present.

    Returns ``(P, index)``: ``P[g]`` the probabilities of group g in CLASSES order, and
    ``index[g]`` the row that decided it (the first row with the most evidence; -1 for
    ``mean``). Rows keep their order within a group, so "first" is the row order given.
    """
    if rule not in RULES:
        raise ParamsError(f"parameter stance.article_rule: must be one of {', '.join(RULES)}, got {rule!r}")
    proba = np.asarray(proba, dtype=float)
    g = np.asarray(groups, dtype=np.int64)
    if proba.ndim != 2 or proba.shape[1] != len(CLASSES) or len(proba) == 0 or len(g) != len(proba):
        raise ValueError(f"expected an (n>0, 3) probability matrix and n group codes, got {proba.shape}, {g.shape}")
    n_groups = int(g.max()) + 1
    if rule == "max-evidence":
        evidence = proba[:, :2].max(axis=1)
        order = np.lexsort((np.arange(len(g)), -evidence, g))  # by group, most evidence first, then row order
        first = np.flatnonzero(np.r_[True, g[order][1:] != g[order][:-1]])
        index = order[first]
        return proba[index].copy(), index
    w = np.ones(len(g)) if weights is None else np.asarray(weights, dtype=float)
    w = np.where(w > 0, w, 0.0)
    none_positive = np.bincount(g, weights=w, minlength=n_groups) == 0
    w = np.where(none_positive[g], 1.0, w)  # a group with no positive weight: its rows count equally
    total = np.bincount(g, weights=w, minlength=n_groups)
    P = np.stack([np.bincount(g, weights=proba[:, k] * w, minlength=n_groups) for k in range(len(CLASSES))], axis=1)
    return P / total[:, None], np.full(n_groups, -1, dtype=np.int64)


def aggregate(proba: np.ndarray, weights=None, rule: str = "max-evidence") -> tuple[np.ndarray, int]:
    """One text's chunks: (probabilities in CLASSES order, index of the deciding chunk or -1 for ``mean``)."""
    proba = np.asarray(proba, dtype=float)
    P, index = aggregate_groups(proba, np.zeros(len(proba), dtype=np.int64), weights, rule)
    return P[0], int(index[0])
