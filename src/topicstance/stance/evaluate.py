"""The evaluate stage: honest numbers for a stance model on a labelled CSV.

Input: the labels with a ``split`` column and the model trained on its train
split. The model is refused if it was trained on any test unit. Written:

``<reports>/stance_metrics.json``
    * ``test``: macro-F1 and F_avg overall and per target, each with a 95%
      bootstrap interval, per-class F1/precision/recall/support, the confusion
      matrix; the same for the ``majority`` baseline (each target's most frequent
      train class) and the ``tfidf`` baseline (trained on the train split);
    * ``cv``: repeated stratified cross-validation on train, grouped by ``group``, with
      ``n_folds = min(stance.cv_folds, smallest class count)``; skipped, with the
      reason, when a class has fewer than 2 examples; ``cv.by_source`` scores the
      out-of-fold predictions per source (the figures for a source with no
      test split, such as BBC);
    * ``learning_curve``: k = stance.learning_curve_k per class per target and
      ``all``, ``cv_repeats`` seeds each, scored on test; a point is
      ``supported: false`` when some (target, class) cell has fewer than k
      training examples (it then uses all of them);
    * ``calibration``: top-label ECE (10 bins) of the model on test;
    * ``test_by_split``: the same for each named test split of
      ``stance.test_split`` and, with three or more, ``pool`` (every split but
      the first, pooled); ``test_by_source``: for each source with test rows.
      Each block has the model, the majority and tf-idf baselines and, where the
      source's provenance predicts the stance, a shortcut baseline
      (:mod:`.shortcuts`: ``kind`` on the propaganda diary, ``side`` on the
      press releases). Intervals resample whole ``group``s;
    * ``test_split``: row counts and the sha256 of the test rows.
``<reports>/stance/``: ``confusion.csv`` (actual, predicted, target per test
row), ``learning_curve.csv``, ``reliability.csv``, ``test_predictions.csv``, and
``cv_predictions.csv``: the out-of-fold probabilities of every CV repeat on
train, from which ``stance shares`` learns how the method errs (:mod:`.prevalence`).

CV and the learning curve retrain the model's method; ``setfit`` and
``ensemble`` would fine-tune the body for every fold, so there they retrain
their frozen-body counterparts (``embedding-lr`` and ``hybrid``), and the JSON
says so (``cv_method``). Frozen embeddings of all rows are computed once
(through the embedding cache) and reused by every fit.
"""
from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io import check_outputs, write_json, write_text, writes
from . import CLASSES
from .classifier import StanceClassifier
from .labels import check_trainable, read_labels, target_key, unit_id
from . import shortcuts
from .metrics import bootstrap_ci, class_balanced, reliability, summary
from .ngrams import NgramCounts
from .split import read_named_splits, split_of_units

CHEAP_COUNTERPART = {"setfit": "embedding-lr", "ensemble": "hybrid"}


_LOG = logging.getLogger(__name__)


def _log(msg: str) -> None:
    _LOG.info(f"stance evaluate: {msg}")


def test_split_hash(test: pd.DataFrame) -> str:
    lines = sorted(f"{unit_id(t)}\t{target_key(g)}\t{s}" for t, g, s in zip(test["text"], test["target"], test["stance"]))
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def scored(y_true, y_pred, targets, n_bootstrap: int, seed: int, groups=None) -> dict:
    """Summary overall and per target; intervals resample whole ``groups`` when given."""
    y_true, y_pred, targets = np.asarray(y_true), np.asarray(y_pred), np.asarray(targets)
    g = None if groups is None else np.asarray(groups)
    out = summary(y_true, y_pred)
    out["ci95"] = bootstrap_ci(y_true, y_pred, n_bootstrap, seed, groups=g)
    out["per_target"] = {}
    for t in sorted(set(targets)):
        m = targets == t
        s = summary(y_true[m], y_pred[m])
        s["ci95"] = bootstrap_ci(y_true[m], y_pred[m], n_bootstrap, seed, groups=None if g is None else g[m])
        s["classes_in_test"] = sorted(set(y_true[m]), key=CLASSES.index)
        out["per_target"][t] = s
    return out


def _named_splits(test_split, test: pd.DataFrame) -> dict[str, set[str]]:
    """The named test splits of ``stance.test_split``; a single missing file names the labels' own test rows."""
    from ..params import test_split_files

    files = test_split_files(test_split)
    if len(files) == 1 and not Path(next(iter(files.values()))).exists():
        return {next(iter(files)): set(test["unit_id"])}
    return read_named_splits(test_split)


