#!/usr/bin/env python
"""Stance prevalence ablation: other ways to count and to correct, on the draws of bench/prevalence.py.

    .venv/bin/python bench/prevalence_ablation.py [--draws 200] [--size 60] [--force]

Run ``dvc repro`` first. The draws are those of ``bench/prevalence.py`` (same
seeds, same Dirichlet mixes of the labelled test pools, ``same_source``
correction: ``prevalence.sources`` = the split's own labelled sources). Each
variant is scored by its mean absolute error over draws and stances, next to
raw classify-and-count (CC) of the trained model and the product's PACC:

``cross_fitted``
    the group counted by the cross-validation's fold models instead of the
    final model (the mean of their probabilities per unit), then corrected with
    the same out-of-fold rates. The fold models are the ones whose errors the
    rates measure, so if the final model's larger training set were what makes
    its errors differ from the out-of-fold ones, this would remove it. The fold
    models are re-trained here exactly as ``stance evaluate`` trains them
    (same folds, same seed) and predict the test rows.
``cross_fitted_each``
    each fold model's own PACC estimate, averaged over the folds.
``emq_balanced``, ``emq_train_prior``
    expectation-maximisation of the priors (Saerens, Latinne and Decaestecker
    2002) on the model's probabilities, starting from the prior the model was
    trained toward: uniform (the classifier's ``class_weight: balanced``) or
    the labelled rows' own stance shares.
``dm_B``, ``hellinger_B``
    distribution matching on the probabilities: each stance's histogram of
    each probability column (B bins) among the out-of-fold rows of that true
    stance, mixed to fit the group's histograms by least squares or by the
    Hellinger distance (the HDy idea, González-Castro et al. 2013), on the
    simplex.
``median_sweep``
    Forman's (2008) median sweep, one stance against the rest: for each of 99
    thresholds on that stance's probability (the out-of-fold rows' percentiles),
    the adjusted count (share above the threshold - false-positive rate) /
    (true-positive rate - false-positive rate), kept where the denominator
    exceeds 0.25; the median over thresholds, clipped to [0, 1]; the three
    stances then renormalised to sum to one.

Writes ``reports/bench/prevalence_ablation.json``.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import prevalence as base  # noqa: E402
from _common import load_results, machine_detail, save_results  # noqa: E402
from topicstance.params import load_params  # noqa: E402
from topicstance.stance import CLASSES  # noqa: E402
from topicstance.stance.shares import fit_correction  # noqa: E402
from topicstance.stance.split import read_named_splits  # noqa: E402

NAME = "prevalence_ablation.json"
LABELS = ROOT / "seeds" / "labels" / "stance.csv"
K = len(CLASSES)
FOLD = ["cf_p_favor", "cf_p_against", "cf_p_none"]


def fold_predictions(params) -> tuple[pd.DataFrame, int]:
    """The test rows predicted by each fold model of ``stance evaluate``'s first CV repeat."""
    from topicstance.stance.classifier import StanceClassifier
    from topicstance.stance.evaluate import CHEAP_COUNTERPART, _Fitter, grouped_folds
    from topicstance.stance.labels import read_labels

    p = params.stance
    df = read_labels(LABELS, require_split=True)
    train_idx = np.flatnonzero(df["split"].to_numpy() == "train")
    test_idx = np.flatnonzero(df["split"].to_numpy() == "test")
    model = StanceClassifier.load(ROOT / "models" / "stance", cache_dir=params.embed.cache_dir)
    proto = StanceClassifier.from_params(p, params.embed, method=CHEAP_COUNTERPART.get(model.method, model.method))
    emb = proto.frozen_embeddings(df["text"].tolist()) if proto.uses_frozen_embeddings else None
    fitter = _Fitter(proto, proto.method, df, emb)
    y = df["stance"].to_numpy()[train_idx]
    groups = df["group"].to_numpy()[train_idx]
    # the split of stance evaluate's first CV repeat (the same helper, the same seed)
    Ps = [fitter.fit_predict(train_idx[a], test_idx, p.random_state)[0]
          for a, _ in grouped_folds(y, groups, p.cv_folds, p.random_state)]
    t = df.iloc[test_idx]
    out = pd.DataFrame({"unit_id": t["unit_id"].to_numpy(), "target": t["target"].to_numpy()})
    mean = np.mean(Ps, axis=0)
    for j, c in enumerate(FOLD):
        out[c] = mean[:, j]
    for k, P in enumerate(Ps):
        for j in range(K):
            out[f"f{k}_{j}"] = P[:, j]
    return out, len(Ps)


def emq(P: np.ndarray, start: np.ndarray, iters: int = 500) -> np.ndarray:
    """Saerens-Latinne-Decaestecker: re-weight the posteriors toward the group's priors until they agree."""
    p = start.copy()
    for _ in range(iters):
        w = P * (p / start)
        w /= w.sum(1, keepdims=True)
        new = w.mean(0)
        done = np.abs(new - p).max() < 1e-7
        p = new
        if done:
            break
    return p


def histograms(P: np.ndarray, bins: int) -> np.ndarray:
    return np.concatenate([np.histogram(P[:, j], bins=bins, range=(0, 1))[0] / max(len(P), 1) for j in range(K)])


def on_simplex(loss) -> np.ndarray:
    cons = ({"type": "eq", "fun": lambda p: p.sum() - 1},)
    return minimize(loss, np.ones(K) / K, bounds=[(0, 1)] * K, constraints=cons, method="SLSQP").x


