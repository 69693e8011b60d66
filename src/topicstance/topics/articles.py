"""Article level: topic mix, dominant topic, duplicates, shares over time, per source and per outlet.

* topic mix: the share of an article's chunks in each topic (outliers as -1);
* dominant topic: the topic with the largest share, preferring real topics
  over -1 (an article is an outlier only when all its chunks are); a tie goes
  to the tied topic whose centroid is most cosine-similar to the article as a
  whole (the unit mean of its chunk vectors) when the embeddings are given,
  else (and on equal similarity) to the topic of the earliest chunk. Short
  articles tie often (two chunks, two topics), and the earliest chunk is
  often a scene-setting lead;
* a dropped duplicate (duplicates.parquet) gets its kept twin's topic, label
  and mix, and ``duplicate_of`` names the twin;
* shares over time use the article's own ``date`` only (never ``page_date``);
  articles without a parseable date are left out and counted. A topic's share
  in a period (or source, or outlet) is the mean of its articles' topic mix, so
  shares in a group sum to 1; ``n_articles`` counts articles whose dominant
  topic it is. Dropped duplicates are not counted again, nor are articles
  without chunks. :func:`shares_by` crosses any of period, source and outlet
  (e.g. topic share over time per outlet); articles without an outlet are left
  out of the outlet groups.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ..errors import InputError
from .outliers import OUTLIER

PERIOD_FREQ = {"day": "D", "week": "W-MON", "month": "M", "quarter": "Q", "year": "Y"}


def _mix(topics: np.ndarray) -> dict[int, float]:
    ids, counts = np.unique(topics, return_counts=True)
    return {int(t): float(c) / len(topics) for t, c in zip(ids, counts)}


def _dominant(topics_in_order: np.ndarray, sim=None) -> int:
    """Dominant topic of one article's chunk topics (in chunk order); ``sim(topic)`` is the
    article's similarity to a topic, used to break ties."""
    real = topics_in_order[topics_in_order != OUTLIER]
    if real.size == 0:
        return OUTLIER
    ids, counts = np.unique(real, return_counts=True)
    best = ids[counts == counts.max()]
    if best.size == 1:
        return int(best[0])
    if sim is not None:
        s = np.array([sim(int(t)) for t in best])
        best = best[s >= s.max() - 1e-6]
        if best.size == 1:
            return int(best[0])
    for t in real:  # earliest chunk among the tied topics
        if t in best:
            return int(t)
    return int(best[0])  # pragma: no cover


def similarity_lookup(article_ids, X: np.ndarray, topic: np.ndarray):
    """``f(article_id) -> (topic -> cosine of the article vector to the topic centroid)``."""
    from .groups import Groups
    from .outliers import centroids

    aids = [str(a) for a in article_ids]
    g = Groups.from_labels(aids)
    A = g.vectors(X)
    ids, C, _ = centroids(X, np.asarray(topic, dtype=np.int64))
    return _scorer(aids, g.codes, A, ids, C)


def _per_article(ch: pd.DataFrame, embeddings) -> dict[str, tuple[int, dict]]:
    """``article_id -> (dominant topic, mix)``, vectorised over articles: counts per (article, topic)
    by one groupby; only articles whose top count is tied among real topics go through
    :func:`_dominant` (with the similarity lookup), so a corpus of a million one-chunk rows is
    a few array operations, not a million small groups."""
    aid = ch["article_id"].to_numpy(dtype=object)
    codes, uniq = pd.factorize(aid)
    topic = ch["topic"].to_numpy(np.int64)
    n_art = len(uniq)
    pair = pd.DataFrame({"a": codes, "t": topic}).value_counts(sort=False).reset_index(name="n")
    pair = pair.sort_values(["a", "t"], kind="stable")
    n_chunks = np.bincount(codes, minlength=n_art)
    # dominant: most chunks among real topics; ties resolved per article below
    real = pair[pair["t"] != OUTLIER]
    dom = np.full(n_art, OUTLIER, dtype=np.int64)
    tied = np.zeros(n_art, dtype=bool)
    if len(real):
        mx = real.groupby("a")["n"].transform("max")
        top = real[real["n"] == mx]
        n_top = top.groupby("a")["t"].transform("size")
        one = top[n_top == 1]
        dom[one["a"].to_numpy()] = one["t"].to_numpy()
        tied[top.loc[n_top > 1, "a"].unique()] = True
    if tied.any():
        rows = np.nonzero(tied[codes])[0]
        sims = None if embeddings is None else _tie_lookup(ch, topic, embeddings, rows)
        sub = ch.iloc[rows].sort_values(["article_id", "position"], kind="stable")
        for a, g in sub.groupby("article_id", sort=False):
            dom[codes[g.index[0]]] = _dominant(g["topic"].to_numpy(), None if sims is None else sims(a))
    mixes: list[dict] = [{} for _ in range(n_art)]
    for a, t, n in zip(pair["a"].to_numpy(), pair["t"].to_numpy(), pair["n"].to_numpy()):
        mixes[a][int(t)] = float(n) / n_chunks[a]
    return {str(uniq[i]): (int(dom[i]), mixes[i]) for i in range(n_art)}