class _Fitter:
    """Retrains a method on row subsets, reusing precomputed frozen embeddings."""

    def __init__(self, proto: StanceClassifier, method: str, df: pd.DataFrame, emb: np.ndarray | None,
                 counts: NgramCounts | None = None):
        self.proto, self.method, self.df, self.emb, self.counts = proto, method, df, emb, counts
        self.n_fits = 0

    def fit_predict(self, tr_idx, te_idx, seed: int) -> tuple[np.ndarray, np.ndarray]:
        clf = StanceClassifier(**{**self.proto.get_params(), "method": self.method, "random_state": seed,
                                  "verbose": False})
        d = self.df
        e = None if self.emb is None else self.emb
        clf.fit(d["text"].iloc[tr_idx].tolist(), d["target"].iloc[tr_idx].tolist(),
                d["stance"].iloc[tr_idx].tolist(), embeddings=None if e is None else e[tr_idx],
                ngram_counts=self.counts)
        self.n_fits += 1
        P = clf.predict_proba(d["text"].iloc[te_idx].tolist(), d["target"].iloc[te_idx].tolist(),
                              embeddings=None if e is None else e[te_idx])
        return P, np.array(CLASSES)[P.argmax(1)]


def fold_count(y: np.ndarray, groups: np.ndarray, cv_folds: int) -> int:
    """``cv_folds`` lowered to the smallest class count and to the number of groups."""
    smallest = min(int((y == c).sum()) for c in CLASSES if (y == c).any())
    return min(cv_folds, smallest, len(set(groups)))


def grouped_folds(y: np.ndarray, groups: np.ndarray, cv_folds: int, random_state: int) -> list:
    """The (train, test) positions of one shuffled, stratified, grouped K-fold split of ``y``, with K
    from :func:`fold_count`: no group is split between folds. The split :func:`cross_validate`
    makes for each repeat (seed ``random_state`` + repeat)."""
    from sklearn.model_selection import StratifiedGroupKFold

    cv = StratifiedGroupKFold(n_splits=fold_count(y, groups, cv_folds), shuffle=True, random_state=random_state)
    return list(cv.split(np.zeros(len(y)), y, groups))


def cross_validate(fitter: _Fitter, train_idx: np.ndarray, p, oof: list | None = None) -> dict:
    """Repeated grouped CV on ``train_idx``; appends each repeat's out-of-fold probabilities to ``oof``.

    Each entry of ``oof`` is a table (row position in ``fitter.df``, repeat, P): the input of the
    prevalence correction (:mod:`.prevalence`), which needs how the method errs on units it did not see.
    """
    df = fitter.df
    y = df["stance"].to_numpy()[train_idx]
    counts = {c: int((y == c).sum()) for c in CLASSES if (y == c).sum() > 0}
    smallest = min(counts.values())
    if smallest < 2:
        cls = min(counts, key=counts.get)
        return {"skipped": f"class {cls} has {smallest} training example(s); cross-validation needs >= 2",
                "class_counts": counts}
    groups = df["group"].to_numpy()[train_idx]
    n_folds = fold_count(y, groups, p.cv_folds)
    tg_train = df["target"].to_numpy()[train_idx]
    src_train = df["source"].to_numpy()[train_idx]
    folds = []
    pooled = []  # per repeat: class_balanced of the out-of-fold predictions
    by_source: dict[str, list[dict]] = {}
    for r in range(p.cv_repeats):
        oof_pred, done = np.empty(len(y), dtype=object), np.zeros(len(y), dtype=bool)
        oof_p = np.full((len(y), len(CLASSES)), np.nan)
        for f, (a, b) in enumerate(grouped_folds(y, groups, p.cv_folds, p.random_state + r)):
            if len(set(y[a])) < 2:
                continue
            P, pred = fitter.fit_predict(train_idx[a], train_idx[b], p.random_state + r)
            oof_pred[b], oof_p[b], done[b] = pred, P, True
            s = summary(y[b], pred)
            tg = tg_train[b]
            folds.append({"repeat": r, "fold": f, "n_test": int(len(b)), "macro_f1": s["macro_f1"], "f_avg": s["f_avg"],
                          "per_target_f_avg": {t: summary(y[b][tg == t], pred[tg == t])["f_avg"] for t in sorted(set(tg))}})
        pooled.append(class_balanced(y[done], oof_pred[done].astype(str), tg_train[done]))
        if oof is not None:
            oof.append((train_idx[done], r, oof_p[done]))
        for src in sorted(set(src_train)):
            m = done & (src_train == src)
            if m.any():
                q = summary(y[m], oof_pred[m].astype(str))
                by_source.setdefault(src, []).append({"n": q["n"], "macro_f1": q["macro_f1"], "f_avg": q["f_avg"]})
    mf = np.array([f["macro_f1"] for f in folds])
    fa = np.array([f["f_avg"] for f in folds])
    return {"n_folds": n_folds, "n_repeats": p.cv_repeats, "class_counts": counts,
            "macro_f1": {"mean": float(mf.mean()), "sd": float(mf.std(ddof=1)) if len(mf) > 1 else 0.0},
            "f_avg": {"mean": float(fa.mean()), "sd": float(fa.std(ddof=1)) if len(fa) > 1 else 0.0},
            "grouped_by": "group (a unit, story or release stays in one fold)",
            "class_balanced": _balanced_summary(pooled),
            "by_source": {src: {"n": v[0]["n"], "macro_f1": float(np.mean([r["macro_f1"] for r in v])),
                                "f_avg": float(np.mean([r["f_avg"] for r in v])),
                                "note": "cross-validated on train (out-of-fold, mean over repeats)"}
                          for src, v in sorted(by_source.items())},
            "folds": folds}