def median_sweep(Ptr: np.ndarray, ytr: np.ndarray, P: np.ndarray, min_gap: float = 0.25) -> np.ndarray:
    """Forman's median sweep per stance (one against the rest), renormalised over the stances."""
    out = np.zeros(K)
    for c in range(K):
        pos = ytr == c
        if not pos.any() or pos.all():
            continue
        ts = np.unique(np.quantile(Ptr[:, c], np.linspace(0.01, 0.99, 99)))
        tpr = (Ptr[pos, c][:, None] > ts).mean(0)
        fpr = (Ptr[~pos, c][:, None] > ts).mean(0)
        q = (P[:, c][:, None] > ts).mean(0)
        gap = tpr - fpr
        keep = gap > min_gap
        if not keep.any():
            keep = gap == gap.max()
        if gap[keep].max() <= 0:
            continue
        out[c] = np.median(np.clip((q[keep] - fpr[keep]) / gap[keep], 0.0, 1.0))
    return out / out.sum() if out.sum() > 0 else np.ones(K) / K


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--size", type=int, default=60)
    ap.add_argument("--min-class", type=int, default=10)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args(argv)
    res = load_results(NAME)
    if res.get("done") and not a.force:
        print(f"{NAME} done; --force re-runs it")
        return 0
    params = load_params(ROOT / "params.yaml")
    test, cv = base.load_inputs(params)
    t0 = time.perf_counter()
    folds, n_folds = fold_predictions(params)
    fit_seconds = time.perf_counter() - t0
    test = test.merge(folds, on=["unit_id", "target"], how="left", validate="1:1")
    if test[FOLD[0]].isna().any():
        raise SystemExit("reports/stance/test_predictions.csv and the labels' test rows differ: run `dvc repro`")
    variants = ["cc", "pacc", "cross_fitted", "cross_fitted_each", "emq_balanced", "emq_train_prior",
                "dm_4", "dm_8", "hellinger_8", "median_sweep"]
    configs = {}
    for k, split in enumerate(read_named_splits(params.stance.test_split)):
        part = test[test["split"] == split]
        sources = tuple(sorted(set(part["source"])))
        for target in params.stance.targets:
            tp = part[part["target"].str.casefold() == target.casefold()]
            pools = {c: tp[tp["stance"] == c] for c in CLASSES}
            drawable = [i for i, c in enumerate(CLASSES) if len(pools[c]) >= a.min_class]
            if len(drawable) < 2:
                continue
            est = fit_correction(cv, params.prevalence, sources=sources)
            lab = cv[(cv["target"].str.casefold() == target.casefold()) & cv["source"].isin(sources)]
            Ptr = lab[base.PCOLS].to_numpy(float)
            ytr = np.array([CLASSES.index(s) for s in lab["stance"]])
            prior = np.clip(np.bincount(ytr, minlength=K) / len(ytr), 1e-3, None)
            prior /= prior.sum()
            H = {b: np.stack([histograms(Ptr[ytr == c], b) for c in range(K)], 1) for b in (4, 8)}
            rng = np.random.default_rng(a.seed + 1000 * k)  # bench/prevalence.py's draws
            err = {v: [] for v in variants}
            for d in range(a.draws):
                counts = base.draw_counts(rng, drawable, a.size)
                sel = pd.concat([pools[c].iloc[rng.integers(0, len(pools[c]), size=n)]
                                 for c, n in zip(CLASSES, counts) if n])
                true = counts / counts.sum()
                P = sel[base.PCOLS].to_numpy(float)
                e = est.estimate(P, target)
                got = {"cc": e["cc"], "pacc": e["pacc"],
                       "cross_fitted": est.estimate(sel[FOLD].to_numpy(float), target)["pacc"],
                       "cross_fitted_each": np.mean([est.estimate(sel[[f"f{f}_{j}" for j in range(K)]].to_numpy(float),
                                                                  target)["pacc"] for f in range(n_folds)], axis=0),
                       "emq_balanced": emq(P, np.ones(K) / K), "emq_train_prior": emq(P, prior),
                       "median_sweep": median_sweep(Ptr, ytr, P)}
                for b in (4, 8):
                    h = histograms(P, b)
                    got[f"dm_{b}"] = on_simplex(lambda p, Hb=H[b], h=h: float(((Hb @ p - h) ** 2).sum()))
                h8 = histograms(P, 8)
                got["hellinger_8"] = on_simplex(
                    lambda p, h=h8: float(((np.sqrt(np.clip(H[8] @ p, 0, None)) - np.sqrt(h)) ** 2).sum()))
                for v in variants:
                    err[v].append(np.abs(got[v] - true))
            configs[f"{split}/{target}"] = {v: round(float(np.mean(err[v])), 4) for v in variants}
            print(f"{split}/{target}: {configs[f'{split}/{target}']}", flush=True)
    mean = {v: float(np.mean([c[v] for c in configs.values()])) for v in variants}
    res = {"bench": "prevalence_ablation", "settings": vars(a) | {"correction": "same_source"},
           "machine": machine_detail(), "fold_models": n_folds, "fold_fit_seconds": round(fit_seconds, 1),
           "configs": configs, "mean_mae": {v: round(x, 4) for v, x in mean.items()},
           "ratio_to_cc": {v: round(x / mean["cc"], 3) for v, x in mean.items()}, "done": True}
    save_results(NAME, res)
    print("mean MAE / CC:", res["ratio_to_cc"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
