#!/usr/bin/env python
"""Stance prevalence bench: raw classify-and-count against the error-corrected shares, on the labelled test splits.

    .venv/bin/python bench/prevalence.py [--draws 200] [--size 60] [--force]
    .venv/bin/python bench/prevalence.py --table      # print the stored results

Reads the pipeline's own outputs (run ``dvc repro`` first): the model's
predictions on the test rows (``reports/stance/test_predictions.csv``) and the
out-of-fold predictions of its cross-validation on train
(``reports/stance/cv_predictions.csv``), from which the correction is learnt
exactly as the ``stance_shares`` stage learns it (``params.yaml`` section
``prevalence``). No model is trained and no test row is seen by the correction.

For every named test split of ``stance.test_split`` (seed, propaganda_diary,
press_releases) and target, ``--draws`` subsets of ``--size`` units are drawn at
artificial class mixes: the prevalence is Dirichlet(1, ..., 1) over the classes
that have at least ``--min-class`` units in the split's pool (rarer classes are
not drawn, so their true share is 0), the class counts are multinomial, and the
units of each class are drawn with replacement from the pool. Each draw's true
shares are its own class counts. Scored: the mean absolute error over draws and
the three classes of cc, pcc, acc, pacc and kdey; the share of (draw, class) cells
whose true share is inside the 95% interval, and of draws with all three
inside; how often each flag fires, and the error of the corrected estimate on
the draws no flag marks.

Correction variants: ``same_source`` (the headline: ``prevalence.sources`` set
to the split's own labelled sources, with ``prevalence.prior_rows`` pseudo-rows
per class from all rows, as the product is meant to be run), ``pooled`` (every
train out-of-fold row, ``sources: []``) and ``same_source_no_prior``
(``prior_rows: 0``), to show what matching the labelled set to the texts does.

Validation (run first, stored under ``validation``; ``--validation-only`` redoes just it): the same
draws on the *train* out-of-fold rows alone (each split's sources, groups halved at random and held
out in turn, the correction learnt from every other row), point estimates only. The correction
method is chosen there, never on the test draws.

Resumable: each (split, target, variant) is stored in
``reports/bench/prevalence.json`` as it finishes and skipped on the next run
(``--force`` redoes everything).
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _common import load_results, machine, save_results  # noqa: E402
from topicstance.io import sha256_file  # noqa: E402
from topicstance.params import load_params  # noqa: E402
from topicstance.stance import CLASSES  # noqa: E402
from topicstance.stance.shares import fit_correction, read_cv_predictions  # noqa: E402
from topicstance.stance.split import read_named_splits, split_of_units  # noqa: E402

NAME = "prevalence.json"
TEST = ROOT / "reports" / "stance" / "test_predictions.csv"
CV = ROOT / "reports" / "stance" / "cv_predictions.csv"
METHODS = ("cc", "pcc", "acc", "pacc", "kdey")
NO_PRIOR = ("pacc_no_prior", "kdey_no_prior")  # validation only: the corrections without prevalence.prior_rows
# correction variants: all out-of-fold rows; the split's own sources with prevalence.prior_rows pseudo-rows
# per class from all rows (the product with prevalence.sources set to them); the same without the prior
VARIANTS = {"pooled": {"sources": ()}, "same_source": {}, "same_source_no_prior": {"prior_rows": 0.0}}
HEADLINE = "same_source"  # how the product is meant to be run: prevalence.sources = the labelled sources like the texts
PCOLS = ["p_favor", "p_against", "p_none"]


def cpu_info() -> dict:
    info = {}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            k, _, v = line.partition(":")
            if k.strip() == "Model name":
                info["lscpu_model_name"] = v.strip()
            if k.strip() == "Flags":
                flags = set(v.split())
                info["flags"] = {f: f in flags for f in ("avx512_bf16", "amx_bf16", "amx_tile")}
    except (OSError, subprocess.CalledProcessError):
        pass
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        info["torch"] = None
    info["numpy_threads_env"] = os.environ.get("OMP_NUM_THREADS")
    info["load_average"] = list(os.getloadavg())
    return info


def draw_counts(rng, drawable: list[int], size: int) -> np.ndarray:
    pi = np.zeros(len(CLASSES))
    pi[drawable] = rng.dirichlet(np.ones(len(drawable)))
    return rng.multinomial(size, pi)


def run_config(test: pd.DataFrame, cv: pd.DataFrame, target: str, params, args, seed: int, **kw) -> dict:
    pool = {c: test.loc[test["stance"] == c, PCOLS].to_numpy(float) for c in CLASSES}
    pool_n = {c: int(len(v)) for c, v in pool.items()}
    drawable = [i for i, c in enumerate(CLASSES) if pool_n[c] >= args.min_class]
    if len(drawable) < 2:
        return {"skipped": f"fewer than 2 classes with >= {args.min_class} units", "pool": pool_n}
    t0 = time.perf_counter()
    # method kdey so that its interval is drawn too; the flags read pacc's diagnostics either way
    est = fit_correction(cv, params.prevalence, **{"method": "kdey", **kw})
    rng = np.random.default_rng(seed)
    err = {m: [] for m in METHODS}
    cover = {m: [] for m in METHODS}
    flags, clean_err = [], {m: [] for m in METHODS}
    for d in range(args.draws):
        counts = draw_counts(rng, drawable, args.size)
        P = np.concatenate([pool[c][rng.integers(0, pool_n[c], size=k)] for c, k in zip(CLASSES, counts) if k])
        true = counts / counts.sum()
        r = est.shares(P, target, seed=seed + 1 + d)
        flags.append(r["flags"])
        for m in METHODS:
            e = np.abs(r["estimates"][m] - true)
            err[m].append(e)
            lo, hi = r["intervals"][m]
            cover[m].append((lo - 1e-9 <= true) & (true <= hi + 1e-9))
            if not r["flags"]:
                clean_err[m].append(e)
    seconds = time.perf_counter() - t0
    out = {"pool": pool_n, "drawn_classes": [CLASSES[i] for i in drawable], "draws": args.draws, "size": args.size,
           "labelled_rows": est.n_rows_.get(est._target(target) or "", 0),
           "condition": est.condition_.get(est._target(target) or "", {}), "seconds": round(seconds, 1)}
    for m in METHODS:
        e, c = np.array(err[m]), np.array(cover[m])
        out[m] = {"mae": float(e.mean()), "mae_per_class": dict(zip(CLASSES, e.mean(0).round(4).tolist())),
                  "coverage": float(c.mean()), "coverage_all_classes": float(c.all(axis=1).mean()),
                  "coverage_per_class": dict(zip(CLASSES, c.mean(0).round(4).tolist())),
                  "mae_unflagged": float(np.mean(clean_err[m])) if clean_err[m] else None}
    names = sorted({f for fl in flags for f in fl})
    out["flag_rate"] = {f: float(np.mean([f in fl for fl in flags])) for f in names}
    out["unflagged_draws"] = int(sum(1 for fl in flags if not fl))
    return out


def validation(cv: pd.DataFrame, params, args, splits: dict[str, tuple], repeats: int = 3,
               draws: int = 50, kde: dict | None = None) -> dict:
    """The same draws on the labelled *train* rows only, to choose a method without the test splits.

    For each split's labelled sources and target, the groups of those out-of-fold rows are halved
    at random (``repeats`` times, each half in turn held out): the correction is learnt from every
    other row (the held-out half removed, prior included) and ``draws`` subsets of ``args.size``
    held-out units at Dirichlet mixes are estimated (point estimates: MAE only). ``kde`` overrides
    the kernel's parameters (``bandwidth``, ``kde_space``) of every estimator."""
    kde = kde or {}
    out = {}
    for k, (split, sources) in enumerate(splits.items()):
        for target in params.stance.targets:
            lab = cv[(cv["target"].str.casefold() == target.casefold()) & cv["source"].isin(sources)]
            groups = lab["group"].astype(str).to_numpy()
            ug = np.unique(groups)
            rng = np.random.default_rng(args.seed + 7 + 1000 * k)
            err = {m: [] for m in METHODS + NO_PRIOR}
            for _ in range(repeats):
                half = np.isin(groups, rng.permutation(ug)[: len(ug) // 2])
                for held in (half, ~half):
                    rest = cv.drop(index=lab.index[held])
                    est = fit_correction(rest, params.prevalence, sources=tuple(sources), method="kdey", **kde)
                    bare = fit_correction(rest, params.prevalence, sources=tuple(sources), method="kdey",
                                          prior_rows=0.0, **kde)
                    b = lab[held]
                    pool = {c: b.loc[b["stance"] == c, PCOLS].to_numpy(float) for c in CLASSES}
                    drawable = [i for i, c in enumerate(CLASSES) if len(pool[c]) >= args.min_class]
                    if len(drawable) < 2:
                        continue
                    for _ in range(draws):
                        counts = draw_counts(rng, drawable, args.size)
                        P = np.concatenate([pool[c][rng.integers(0, len(pool[c]), size=n)]
                                            for c, n in zip(CLASSES, counts) if n])
                        e = est.estimate(P, target)
                        e |= {f"{m}_no_prior": v for m, v in bare.estimate(P, target).items()}
                        for m in METHODS + NO_PRIOR:
                            err[m].append(np.abs(e[m] - counts / counts.sum()).mean())
            if err["cc"]:
                out[f"{split}/{target}"] = {m: round(float(np.mean(v)), 4) for m, v in err.items()} | {
                    "draws": len(err["cc"])}
                if not kde:
                    print(f"validation {split}/{target}: {out[f'{split}/{target}']}", flush=True)
    mean = {m: float(np.mean([r[m] for r in out.values()])) for m in METHODS + NO_PRIOR}
    return {"configs": out, "mean_mae": {m: round(v, 4) for m, v in mean.items()},
            "ratio_to_cc": {m: round(v / mean["cc"], 3) for m, v in mean.items()},
            "protocol": f"train out-of-fold rows of each split's sources, groups halved at random ({repeats} "
                        f"repeats x 2 held-out halves), {draws} draws of {args.size} per held-out half; the "
                        "correction from all other rows (*_no_prior: prevalence.prior_rows 0)"}


# the kernel grid of --kde-grid: each space with bandwidths around its scale (a log-ratio coordinate
# spans about +-5 where a probability spans 0-1)
KDE_GRID = [{"kde_space": "simplex", "bandwidth": b} for b in (0.05, 0.075, 0.1, 0.15, 0.2)] + [
    {"kde_space": "logratio", "bandwidth": b} for b in (0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.8)]


def kde_grid(cv: pd.DataFrame, params, args, splits: dict[str, tuple]) -> dict:
    """The validation draws (train rows only) for every kernel of :data:`KDE_GRID`: the kernel of
    ``prevalence.kde_space`` / ``bandwidth`` is chosen here, by the lowest mean KDEy error relative to CC."""
    rows = []
    for kde in KDE_GRID:
        v = validation(cv, params, args, splits, kde=kde)
        rows.append({**kde, "kdey": v["ratio_to_cc"]["kdey"], "kdey_no_prior": v["ratio_to_cc"]["kdey_no_prior"],
                     "per_config": {k: round(c["kdey"] / c["cc"], 3) for k, c in v["configs"].items()}})
        print(f"kde grid {kde}: KDEy / CC {rows[-1]['kdey']} (no prior {rows[-1]['kdey_no_prior']})", flush=True)
    best = min(rows, key=lambda r: r["kdey"])
    return {"rows": rows, "best": {k: best[k] for k in ("kde_space", "bandwidth", "kdey")},
            "protocol": "the validation draws (train out-of-fold rows only) per kernel; ratio = mean KDEy MAE / CC MAE"}


def load_inputs(params) -> tuple[pd.DataFrame, pd.DataFrame]:
    for f in (TEST, CV):
        if not f.exists():
            raise SystemExit(f"{f} missing: run `dvc repro` first")
    test = pd.read_csv(TEST)
    named = read_named_splits(params.stance.test_split)
    test["split"] = split_of_units(test["unit_id"].astype(str), named)
    return test, read_cv_predictions(CV)


def table(res: dict) -> str:
    lines = ["| split | target | correction | pool (F/A/N) | CC MAE | PCC MAE | ACC MAE | PACC MAE | KDEy MAE | "
             "PACC / CC | KDEy / CC | PACC cov. | KDEy cov. | KDEy cov. (all 3) | unflagged draws |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for key, r in sorted(res.get("configs", {}).items()):
        split, target, variant = key.split("/")
        if "skipped" in r:
            lines.append(f"| {split} | {target} | {variant} | {'/'.join(str(r['pool'][c]) for c in CLASSES)} | "
                         f"skipped: {r['skipped']} | | | | | | | | | | |")
            continue
        lines.append(
            f"| {split} | {target} | {variant} | {'/'.join(str(r['pool'][c]) for c in CLASSES)} | "
            f"{r['cc']['mae']:.3f} | {r['pcc']['mae']:.3f} | {r['acc']['mae']:.3f} | {r['pacc']['mae']:.3f} | "
            f"{r['kdey']['mae']:.3f} | {r['pacc']['mae'] / r['cc']['mae']:.2f} | {r['kdey']['mae'] / r['cc']['mae']:.2f} | "
            f"{r['pacc']['coverage']:.2f} | {r['kdey']['coverage']:.2f} | {r['kdey']['coverage_all_classes']:.2f} | "
            f"{r['unflagged_draws']} of {r['draws']} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--size", type=int, default=60)
    ap.add_argument("--min-class", type=int, default=10, help="classes with fewer pool units are not drawn")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--table", action="store_true", help="print the stored results and stop")
    ap.add_argument("--validation-only", action="store_true",
                    help="redo only the validation draws on the train rows (which choose the method), keep the rest")
    ap.add_argument("--kde-grid", action="store_true",
                    help="run the validation draws for every kernel (space x bandwidth) of KDE_GRID, which choose "
                         "prevalence.kde_space and bandwidth; stored under kde_grid, kept by later runs")
    args = ap.parse_args(argv)
    res = load_results(NAME)
    if args.table:
        print(table(res))
        return 0
    params = load_params(ROOT / "params.yaml")
    test, cv = load_inputs(params)
    inputs = {"test_predictions": sha256_file(TEST), "cv_predictions": sha256_file(CV),
              "cv_method": sorted(set(cv["method"])) if "method" in cv else None,
              "cv_repeats": int(cv["repeat"].nunique()) if "repeat" in cv else 1}
    settings = {"draws": args.draws, "size": args.size, "min_class": args.min_class, "seed": args.seed,
                "prevalence": {k: (list(v) if isinstance(v, tuple) else v)
                               for k, v in params.prevalence.__dict__.items()}}
    splits = [s for s in read_named_splits(params.stance.test_split)]
    split_sources = {s: tuple(sorted(set(test.loc[test["split"] == s, "source"]))) for s in splits}
    if args.kde_grid:
        res["kde_grid"] = kde_grid(cv, params, args, split_sources) | {"machine": machine(), "inputs": inputs}
        save_results(NAME, res)
        print("kde grid best:", res["kde_grid"]["best"])
        return 0
    if args.validation_only:
        if res.get("inputs") != inputs or res.get("settings") != settings:
            raise SystemExit(f"{NAME}: stored results are for other inputs or settings; run without --validation-only")
        res["validation"] = validation(cv, params, args, split_sources)
        save_results(NAME, res)
        print("validation (train rows only), mean MAE / CC:", res["validation"]["ratio_to_cc"])
        return 0
    if args.force or res.get("inputs") != inputs or res.get("settings") != settings:
        grid = res.get("kde_grid")  # kept while it is of the same predictions
        res = {"configs": {}, **({"kde_grid": grid} if grid and grid.get("inputs") == inputs else {})}
    res.update({"bench": "prevalence", "done": False, "inputs": inputs, "settings": settings,
                "machine": {**machine(), **cpu_info(), "platform": platform.platform()},
                "note": "timings measured on a shared 2-core machine while other jobs ran; only the errors and "
                        "coverages are the result"})
    configs = res.setdefault("configs", {})
    if "validation" not in res:
        res["validation"] = validation(cv, params, args, split_sources)
        save_results(NAME, res)
    print("validation (train rows only), mean MAE / CC:", res["validation"]["ratio_to_cc"])
    for k, split in enumerate(splits):
        part = test[test["split"] == split]
        sources = sorted(set(part["source"]))
        for target in params.stance.targets:
            tp = part[part["target"].str.casefold() == target.casefold()]
            for variant, kw in VARIANTS.items():
                key = f"{split}/{target}/{variant}"
                if key in configs:
                    print(f"{key}: done, skipped (--force redoes it)")
                    continue
                kw = {**kw, "sources": tuple(sources)} if variant != "pooled" else kw
                r = run_config(tp, cv, target, params, args, args.seed + 1000 * k, **kw)
                r["sources"] = sources
                configs[key] = r
                save_results(NAME, res)
                msg = r.get("skipped") or (f"CC MAE {r['cc']['mae']:.3f}, ACC {r['acc']['mae']:.3f}, "
                                           f"PACC {r['pacc']['mae']:.3f}, KDEy {r['kdey']['mae']:.3f}; coverage "
                                           f"PACC {r['pacc']['coverage']:.2f}, KDEy {r['kdey']['coverage']:.2f}")
                print(f"{key}: {msg}", flush=True)
    m = params.prevalence.method
    summ = {"method": m, "headline": HEADLINE, "variants": {}}
    for variant in VARIANTS:
        ok = {k: r for k, r in configs.items() if "skipped" not in r and k.endswith(f"/{variant}")}
        v = {"configs": len(ok), "cc_mae": float(np.mean([r["cc"]["mae"] for r in ok.values()])),
             "corrected_mae": float(np.mean([r[m]["mae"] for r in ok.values()])),
             "coverage": float(np.mean([r[m]["coverage"] for r in ok.values()])),
             "per_config_mae_half_met": {k: bool(r[m]["mae"] <= 0.5 * r["cc"]["mae"]) for k, r in ok.items()},
             "per_config_coverage_met": {k: bool(r[m]["coverage"] >= 0.90) for k, r in ok.items()}}
        v["ratio"] = v["corrected_mae"] / v["cc_mae"]
        v["target_mae_half_met"] = bool(v["ratio"] <= 0.5)
        v["target_coverage_met"] = bool(v["coverage"] >= 0.90)
        summ["variants"][variant] = v
    res["summary"] = summ
    res["done"] = True
    save_results(NAME, res)
    print(table(res))
    for variant, v in summ["variants"].items():
        print(f"{variant} correction, {m}: mean MAE {v['corrected_mae']:.3f} vs CC {v['cc_mae']:.3f} "
              f"(ratio {v['ratio']:.2f}; target <= 0.5 {'met' if v['target_mae_half_met'] else 'NOT met'}, "
              f"met in {sum(v['per_config_mae_half_met'].values())} of {v['configs']}); mean coverage "
              f"{v['coverage']:.2f} (target >= 0.90 {'met' if v['target_coverage_met'] else 'NOT met'}, "
              f"met in {sum(v['per_config_coverage_met'].values())} of {v['configs']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
