"""Stance metrics: per-class F1, macro-F1, F_avg, bootstrap intervals, calibration.

``F_avg`` is the SemEval-2016 measure: the mean of F1(FAVOR) and F1(AGAINST);
NONE is a class but not averaged in. ``macro_f1`` averages all three classes.
A class with no true and no predicted examples in the scored rows has an
undefined F1 (``None`` in JSON) and is left out of both averages; a class that
is predicted but absent, or present but never predicted, has F1 = 0. Bootstrap intervals resample the scored rows with
replacement ``n_bootstrap`` times and take the 2.5 and 97.5 percentiles; given
``groups``, they resample whole groups instead (a paragraph with all of its
target rows, a story, a release), since rows of one group are not independent.
"""
from __future__ import annotations

import numpy as np

from . import CLASSES


def confusion(y_true, y_pred) -> np.ndarray:
    """Counts, rows = actual, columns = predicted, both in CLASSES order."""
    idx = {c: i for i, c in enumerate(CLASSES)}
    t = np.array([idx[v] for v in y_true], dtype=np.int64)
    p = np.array([idx[v] for v in y_pred], dtype=np.int64)
    return np.bincount(t * len(CLASSES) + p, minlength=len(CLASSES) ** 2).reshape(len(CLASSES), len(CLASSES))


def _f1_from_confusions(cm: np.ndarray) -> np.ndarray:
    """cm: (..., 3, 3) -> F1 per class (..., 3)."""
    tp = np.diagonal(cm, axis1=-2, axis2=-1).astype(float)
    fp = cm.sum(axis=-2) - tp
    fn = cm.sum(axis=-1) - tp
    denom = 2 * tp + fp + fn
    return np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1), np.nan)


def _nanmean(a: np.ndarray, axis=-1) -> np.ndarray:
    ok = ~np.isnan(a)
    n = ok.sum(axis=axis)
    return np.where(n > 0, np.where(ok, a, 0.0).sum(axis=axis) / np.maximum(n, 1), 0.0)


def f1_scores(y_true, y_pred) -> dict[str, float | None]:
    f = _f1_from_confusions(confusion(y_true, y_pred))
    return {c: None if np.isnan(f[i]) else float(f[i]) for i, c in enumerate(CLASSES)}


def f_avg(y_true, y_pred) -> float:
    return float(_nanmean(_f1_from_confusions(confusion(y_true, y_pred))[:2]))


def stance_balance_weights(y, targets, *, equal_targets: bool) -> np.ndarray:
    """Row weights under which, within each target, every stance present has the same total weight.

    Each target keeps its total (its row count) unless ``equal_targets``, which
    gives every target the same total. Used to train with
    ``class_weight: balanced-per-target`` and to score as if classes were balanced.
    """
    y, tg = np.asarray(y), np.asarray(targets)
    w = np.zeros(len(y))
    ts = np.unique(tg)
    for t in ts:
        m = tg == t
        present = np.unique(y[m])
        total = 1.0 / len(ts) if equal_targets else float(m.sum())
        for c in present:
            mm = m & (y == c)
            w[mm] = total / (len(present) * mm.sum())
    return w


def class_balanced(y_true, y_pred, targets) -> dict:
    """Scores as if every stance were equally common toward every target.

    Rows are weighted by :func:`stance_balance_weights` (every target the same
    total): the F1 of a rare stance then counts as it would on a balanced
    sample of the same kind of text. Also gives the recall of each (target,
    stance) cell with its count, which does not depend on the weighting.
    """
    y, p, tg = np.asarray(y_true), np.asarray(y_pred), np.asarray(targets)
    w = stance_balance_weights(y, tg, equal_targets=True)
    recall = {}
    for t in sorted(set(tg.tolist())):
        recall[t] = {}
        for c in CLASSES:
            mm = (tg == t) & (y == c)
            if mm.any():
                recall[t][c] = {"recall": float((p[mm] == c).mean()), "n": int(mm.sum())}
    idx = {c: i for i, c in enumerate(CLASSES)}
    cm = np.zeros((len(CLASSES), len(CLASSES)))
    np.add.at(cm, (np.array([idx[v] for v in y], dtype=np.int64), np.array([idx[v] for v in p], dtype=np.int64)), w)
    f = _f1_from_confusions(cm)
    return {"macro_f1": float(_nanmean(f)), "f_avg": float(_nanmean(f[:2])),
            "f1": {c: None if np.isnan(f[i]) else float(f[i]) for i, c in enumerate(CLASSES)},
            "recall": recall}


