"""Stance shares per group of an applied stance output: ``topicstance stance shares`` and its DVC stage.

Input: a data folder with ``stance.parquet`` (one row per chunk and target, as
``stance apply`` writes it). Every other table found there is joined to it, so
any of their columns can name the groups:

* ``topics.parquet``: ``topic`` (the chunk's topic) and ``topic_label``;
* ``article_topics.parquet``: ``article_topic`` (the article's dominant topic);
* ``chunks.parquet``: ``position``, ``n_tokens``, ...;
* ``articles.parquet``: ``source``, ``title``, ``date``, any extra column of the
  input table, and ``period`` (the article's own ``date`` by
  ``topics.time_period``; articles without a date have none);
* ``all``: one group holding every chunk.

A chunk whose group value is missing (no date, no topic) is left out of that
grouping and counted.

**Texts the model was trained on.** The correction describes how the model errs
on texts it has not seen. A chunk that contains a paragraph the model was
trained on (matched by ``unit_id``, the sha256 of the paragraph, against the
model's ``train_units.json``, or else the labelled rows of the correction) is
predicted far better than that, so its group's correction over-corrects:
``seen`` is the share of such chunks and ``seen_in_training`` flags a group
where it exceeds ``prevalence.tolerance``. The seed corpus is such a case: its
paragraphs are the seed labels. The unit is the chunk: the correction is learnt on
labelled paragraphs, which chunks resemble; an article's aggregated stance is a
different classifier, with error rates nobody measured. Chunks of one article
are resampled together (``prevalence.resample: article``).

The correction (:class:`~.prevalence.StancePrevalence`) is fitted from
``stance evaluate``'s out-of-fold predictions (``cv_predictions.csv``) and saved
as a directory, or loaded from such a directory.
"""
from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema
from ..errors import InputError
from . import CLASSES
from .prevalence import DIAGNOSTIC, METHODS, StancePrevalence

RESERVED = {"chunk_id", "target", "stance", "p_favor", "p_against", "p_none", "text"}
CV_COLUMNS = ("target", "stance", "p_favor", "p_against", "p_none")
COLUMNS = ["by", "group", "label", "target", "stance", "n", "n_clusters", "seen", "cc", "cc_lo", "cc_hi", "pcc",
           "acc", "pacc", "kdey", "method", "corrected", "lo", "hi", "unconstrained", "condition", "flags"]


def estimator_from_params(p, **kw) -> StancePrevalence:
    kw = {"method": p.method, "sources": tuple(p.sources), "prior_rows": p.prior_rows, "bandwidth": p.bandwidth,
          "kde_space": p.kde_space, **kw}
    return StancePrevalence(solver=p.solver, n_bootstrap=p.n_bootstrap, level=p.level,
                            min_units=p.min_units, max_condition=p.max_condition, tolerance=p.tolerance,
                            random_state=p.random_state, **kw)


def read_cv_predictions(path: str | Path) -> pd.DataFrame:
    """The out-of-fold predictions ``stance evaluate`` writes; ``group`` defaults to ``unit_id``, then the row."""
    from .labels import read_table_any

    df = read_table_any(path)
    missing = [c for c in CV_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"{path}: missing column {missing[0]!r} (has: {', '.join(df.columns)})")
    if df.empty:
        raise InputError(f"{path}: no rows")
    for c in ("p_favor", "p_against", "p_none"):
        v = pd.to_numeric(df[c], errors="coerce")
        if v.isna().any():
            row = int(v.isna().to_numpy().nonzero()[0][0]) + 2
            raise InputError(f"{path}: row {row}: column {c!r} is not a number")
        df[c] = v.astype(float)
    bad = ~df["stance"].isin(CLASSES)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(f"{path}: row {row + 2}: unknown stance {df['stance'].iloc[row]!r}")
    if "group" not in df.columns:
        df["group"] = df["unit_id"] if "unit_id" in df.columns else np.arange(len(df)).astype(str)
    return df


def fit_correction(cv: pd.DataFrame, params, **kw) -> StancePrevalence:
    """The correction learnt from out-of-fold predictions (``kw`` overrides parameters, e.g. ``sources``)."""
    return estimator_from_params(params, **kw).fit(
        cv["stance"].to_numpy(), cv[["p_favor", "p_against", "p_none"]].to_numpy(), cv["target"].astype(str).tolist(),
        cv["group"].astype(str).to_numpy(), cv["source"].astype(str).to_numpy() if "source" in cv.columns else None)


def seen_chunks(chunks: pd.DataFrame, articles: pd.DataFrame, trained: set[str]) -> pd.Series:
    """For each chunk, whether it overlaps a paragraph (of its article's text) whose unit id is in ``trained``."""
    from .labels import unit_id

    spans: dict[str, list[tuple[int, int]]] = {}
    for aid, text in zip(articles["article_id"], articles["text"]):
        pos, hit = 0, []
        for para in str(text).split("\n\n"):
            if unit_id(para) in trained:
                hit.append((pos, pos + len(para)))
            pos += len(para) + 2
        if hit:
            spans[aid] = hit
    return pd.Series([any(a < e and b > s for a, b in spans.get(aid, ()))
                      for aid, s, e in zip(chunks["article_id"], chunks["char_start"], chunks["char_end"])],
                     index=chunks["chunk_id"].to_numpy(), dtype=bool)