def cv_predictions_table(df: pd.DataFrame, oof: list, method: str) -> pd.DataFrame:
    """The out-of-fold predictions of every CV repeat, one row per (labelled row, repeat)."""
    parts = []
    for rows, r, P in oof:
        d = df.iloc[rows]
        parts.append(pd.DataFrame({
            "unit_id": d["unit_id"].to_numpy(), "group": d["group"].to_numpy(), "source": d["source"].to_numpy(),
            "target": d["target"].to_numpy(), "stance": d["stance"].to_numpy(), "repeat": r, "method": method,
            "predicted": np.array(CLASSES, dtype=object)[P.argmax(1)],
            "p_favor": P[:, 0], "p_against": P[:, 1], "p_none": P[:, 2]}))
    return pd.concat(parts, ignore_index=True)


def _balanced_summary(pooled: list[dict]) -> dict:
    """Mean over repeats of :func:`class_balanced` on the pooled out-of-fold predictions."""
    cells = {(t, c): v["n"] for q in pooled for t, cs in q["recall"].items() for c, v in cs.items()}
    rec: dict = {}
    for (t, c), n in sorted(cells.items(), key=lambda kv: (kv[0][0], CLASSES.index(kv[0][1]))):
        vals = [q["recall"][t][c]["recall"] for q in pooled if c in q["recall"].get(t, {})]
        rec.setdefault(t, {})[c] = {"recall": float(np.mean(vals)), "n": n}
    return {"note": "out-of-fold predictions pooled per repeat and weighted so every stance counts equally "
                    "within each target: how the model would score on class-balanced text of this kind",
            "macro_f1": float(np.mean([q["macro_f1"] for q in pooled])),
            "f_avg": float(np.mean([q["f_avg"] for q in pooled])),
            "recall": rec}


def learning_curve(fitter: _Fitter, train_idx: np.ndarray, test_idx: np.ndarray, p) -> list[dict]:
    df = fitter.df
    tr = df.iloc[train_idx]
    names = {}
    for t in tr["target"]:
        names.setdefault(target_key(t), t)
    keys = tr["target"].map(target_key)
    cells = {(names[k], s): np.asarray(train_idx[np.flatnonzero(((keys == k) & (tr["stance"] == s)).to_numpy())])
             for k, s in sorted({(target_key(t), s) for t, s in zip(tr["target"], tr["stance"])})}
    y_test = df["stance"].to_numpy()[test_idx]
    points = []
    for k in list(p.learning_curve_k) + ["all"]:
        capped = sorted(f"{t}/{s}: {len(ix)}" for (t, s), ix in cells.items() if k != "all" and len(ix) < k)
        seeds = [p.random_state] if k == "all" else [p.random_state + i for i in range(p.cv_repeats)]
        runs = []
        for seed in seeds:
            if k == "all":
                sel = train_idx
            else:
                rng = np.random.default_rng(seed)
                sel = np.concatenate([rng.choice(ix, size=min(k, len(ix)), replace=False) for _, ix in sorted(cells.items())])
            if len(set(df["stance"].to_numpy()[sel])) < 2:
                continue
            _, pred = fitter.fit_predict(sel, test_idx, seed)
            s = summary(y_test, pred)
            runs.append({"seed": seed, "n_train": int(len(sel)), "macro_f1": s["macro_f1"], "f_avg": s["f_avg"]})
        pt = {"k": k, "supported": not capped, "capped_cells": capped, "runs": runs}
        if runs:
            for m in ("n_train", "macro_f1", "f_avg"):
                v = np.array([r[m] for r in runs], dtype=float)
                pt[m] = float(v.mean())
                if m != "n_train":
                    pt[f"{m}_sd"] = float(v.std(ddof=1)) if len(v) > 1 else 0.0
        else:
            pt["skipped"] = "the sample holds a single stance class"
        points.append(pt)
    return points