def _tie_lookup(ch: pd.DataFrame, topic: np.ndarray, X, rows: np.ndarray):
    """``similarity_lookup`` for the articles of chunk ``rows``, with the topic centroids of the whole
    corpus (as the per-article rule uses)."""
    from .groups import Groups, group_sums
    from .knn import unit_rows
    from .outliers import centroids

    ids, C, _ = centroids(X, topic)
    aids = ch["article_id"].to_numpy(dtype=object)[rows]
    g = Groups.from_labels(aids)
    A = unit_rows(group_sums(_Take(X, rows), g.codes, g.n_groups))
    return _scorer(aids, g.codes, A, ids, C)


class _Take:
    """Rows ``rows`` (sorted) of ``X`` as an array-like for :func:`group_sums` (sliced in batches)."""

    def __init__(self, X, rows):
        self.X, self.rows = X, rows
        self.shape = (len(rows), X.shape[1])

    def __getitem__(self, sl):
        return np.asarray(self.X[self.rows[sl]])


def article_topics(chunks: pd.DataFrame, topic: np.ndarray, label_of, articles: pd.DataFrame,
                   duplicates: pd.DataFrame, *, where_chunks="chunks", where_dups="duplicates",
                   embeddings: np.ndarray | None = None) -> pd.DataFrame:
    """One row per article in ``articles`` plus one per dropped duplicate (``embeddings``, per
    chunk row, break dominant-topic ties; see the module doc)."""
    ch = pd.DataFrame({"article_id": chunks["article_id"].astype(str).to_numpy(),
                       "position": chunks["position"].to_numpy(), "topic": np.asarray(topic, dtype=np.int64)})
    known = set(articles["article_id"].astype(str))
    unknown = ~ch["article_id"].isin(known)
    if unknown.any():
        row = int(np.nonzero(unknown.to_numpy())[0][0])
        raise InputError(f"{where_chunks}: row {row}: article_id {ch['article_id'].iat[row]!r} "
                         f"is not in the articles file")
    per = _per_article(ch, embeddings)
    kept_ids = list(articles["article_id"].astype(str))
    res = {aid: (*per.get(aid, (OUTLIER, {})), None) for aid in kept_ids}
    d_ids = duplicates["article_id"].astype(str).tolist()
    d_twins = duplicates["duplicate_of"].astype(str).tolist()
    dup_of = dict(zip(d_ids, d_twins))
    dup_rows = []
    for i, (aid, twin) in enumerate(zip(d_ids, d_twins)):
        seen = {aid}
        while twin not in res and twin in dup_of:  # a twin that was itself dropped
            if twin in seen:
                raise InputError(f"{where_dups}: row {i}: duplicate_of forms a cycle through {twin!r}")
            seen.add(twin)
            twin = dup_of[twin]
        if twin not in res:
            raise InputError(f"{where_dups}: row {i}: duplicate_of {twin!r} is not in the articles file")
        if aid in res:  # listed as dropped but present: keeps its own topic, names its twin
            res[aid] = (res[aid][0], res[aid][1], twin)
            continue
        dup_rows.append((aid, res[twin][0], res[twin][1], twin))
    final = [(aid, *res[aid]) for aid in kept_ids] + dup_rows
    df = pd.DataFrame({
        "article_id": [r[0] for r in final],
        "topic": np.array([r[1] for r in final], dtype=np.int64),
        "topic_label": [label_of(r[1]) for r in final],
        "topic_mix": [json.dumps({str(k): round(v, 6) for k, v in sorted(r[2].items())}) for r in final],
        "duplicate_of": pd.array([r[3] for r in final], dtype="object"),
        "skipped": pd.array([None] * len(final), dtype="object"),
    })
    return df


SKIPPED_LABEL = "skipped at ingest"


def with_skipped(at: pd.DataFrame, skipped: pd.DataFrame, where: str = "skipped") -> pd.DataFrame:
    """``at`` plus one row per input row that ingest skipped (topic -1, label ``skipped at ingest``,
    an empty mix, ``skipped`` = the reason), so every input row with an id has a result."""
    have = set(at["article_id"].astype(str))
    sk = skipped[~skipped["article_id"].astype(str).isin(have)]
    if sk["article_id"].duplicated().any():
        dup = sk["article_id"][sk["article_id"].duplicated()].iat[0]
        raise InputError(f"{where}: article_id {dup!r} listed twice")
    if sk.empty:
        return at
    extra = pd.DataFrame({"article_id": sk["article_id"].astype(str).to_numpy(),
                          "topic": np.full(len(sk), OUTLIER, dtype=np.int64), "topic_label": SKIPPED_LABEL,
                          "topic_mix": "{}", "duplicate_of": pd.array([None] * len(sk), dtype="object"),
                          "skipped": sk["reason"].astype(str).to_numpy()})
    return pd.concat([at, extra], ignore_index=True)