def unit_table(data_dir: str | Path, period: str = "month", trained: set[str] | None = None) -> tuple[pd.DataFrame, dict]:
    """``stance.parquet`` with the columns of every other table in ``data_dir`` joined (module docstring);
    with ``trained`` (unit ids the model was trained on) also ``seen`` per chunk."""
    from ..topics.articles import PERIOD_FREQ

    d = Path(data_dir)
    df = schema.read_table(d / "stance.parquet", schema.STANCE)
    joined = []
    if (d / "topics.parquet").exists():
        t = schema.read_table(d / "topics.parquet", schema.TOPICS, unique="chunk_id")
        df = df.merge(t[["chunk_id", "topic"]], on="chunk_id", how="left")
        joined.append("topics.parquet")
    at = None
    if (d / "article_topics.parquet").exists():
        at = schema.read_table(d / "article_topics.parquet", schema.ARTICLE_TOPICS)
        at = at[at["duplicate_of"].isna()] if "duplicate_of" in at.columns else at
        df = df.merge(at[["article_id", "topic"]].rename(columns={"topic": "article_topic"}).drop_duplicates("article_id"),
                      on="article_id", how="left")
        joined.append("article_topics.parquet")
        labels = dict(zip(at["topic"].astype(int), at["topic_label"].astype(str)))
        if "topic" in df.columns:
            df["topic_label"] = df["topic"].map(lambda v: labels.get(int(v)) if pd.notna(v) else None)
    c = a = None
    if (d / "chunks.parquet").exists():
        c = schema.read_table(d / "chunks.parquet", schema.CHUNKS, unique="chunk_id")
        extra = [k for k in c.columns if k not in df.columns and k not in RESERVED]
        df = df.merge(c[["chunk_id", *extra]], on="chunk_id", how="left")
        joined.append("chunks.parquet")
    info = {"joined": joined}
    if (d / "articles.parquet").exists():
        a = schema.read_table(d / "articles.parquet", schema.ARTICLES, unique="article_id")
        if trained and c is not None:
            seen = seen_chunks(c, a, trained)
            df["_seen"] = df["chunk_id"].map(seen).fillna(False).astype(bool)
            info["chunks_seen_in_training"] = int(seen.sum())
        dates = pd.to_datetime(a["date"], errors="coerce", utc=True, format="mixed")
        per = dates.dt.tz_localize(None).dt.to_period(PERIOD_FREQ[period]).astype(str)
        a = a.assign(period=per.where(dates.notna(), None))
        extra = [k for k in a.columns if k not in df.columns and k not in RESERVED]
        df = df.merge(a[["article_id", *extra]], on="article_id", how="left")
        joined.append("articles.parquet")
        info["articles_without_date"] = int(dates.isna().sum())
    return df, info


def _group_key(series: pd.Series, col: str) -> pd.Series:
    if series.map(lambda v: isinstance(v, (list, tuple, dict, np.ndarray))).any():
        raise InputError(f"--by {col}: the column holds lists, not one value per chunk; name a scalar column")
    s = series.astype(object).where(series.notna(), None)
    return s.map(lambda v: None if v is None else (str(int(v)) if isinstance(v, (float, np.floating)) and float(v).is_integer()
                                                   else str(v)))


def shares_table(est: StancePrevalence, units: pd.DataFrame, by: list[str], resample: str = "article") -> tuple[pd.DataFrame, dict]:
    """One row per grouping x group x target x stance (columns :data:`COLUMNS`) and per-grouping counts.

    ``seen`` is NaN when ``units`` has no ``_seen`` column (it was built without the trained units)."""
    if resample not in ("article", "chunk"):
        raise InputError(f"resample must be article or chunk, got {resample!r}")
    rows, stats = [], {}
    for col in by:
        if col in RESERVED:
            raise InputError(f"--by {col}: cannot group by a stance output column")
        if col != "all" and col not in units.columns:
            avail = sorted(c for c in units.columns if c not in RESERVED)
            raise InputError(f"--by {col}: no such column (available: all, {', '.join(avail)})")
        key = pd.Series("all", index=units.index) if col == "all" else _group_key(units[col], col)
        keep = key.notna()
        stats[col] = {"groups": int(key[keep].nunique()),
                      "chunks_without_value": int(units.loc[~keep, "chunk_id"].nunique())}
        sub = units[keep].assign(_key=key[keep])
        for (g, target), part in sub.groupby(["_key", "target"], sort=True):
            P = part[["p_favor", "p_against", "p_none"]].to_numpy(dtype=float)
            clusters = part["article_id"].to_numpy() if resample == "article" else None
            seed = (est.random_state + zlib.crc32(f"{col}\0{g}\0{target}".encode())) % 2**32
            r = est.shares(P, str(target), clusters=clusters, seed=seed)
            label = ""
            if col == "topic" and "topic_label" in part.columns and part["topic_label"].notna().any():
                label = str(part["topic_label"].dropna().iloc[0])
            e, iv = r["estimates"], r["intervals"]
            m = est.method
            seen = float(part["_seen"].mean()) if "_seen" in part.columns else np.nan
            flags = list(r["flags"])
            if seen > est.tolerance:
                flags.append("seen_in_training")
            for i, c in enumerate(CLASSES):
                rows.append({"by": col, "group": g, "label": label, "target": target, "stance": c, "n": r["n"],
                             "n_clusters": r["n_clusters"], "seen": seen, "cc": e["cc"][i], "cc_lo": iv["cc"][0][i],
                             "cc_hi": iv["cc"][1][i], **{k: e[k][i] for k in METHODS if k != "cc"},
                             "method": m, "corrected": e[m][i], "lo": iv[m][0][i], "hi": iv[m][1][i],
                             "unconstrained": e[f"{DIAGNOSTIC[m]}_unconstrained"][i], "condition": r["condition"],
                             "flags": ";".join(flags)})
    out = pd.DataFrame(rows, columns=COLUMNS)
    for c in ("seen", *METHODS, "cc_lo", "cc_hi", "corrected", "lo", "hi", "unconstrained"):
        out[c] = out[c].astype(float).round(6)
    out["condition"] = out["condition"].astype(float).round(3)
    return out, stats