PLOT_FILES = ("confusion.csv", "learning_curve.csv", "reliability.csv", "test_predictions.csv")


@writes("stance evaluate", inputs=("labels_path", "model_dir"))
def evaluate(labels_path, model_dir, reports_dir, params) -> dict:
    t0 = time.perf_counter()
    p = params.stance
    reports_dir = Path(reports_dir)
    check_outputs(files=[reports_dir / "stance_metrics.json", *(reports_dir / "stance" / f for f in PLOT_FILES)])
    df = read_labels(labels_path, require_split=True)
    train_idx = np.flatnonzero(df["split"].to_numpy() == "train")
    test_idx = np.flatnonzero(df["split"].to_numpy() == "test")
    if len(test_idx) == 0:
        raise InputError(f"{labels_path}: no rows with split == 'test'")
    if len(train_idx) == 0:
        raise InputError(f"{labels_path}: no rows with split == 'train'")
    warnings = check_trainable(df.iloc[train_idx], labels_path)
    for w in warnings:
        _log(w)
    model = StanceClassifier.load(model_dir, cache_dir=params.embed.cache_dir)
    test = df.iloc[test_idx]
    leaked = set(unit_id(t) for t in test["text"]) & set(model.train_units_)
    if leaked:
        raise InputError(f"{model_dir}: the model was trained on {len(leaked)} test unit(s) of {labels_path}; "
                         "train it with `topicstance stance train LABELS.csv --split train`")
    method = model.method
    cv_method = CHEAP_COUNTERPART.get(method, method)
    proto = StanceClassifier.from_params(p, params.embed, method=cv_method)
    emb = None
    if proto.uses_frozen_embeddings or model.uses_frozen_embeddings:
        emb = proto.frozen_embeddings(df["text"].tolist())
    _log(f"{len(train_idx)} train / {len(test_idx)} test rows; model method {method}")

    # the model on test
    same_body = model.uses_frozen_embeddings and emb is not None and model.model == proto.model \
        and model.precision == proto.precision
    P = model.predict_proba(test["text"].tolist(), test["target"].tolist(),
                            embeddings=emb[test_idx] if same_body else None)
    pred = np.array(CLASSES)[P.argmax(1)]
    y_test = test["stance"].to_numpy()
    tg_test = test["target"].to_numpy()
    g_test = test["group"].to_numpy()
    src_test = test["source"].to_numpy()
    kind_test = test["kind"].to_numpy()
    res_model = scored(y_test, pred, tg_test, p.n_bootstrap, p.random_state, groups=g_test)

    # baselines
    tr = df.iloc[train_idx]
    overall_major = tr["stance"].value_counts().idxmax()
    major = {target_key(t): g["stance"].value_counts().idxmax() for t, g in tr.groupby("target")}
    pred_major = np.array([major.get(target_key(t), overall_major) for t in tg_test])
    timings = {"load_and_embed": round(time.perf_counter() - t0, 1)}
    t1 = time.perf_counter()
    texts = df["text"].tolist()
    if proto.mask_targets:  # the fits count n-grams of the target-masked texts
        from .mask import TargetMasker

        tg = df["target"].tolist()
        texts = texts + TargetMasker(proto.aliases).fit(tg).transform(texts, tg)
    counts = NgramCounts(texts)
    tfidf = _Fitter(proto, "tfidf", df, None, counts)
    _, pred_tfidf = tfidf.fit_predict(train_idx, test_idx, p.random_state)
    baselines = {"majority": scored(y_test, pred_major, tg_test, p.n_bootstrap, p.random_state, groups=g_test),
                 "tfidf": scored(y_test, pred_tfidf, tg_test, p.n_bootstrap, p.random_state, groups=g_test)}
    named = _named_splits(p.test_split, test)
    split_of = np.array([n or "unlisted" for n in split_of_units(test["unit_id"], named)], dtype=object)

    def block(m: np.ndarray, shortcut: bool) -> dict:
        out = {"n_rows": int(m.sum()), "n_groups": int(len(set(g_test[m]))),
               "model": scored(y_test[m], pred[m], tg_test[m], p.n_bootstrap, p.random_state, groups=g_test[m]),
               "baseline_majority": scored(y_test[m], pred_major[m], tg_test[m], p.n_bootstrap, p.random_state,
                                           groups=g_test[m]),
               "baseline_tfidf": scored(y_test[m], pred_tfidf[m], tg_test[m], p.n_bootstrap, p.random_state,
                                        groups=g_test[m])}
        if shortcut:
            for name in shortcuts.RULES:
                cov = shortcuts.applies(name, src_test[m])
                if cov.all():
                    sp = shortcuts.predict(name, src_test[m], kind_test[m], tg_test[m])
                    out[f"baseline_{name}"] = scored(y_test[m], sp, tg_test[m], p.n_bootstrap, p.random_state,
                                                     groups=g_test[m])
        return out

    by_split = {name: block(split_of == name, True) for name in [*named, "unlisted"] if (split_of == name).any()}
    pools = [n for n in list(named)[1:] if n in by_split]
    if len(pools) >= 2:  # the label pools together: every named split but the first (the project's seed split)
        by_split["pool"] = {**block(np.isin(split_of, pools), False), "splits": pools}
    by_source = {src: block(src_test == src, True) for src in sorted(set(src_test))}

    timings["test_and_baselines"] = round(time.perf_counter() - t1, 1)
    fitter = _Fitter(proto, cv_method, df, emb, counts)
    _log("cross-validation")
    t1 = time.perf_counter()
    oof: list = []
    cv = cross_validate(fitter, train_idx, p, oof)
    timings["cv"] = round(time.perf_counter() - t1, 1)
    _log("learning curve")
    t1 = time.perf_counter()
    lc = learning_curve(fitter, train_idx, test_idx, p)
    timings["learning_curve"] = round(time.perf_counter() - t1, 1)
    timings["fits"] = fitter.n_fits + tfidf.n_fits
    ece, bins = reliability(P, y_test)

    split_info = {"n_train": int(len(train_idx)), "n_test": int(len(test_idx)),
                  "test_units": int(test["unit_id"].nunique()), "sha256": test_split_hash(test),
                  "train_counts": {t: g["stance"].value_counts().reindex(CLASSES, fill_value=0).astype(int).to_dict()
                                   for t, g in tr.groupby("target")},
                  "test_counts": {t: g["stance"].value_counts().reindex(CLASSES, fill_value=0).astype(int).to_dict()
                                  for t, g in test.groupby("target")}}
    from ..io import sha256_file
    from ..params import test_split_files

    split_info["frozen_files"] = {name: {"path": f, "sha256": sha256_file(f)}
                                  for name, f in test_split_files(p.test_split).items() if Path(f).exists()}
    metrics = {
        "labels": str(labels_path), "model": str(model_dir), "method": method, "cv_method": cv_method,
        "classes": list(CLASSES), "test_split": split_info,
        "test": {"model": res_model, **{f"baseline_{k}": v for k, v in baselines.items()}},
        "test_by_split": by_split, "test_by_source": by_source,
        "sources_without_test": sorted(set(df["source"]) - set(src_test)),
        "cv": cv, "learning_curve": lc,
        "calibration": {"ece": ece, "n_bins": len(bins), "bins": bins},
        "warnings": warnings, "duplicates_dropped": int(df.attrs.get("n_duplicates_dropped", 0)),
        "seconds": None, "timings": timings,
    }
    # plot data
    plots = reports_dir / "stance"
    write_text(plots / "confusion.csv",
               pd.DataFrame({"actual": y_test, "predicted": pred, "target": tg_test}).to_csv(index=False))
    lc_rows = [{"k": str(pt["k"]), "n_train": pt.get("n_train"), "f_avg": pt.get("f_avg"), "f_avg_sd": pt.get("f_avg_sd"),
                "macro_f1": pt.get("macro_f1"), "macro_f1_sd": pt.get("macro_f1_sd"), "supported": pt["supported"]}
               for pt in lc if "n_train" in pt]
    write_text(plots / "learning_curve.csv", pd.DataFrame(lc_rows).to_csv(index=False))
    write_text(plots / "reliability.csv", pd.DataFrame([b for b in bins if b["count"]]).to_csv(index=False))
    write_text(plots / "test_predictions.csv", pd.DataFrame({
        "unit_id": test["unit_id"].to_numpy(), "group": g_test, "source": src_test,
        "target": tg_test, "stance": y_test, "predicted": pred,
        "p_favor": P[:, 0], "p_against": P[:, 1], "p_none": P[:, 2], "text": test["text"].to_numpy()}).to_csv(index=False))
    if oof:
        write_text(plots / "cv_predictions.csv", cv_predictions_table(df, oof, cv_method).to_csv(index=False))
        metrics["cv"]["predictions"] = "stance/cv_predictions.csv"
    metrics["seconds"] = round(time.perf_counter() - t0, 1)
    write_json(reports_dir / "stance_metrics.json", metrics)
    return metrics
