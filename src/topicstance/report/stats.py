"""Small statistics for reading results: intervals for shares, a scipy-ready linkage."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm


def wilson_interval(k, n, level: float = 0.95):
    """Wilson score interval for a binomial share ``k / n``.

    ``k`` and ``n`` may be scalars or array-likes (broadcast together). Returns
    ``(lo, hi)`` as floats for scalar input, else as arrays; both are NaN where
    ``n == 0``. Unlike the normal (Wald) interval it stays inside [0, 1] and is
    not zero-width when ``k`` is 0 or ``n``, which matters for the small
    counts of a seed corpus.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    k_arr = np.asarray(k, dtype=float)
    n_arr = np.asarray(n, dtype=float)
    if np.any(n_arr < 0) or np.any(k_arr < 0) or np.any(k_arr > n_arr):
        raise ValueError("need 0 <= k <= n")
    z = float(norm.ppf(0.5 + level / 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k_arr / n_arr
        denom = 1 + z**2 / n_arr
        centre = (p + z**2 / (2 * n_arr)) / denom
        half = z * np.sqrt(p * (1 - p) / n_arr + z**2 / (4 * n_arr**2)) / denom
        lo = np.where(n_arr > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
        hi = np.where(n_arr > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    # exact bounds at the edges (avoid 1e-17 style rounding)
    lo = np.where((n_arr > 0) & (k_arr == 0), 0.0, lo)
    hi = np.where((n_arr > 0) & (k_arr == n_arr), 1.0, hi)
    if lo.ndim == 0:
        return float(lo), float(hi)
    return lo, hi


def share_table(df: pd.DataFrame, by: list[str], category: str, categories: list[str] | None = None,
                level: float = 0.95) -> pd.DataFrame:
    """Counts and shares of ``category`` values within each ``by`` group, with Wilson intervals.

    One row per group x category (categories that never occur in a group get
    count 0): columns ``by + [category, 'n', 'total', 'share', 'lo', 'hi']``.
    """
    cats = list(categories) if categories is not None else sorted(df[category].dropna().unique())
    counts = df.groupby(by + [category]).size().unstack(category, fill_value=0)
    counts = counts.reindex(columns=cats, fill_value=0)
    total = counts.sum(axis=1)
    long = counts.stack().rename("n").reset_index()
    long = long.merge(total.rename("total").reset_index(), on=by)
    long["share"] = long["n"] / long["total"].replace(0, np.nan)
    long["lo"], long["hi"] = wilson_interval(long["n"].to_numpy(), long["total"].to_numpy(), level)
    long[category] = pd.Categorical(long[category], categories=cats, ordered=True)
    return long.sort_values(by + [category]).reset_index(drop=True)


def scipy_linkage(merges: np.ndarray) -> np.ndarray:
    """The topics stage's merge table as a valid scipy linkage matrix.

    The stage stores chunk counts in column 3 and may record a merge height
    below an earlier one; scipy wants the number of leaves under each cluster
    in column 3 and monotone heights.
    """
    z = np.array(merges, dtype=float, copy=True).reshape(-1, 4)
    n = len(z) + 1
    counts = [1] * n
    for row in z:
        c = counts[int(row[0])] + counts[int(row[1])]
        counts.append(c)
        row[3] = c
    if len(z):
        z[:, 2] = np.maximum.accumulate(z[:, 2])
    return z