def run_shares(data_dir, by: list[str], out: str | Path | None, params, *, correction: str | Path | None = None,
               cv_predictions: str | Path | None = None, model: str | Path | None = None) -> tuple[pd.DataFrame, dict]:
    """The ``stance shares`` command: fit (and save) or load the correction, then the table.

    ``model`` (the stance model that wrote ``stance.parquet``) gives the exact units it was
    trained on; without it the correction's labelled units stand in for them. ``out`` and, when it
    is written (with ``cv_predictions``), the ``correction`` folder are checked with the writer's
    rules before anything is read; a correction that is read is an input.
    """
    from ..io import writing

    with writing("stance shares", [data_dir, cv_predictions, model, None if cv_predictions else correction]):
        return _run_shares(data_dir, by, out, params, correction=correction, cv_predictions=cv_predictions,
                           model=model)


def _run_shares(data_dir, by, out, params, *, correction, cv_predictions, model) -> tuple[pd.DataFrame, dict]:
    from dataclasses import asdict

    from ..io import check_outputs, sha256_file, write_parquet, write_text

    check_outputs(files=[out], folders=[correction] if cv_predictions is not None else [])
    p = params.prevalence
    if cv_predictions is not None:
        cv = read_cv_predictions(cv_predictions)
        est = fit_correction(cv, p)
        meta = {"cv_predictions": str(cv_predictions), "sha256": sha256_file(cv_predictions),
                "method": sorted(set(cv["method"].astype(str))) if "method" in cv.columns else [],
                "repeats": int(cv["repeat"].nunique()) if "repeat" in cv.columns else 1,
                "labelled_units": sorted(set(cv["unit_id"].astype(str))) if "unit_id" in cv.columns else []}
        if correction is not None:
            est.save(correction, meta=meta)
        est.meta_ = meta
    elif correction is not None:
        est = StancePrevalence.load(correction, **{k: (tuple(v) if isinstance(v, list) else v)
                                                   for k, v in asdict(p).items()
                                                   if k in StancePrevalence().get_params()})
    else:
        raise InputError("no correction: give --cv-predictions (reports/stance/cv_predictions.csv) or --correction DIR")
    info_model: dict = {}
    trained = set(est.meta_.get("labelled_units", []))
    if model is not None:
        import json

        from .persist import read_config

        cfg = read_config(model)
        trained = set(json.loads((Path(model) / "train_units.json").read_text(encoding="utf-8")))
        cv_methods = est.meta_.get("method", [])
        info_model = {"model_method": cfg["params"]["method"], "cv_method": cv_methods,
                      "same_method": cv_methods == [cfg["params"]["method"]]}
    units, info = unit_table(data_dir, params.topics.time_period, trained or None)
    info.update(info_model)
    info["trained_units_from"] = "model" if model is not None else ("correction" if trained else "none")
    table, stats = shares_table(est, units, list(by), p.resample)
    if out is not None:
        out = Path(out)
        if out.suffix.lower() in (".parquet", ".pq"):
            write_parquet(out, table)
        else:
            write_text(out, table.to_csv(index=False))
    flagged = table.drop_duplicates(["by", "group", "target"])
    info.update({"groupings": stats, "rows": int(len(table)), "targets": list(est.targets_),
                 "group_targets": int(len(flagged)), "flagged": int((flagged["flags"] != "").sum()),
                 "flag_counts": {f: int(flagged["flags"].str.split(";").map(lambda v, f=f: f in v).sum())
                                 for f in sorted({x for v in flagged["flags"] for x in v.split(";") if x})},
                 "condition": {t: est.condition_[t] for t in est.targets_}, "methods": list(METHODS)})
    return table, info