def _mix_frame(at: pd.DataFrame) -> pd.DataFrame:
    """Long form (article_id, topic, share) of non-duplicate articles' mixes."""
    kept = at[at["duplicate_of"].isna()]
    recs = [(a, int(t), s) for a, m in zip(kept["article_id"], kept["topic_mix"])
            for t, s in json.loads(m).items()]
    return pd.DataFrame(recs, columns=["article_id", "topic", "share"])


def _grouped_shares(at: pd.DataFrame, keys: pd.DataFrame, label_of) -> pd.DataFrame:
    """Shares per group; ``keys`` is indexed by article_id, one column per grouping key (a null
    key leaves the article out)."""
    names = list(keys.columns)
    kept = at[at["duplicate_of"].isna() & (at["topic_mix"] != "{}")].copy()  # articles with chunks
    for k in names:
        kept[k] = kept["article_id"].map(keys[k])
    kept = kept.dropna(subset=names)
    cols = names + ["topic", "topic_label", "n_articles", "share"]
    if kept.empty:
        return pd.DataFrame({c: pd.Series(dtype="object" if c in names or c == "topic_label" else
                                          ("int64" if c in ("topic", "n_articles") else "float64"))
                             for c in cols})
    mix = _mix_frame(kept).merge(kept[["article_id"] + names], on="article_id")
    n_per = kept.groupby(names)["article_id"].count().rename("_n")
    share = mix.groupby(names + ["topic"])["share"].sum().reset_index().merge(n_per.reset_index(), on=names)
    share["share"] = share["share"] / share["_n"]
    dom = kept.groupby(names + ["topic"])["article_id"].count().rename("n_articles").reset_index()
    out = share.merge(dom, on=names + ["topic"], how="left")
    out["n_articles"] = out["n_articles"].fillna(0).astype("int64")
    out["topic"] = out["topic"].astype("int64")
    out["topic_label"] = out["topic"].map(label_of)
    out["share"] = out["share"].round(6)
    return out[cols].sort_values(names + ["topic"], kind="stable").reset_index(drop=True)


def period_of(dates: pd.Series, period: str) -> pd.Series:
    """The period (``2024-01`` for month, ...) of ISO dates; null where there is no date."""
    d = pd.to_datetime(dates, errors="coerce", utc=True, format="mixed")
    per = d.dt.tz_localize(None).dt.to_period(PERIOD_FREQ[period]).astype(str)
    per[d.isna()] = None
    return per


def _keys(articles: pd.DataFrame, by, period: str) -> pd.DataFrame:
    idx = articles["article_id"].astype(str).to_numpy()
    cols = {}
    for k in by:
        if k == "period":
            cols[k] = period_of(articles["date"], period).to_numpy()
        elif k in ("source", "outlet"):
            col = articles[k] if k in articles.columns else pd.Series([None] * len(articles))
            cols[k] = col.where(col.notna(), None).to_numpy(dtype=object)
        else:
            raise ValueError(f"shares by {k!r}: use period, source or outlet")
    return pd.DataFrame(cols, index=idx)


def shares_over_time(at: pd.DataFrame, articles: pd.DataFrame, period: str, label_of) -> tuple[pd.DataFrame, dict]:
    """Topic shares per period of the article's own ``date`` (``page_date`` is ignored)."""
    keys = _keys(articles, ["period"], period)
    out = _grouped_shares(at, keys, label_of)
    n_dated = int(keys["period"].notna().sum())
    info = {"period": period, "articles_with_date": n_dated, "articles_without_date": int(len(keys) - n_dated)}
    return out, info


def shares_per_source(at: pd.DataFrame, articles: pd.DataFrame, label_of) -> pd.DataFrame:
    return _grouped_shares(at, _keys(articles, ["source"], "month"), label_of)


def shares_per_outlet(at: pd.DataFrame, articles: pd.DataFrame, label_of) -> pd.DataFrame:
    """Topic shares per outlet (articles without an outlet are left out)."""
    return _grouped_shares(at, _keys(articles, ["outlet"], "month"), label_of)


def shares_by(at: pd.DataFrame, articles: pd.DataFrame, by, label_of=None, period: str = "month") -> pd.DataFrame:
    """Topic shares per group of articles, ``by`` any of ``period``, ``source`` and ``outlet`` (the
    key columns come in that order), e.g. ``["outlet", "period"]`` for topic share over time per outlet. ``label_of``
    defaults to the labels in ``at``."""
    if label_of is None:
        names = dict(zip(at["topic"].astype(int), at["topic_label"]))
        label_of = lambda t: names.get(int(t), str(t))  # noqa: E731
    return _grouped_shares(at, _keys(articles, list(by), period), label_of)


def _scorer(aids, codes, A, ids, C):
    """``aid -> (topic -> cosine of the article's mean vector to the topic's centroid)``; -2 for a
    topic without a centroid."""
    row_of = {str(a): int(c) for a, c in zip(aids, codes)}
    col_of = {int(t): i for i, t in enumerate(ids)}

    def for_article(aid):
        r = row_of[str(aid)]
        return lambda t: float(A[r] @ C[col_of[t]]) if t in col_of else -2.0
    return for_article
