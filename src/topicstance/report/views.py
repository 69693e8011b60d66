"""The tables behind the time and outlet views, from the pipeline's article-level outputs.

* topic share over time, per outlet, per source: :func:`topic_shares` (the
  topics stage's ``topic_shares_*.parquet`` are its one-key cases);
* stance over time per target, and stance per outlet: :func:`stance_shares`.

Time is the article's own ``date`` (never ``page_date``), grouped by
``topics.time_period``. Nothing is refitted here: these are counts and means of
the stored assignments.
"""
from __future__ import annotations

import pandas as pd

from ..topics.articles import period_of, shares_by
from .stats import wilson_interval

STANCES = ("FAVOR", "AGAINST", "NONE")
KEYS = ("period", "source", "outlet")


def topic_shares(article_topics: pd.DataFrame, articles: pd.DataFrame, by, period: str = "month") -> pd.DataFrame:
    """Topic shares per group (``by``: any of period, source, outlet). Columns: the keys, ``topic,
    topic_label, n_articles, share``; each group's shares sum to 1 (see topics.articles)."""
    return shares_by(article_topics, articles, list(by), period=period)


def stance_shares(article_stance: pd.DataFrame, articles: pd.DataFrame, by, period: str = "month",
                  level: float = 0.95) -> pd.DataFrame:
    """Share of articles per stance, per group and target.

    Columns: the keys of ``by`` (any of period, source, outlet), ``target, stance, n_articles``
    (articles with that stance), ``n_group`` (articles of the group with a stance for the target),
    ``share`` and its Wilson interval ``lo, hi``. Articles whose key is null (no date, no outlet)
    are left out; every stance appears in every group, with 0 where none."""
    by = list(by)
    bad = [k for k in by if k not in KEYS]
    if bad:
        raise ValueError(f"stance shares by {bad[0]!r}: use period, source or outlet")
    meta = articles[["article_id"] + [c for c in ("date", "source", "outlet") if c in articles.columns]].copy()
    meta["article_id"] = meta["article_id"].astype(str)
    if "period" in by:
        meta["period"] = period_of(meta["date"], period).to_numpy()
    for k in by:
        if k not in meta.columns:
            meta[k] = None
    df = article_stance.assign(article_id=article_stance["article_id"].astype(str)).merge(
        meta[["article_id"] + by], on="article_id", how="inner").dropna(subset=by)
    cols = by + ["target", "stance", "n_articles", "n_group", "share", "lo", "hi"]
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("share", "lo", "hi") else
                                          ("int64" if c.startswith("n_") else "object")) for c in cols})
    counts = df.groupby(by + ["target", "stance"]).size().unstack("stance", fill_value=0)
    counts = counts.reindex(columns=list(STANCES), fill_value=0)
    long = counts.stack().rename("n_articles").reset_index()
    long["n_group"] = long.groupby(by + ["target"])["n_articles"].transform("sum")
    long["share"] = (long["n_articles"] / long["n_group"]).round(6)
    lo, hi = wilson_interval(long["n_articles"].to_numpy(), long["n_group"].to_numpy(), level)
    long["lo"], long["hi"] = lo.round(6), hi.round(6)
    long["stance"] = pd.Categorical(long["stance"], categories=list(STANCES), ordered=True)
    long = long.sort_values(by + ["target", "stance"], kind="stable")
    long["stance"] = long["stance"].astype(str)
    long = long.astype({"n_articles": "int64", "n_group": "int64"})
    return long[cols].reset_index(drop=True)


def stance_table(shares: pd.DataFrame, key: str) -> pd.DataFrame:
    """Wide form of :func:`stance_shares` by one key: index = the key's values, columns
    ``Target: STANCE``, values = share; the counts ride along in ``attrs['counts']`` (the form
    :func:`figures.stance_heatmap` draws)."""
    s = shares.assign(col=shares["target"] + ": " + shares["stance"])
    order = [f"{t}: {st}" for t in sorted(shares["target"].unique()) for st in STANCES]
    share = s.pivot_table(index=key, columns="col", values="share", aggfunc="first").reindex(columns=order)
    counts = s.pivot_table(index=key, columns="col", values="n_articles", aggfunc="first").reindex(columns=order)
    share = share.fillna(0.0)
    share.attrs["counts"] = counts.fillna(0).astype(int)
    return share