def summary(y_true, y_pred) -> dict:
    y_true, y_pred = list(y_true), list(y_pred)
    cm = confusion(y_true, y_pred)
    f = _f1_from_confusions(cm)
    tp = np.diag(cm).astype(float)
    prec = np.divide(tp, cm.sum(0), out=np.zeros(3), where=cm.sum(0) > 0)
    rec = np.divide(tp, cm.sum(1), out=np.zeros(3), where=cm.sum(1) > 0)
    return {
        "n": len(y_true),
        "macro_f1": float(_nanmean(f)),
        "f_avg": float(_nanmean(f[:2])),
        "accuracy": float(tp.sum() / max(1, len(y_true))),
        "per_class": {c: {"f1": None if np.isnan(f[i]) else float(f[i]), "precision": float(prec[i]), "recall": float(rec[i]),
                          "support": int(cm[i].sum()), "predicted": int(cm[:, i].sum())}
                      for i, c in enumerate(CLASSES)},
        "confusion": {"labels": list(CLASSES), "matrix": cm.tolist()},
    }


def bootstrap_ci(y_true, y_pred, n_bootstrap: int = 1000, seed: int = 0, level: float = 0.95,
                 groups=None) -> dict:
    """Percentile intervals for macro-F1 and F_avg (vectorised over resamples).

    Without ``groups`` every row is a resampling unit; with ``groups`` (one
    label per row) a resample draws groups with replacement and keeps all of
    each drawn group's rows.
    """
    idx = {c: i for i, c in enumerate(CLASSES)}
    t = np.array([idx[v] for v in y_true], dtype=np.int64)
    p = np.array([idx[v] for v in y_pred], dtype=np.int64)
    n = len(t)
    if n == 0:
        return {}
    rng = np.random.default_rng(seed)
    cells = t * 3 + p
    if groups is None:
        gid = np.arange(n)
    else:
        _, gid = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    n_groups = int(gid.max()) + 1
    per_group = np.zeros((n_groups, 9))  # each group's confusion counts, flattened
    np.add.at(per_group, (gid, cells), 1.0)
    out = {"macro_f1": [], "f_avg": []}
    for start in range(0, n_bootstrap, 200):
        b = min(200, n_bootstrap - start)
        draw = rng.integers(0, n_groups, size=(b, n_groups))
        mult = np.stack([np.bincount(row, minlength=n_groups) for row in draw]).astype(float)
        counts = (mult @ per_group).reshape(b, 3, 3)
        f = _f1_from_confusions(counts)
        out["macro_f1"].append(_nanmean(f, axis=1))
        out["f_avg"].append(_nanmean(f[:, :2], axis=1))
    lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    res = {}
    for k, v in out.items():
        v = np.concatenate(v)
        res[k] = [float(np.percentile(v, lo)), float(np.percentile(v, hi))]
    res["n_bootstrap"] = n_bootstrap
    res["level"] = level
    res["resampled"] = "rows" if groups is None else f"{n_groups} groups"
    return res


def reliability(proba: np.ndarray, y_true, n_bins: int = 10) -> tuple[float, list[dict]]:
    """Top-label calibration: ECE and per-bin (confidence, accuracy, count)."""
    proba = np.asarray(proba, dtype=float)
    if len(proba) == 0:
        return float("nan"), []
    conf = proba.max(axis=1)
    pred = np.array(CLASSES)[proba.argmax(axis=1)]
    correct = (pred == np.asarray(y_true)).astype(float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, n_bins - 1)
    rows, ece = [], 0.0
    for b in range(n_bins):
        m = bins == b
        cnt = int(m.sum())
        row = {"bin": b, "lower": float(edges[b]), "upper": float(edges[b + 1]), "count": cnt,
               "confidence": float(conf[m].mean()) if cnt else None,
               "accuracy": float(correct[m].mean()) if cnt else None}
        if cnt:
            ece += cnt / len(conf) * abs(row["accuracy"] - row["confidence"])
        rows.append(row)
    return float(ece), rows
