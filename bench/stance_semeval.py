#!/usr/bin/env python
"""SemEval-2016 Task 6A stance benchmark for the topicstance stance methods.

    .venv/bin/python bench/stance_semeval.py [--data ../shared/benchmarks/semeval2016/stance.csv]
        [--methods tfidf embedding-lr hybrid setfit ensemble] [--k 8 16 32 64] [--seeds 0 1 2]
        [--regimes full kshot] [--setfit-steps 200] [--setfit-steps-kshot 60] [--force]
    .venv/bin/python bench/stance_semeval.py --timing 10000     # train-time check of the default method

Training data: ``train`` + ``val`` (together the official SemEval training set,
2,914 tweets, per the data README); scored on ``test`` (1,249 tweets) by the
official F_avg: F1(FAVOR) and F1(AGAINST) over all test tweets pooled across
targets, averaged. The only preprocessing is removing the ``#SemST`` tag that the
organisers appended to every tweet.

Regimes: ``full`` (all training tweets, seed 0) and ``k=K`` (K tweets per class
per target, sampled with each seed; a cell with fewer than K tweets gives all it
has, and the result says which cells were capped).

Resumable: each (method, regime, seed) appends its result to
reports/bench/stance_semeval.json as soon as it finishes and is skipped when
already present (``--force`` redoes it). ``ensemble`` is the normalised
geometric mean of the ``hybrid`` and ``setfit`` probabilities of the same regime
and seed, exactly what ``StanceClassifier(method="ensemble")`` computes; it is
composed from their saved test probabilities (.cache/bench/) so the body is not
fine-tuned twice.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from topicstance.io import read_json, sha256_file, write_json, write_text  # noqa: E402
from topicstance.params import load_params  # noqa: E402
from topicstance.stance import CLASSES  # noqa: E402
from topicstance.stance.classifier import StanceClassifier  # noqa: E402
from topicstance.stance.metrics import summary  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "benchmarks" / "semeval2016" / "stance.csv"
OUT = ROOT / "reports" / "bench" / "stance_semeval.json"
PROBS = ROOT / ".cache" / "bench" / "stance_semeval"
METHODS = ["tfidf", "embedding-lr", "hybrid", "setfit", "ensemble"]
PUBLISHED = {  # test F_avg x 100, from the data folder's README
    "SemEval-2016 best shared-task system (MITRE)": 67.82,
    "organisers' SVM, word + char n-grams": 68.98,
    "TweetEval SVM": 67.3,
    "TweetEval RoBERTa-base": 68.0,
    "TweetEval BERTweet": 71.2,
    "TweetEval TimeLMs-2021": 72.9,
}
REFERENCE_THIS_MACHINE = {  # from issue 4, full train
    "LR on frozen MiniLM": 0.662,
    "linear SVM word 1-3 + char 2-5 grams": 0.685,
    "same SVM + MiniLM embeddings": 0.691,
}


def load_data(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for c in ("text", "target", "stance", "split"):
        if c not in df.columns:
            sys.exit(f"{path}: missing column {c!r}")
    df["text"] = df["text"].map(lambda s: re.sub(r"\s*#SemST\b", "", s, flags=re.I).strip())
    return df


def kshot(train: pd.DataFrame, k: int, seed: int) -> tuple[pd.DataFrame, list[str]]:
    rng = np.random.default_rng(seed)
    parts, capped = [], []
    for (t, s), g in train.groupby(["target", "stance"], sort=True):
        n = min(k, len(g))
        if n < k:
            capped.append(f"{t}/{s}: {len(g)}")
        parts.append(g.iloc[rng.choice(len(g), size=n, replace=False)])
    return pd.concat(parts).reset_index(drop=True), capped


def score(y_true, proba) -> dict:
    pred = np.array(CLASSES)[np.asarray(proba).argmax(1)]
    s = summary(np.asarray(y_true), pred)
    return {"f_avg": round(s["f_avg"], 4), "macro_f1": round(s["macro_f1"], 4),
            "f1": {c: round(v["f1"], 4) for c, v in s["per_class"].items()}}


def load_results() -> dict:
    if OUT.exists():
        return read_json(OUT)
    return {}


def save_result(doc: dict, res: dict) -> None:
    doc["results"] = [r for r in doc.get("results", []) if r["key"] != res["key"]] + [res]
    doc["results"].sort(key=lambda r: r["key"])
    write_json(OUT, doc)


def summary_table(doc: dict) -> str:
    rows = pd.DataFrame(doc.get("results", []))
    if rows.empty:
        return "(no results)"
    regimes = sorted(rows["regime"].unique(), key=lambda r: (r != "full", int(r[2:]) if r.startswith("k=") else 0))
    lines = ["| method | " + " | ".join(regimes) + " |", "|---" * (len(regimes) + 1) + "|"]
    for m in [m for m in METHODS if m in set(rows["method"])]:
        cells = []
        for r in regimes:
            v = rows[(rows["method"] == m) & (rows["regime"] == r)]["f_avg"]
            if len(v) == 0:
                cells.append("")
            elif len(v) == 1:
                cells.append(f"{v.iloc[0]:.3f}")
            else:
                cells.append(f"{v.mean():.3f} ± {v.std(ddof=1):.3f} (n={len(v)})")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Train: train+val (2,914 tweets); k=K: K tweets per class per target (cells with fewer give all "
                 "they have), mean ± sd over seeds. setfit: "
                 + ", ".join(sorted({f"{r} {int(x)} steps" for r, x in rows[rows['method'] == 'setfit']
                                     .groupby('regime')['setfit_max_steps'].first().items()})) + ".")
    lines.append("")
    lines.append("Published (test F_avg x 100): " + "; ".join(f"{k} {v}" for k, v in PUBLISHED.items()))
    lines.append("")
    lines.append("Reference points measured on this machine (issue 4), full train: "
                 + "; ".join(f"{k} {v}" for k, v in REFERENCE_THIS_MACHINE.items()))
    return "\n".join(lines)


def run_config(method, regime, seed, train, test, params, setfit_steps, probs_dir, verbose) -> dict:
    t0 = time.perf_counter()
    capped: list[str] = []
    if regime == "full":
        tr = train
    else:
        tr, capped = kshot(train, int(regime[2:]), seed)
    if method == "ensemble":
        probs = []
        for comp in ("hybrid", "setfit"):
            f = probs_dir / f"{comp}__{regime}__{seed}.npy"
            if not f.exists():
                raise RuntimeError(f"ensemble needs {comp} for {regime} seed {seed} first ({f} missing)")
            probs.append(np.load(f))
        z = np.mean([np.log(np.clip(p, 1e-12, 1)) for p in probs], axis=0)
        p = np.exp(z - z.max(1, keepdims=True))
        proba = p / p.sum(1, keepdims=True)
        fit_s = pred_s = None
    else:
        clf = StanceClassifier.from_params(params.stance, params.embed, method=method, verbose=verbose)
        clf.set_params(random_state=seed, setfit_max_steps=setfit_steps)
        t1 = time.perf_counter()
        clf.fit(tr["text"].tolist(), tr["target"].tolist(), tr["stance"].tolist())
        fit_s = time.perf_counter() - t1
        t1 = time.perf_counter()
        proba = clf.predict_proba(test["text"].tolist(), test["target"].tolist())
        pred_s = time.perf_counter() - t1
        probs_dir.mkdir(parents=True, exist_ok=True)
        np.save(probs_dir / f"{method}__{regime}__{seed}.npy", proba)
    res = {"key": f"{method}|{regime}|{seed}", "method": method, "regime": regime, "seed": seed,
           "n_train": int(len(tr)), "capped_cells": capped,
           **score(test["stance"].to_numpy(), proba),
           "fit_seconds": None if fit_s is None else round(fit_s, 1),
           "predict_seconds": None if pred_s is None else round(pred_s, 1),
           "setfit_max_steps": setfit_steps if method in ("setfit", "ensemble") else None,
           "total_seconds": round(time.perf_counter() - t0, 1),
           "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    return res


def timing(n: int, data: pd.DataFrame, params) -> None:
    """Train the default method on n distinct rows with an empty embedding cache."""
    train = data[data["split"].isin(["train", "val"])].reset_index(drop=True)
    reps = int(np.ceil(n / len(train)))
    rows = pd.concat([train.assign(text=train["text"] + ("" if r == 0 else f" [{r}]")) for r in range(reps)])
    rows = rows.iloc[:n]
    with tempfile.TemporaryDirectory() as cache:
        clf = StanceClassifier.from_params(params.stance, params.embed, verbose=True)
        clf.set_params(cache_dir=cache)
        t0 = time.perf_counter()
        clf.fit(rows["text"].tolist(), rows["target"].tolist(), rows["stance"].tolist())
        dt = time.perf_counter() - t0
    print(f"timing: method {params.stance.method}, {len(rows)} rows ({rows['text'].nunique()} distinct texts), "
          f"empty embedding cache: fit {dt:.1f}s (budget 300s)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--params", default=str(ROOT / "params.yaml"))
    ap.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    ap.add_argument("--regimes", nargs="+", default=["full", "kshot"], choices=["full", "kshot"])
    ap.add_argument("--k", nargs="+", type=int, default=[8, 16, 32, 64])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--setfit-steps", type=int, default=None, help="full-train setfit steps (default stance.setfit_max_steps)")
    ap.add_argument("--setfit-steps-kshot", type=int, default=60, help="setfit steps for the k-shot regimes")
    ap.add_argument("--force", action="store_true", help="redo configurations already in the results file")
    ap.add_argument("--timing", type=int, default=None, metavar="N", help="only time the default method on N rows")
    ap.add_argument("--table", action="store_true", help="only print the table of stored results")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    args.data, args.params = args.data.resolve(), str(Path(args.params).resolve())
    # params.yaml paths (embed.cache_dir) are relative to the project root, as under `dvc repro`:
    # run from there wherever the script was started, so the embedding cache is always the project's.
    os.chdir(ROOT)
    params = load_params(args.params)
    if args.table:
        print(summary_table(load_results()))
        return 0
    if not args.data.exists():
        sys.exit(f"{args.data}: benchmark data not found (give --data)")
    data = load_data(args.data)
    if args.timing:
        timing(args.timing, data, params)
        return 0
    train = data[data["split"].isin(["train", "val"])].reset_index(drop=True)
    test = data[data["split"] == "test"].reset_index(drop=True)
    doc = load_results()
    doc.update({
        "benchmark": "SemEval-2016 Task 6 subtask A (TweetEval split)",
        "data": os.path.relpath(args.data.resolve(), ROOT), "data_sha256": sha256_file(args.data),
        "train": "train+val (2,914 tweets, the official training set)", "test": f"test ({len(test)} tweets)",
        "metric": "F_avg = mean(F1 FAVOR, F1 AGAINST), pooled over all test tweets",
        "preprocessing": "the '#SemST' tag removed from every tweet",
        "published_f_avg_x100": PUBLISHED, "reference_this_machine_full_train": REFERENCE_THIS_MACHINE,
        "default_method": params.stance.method,
    })
    done = {r["key"] for r in doc.get("results", [])}
    regimes = (["full"] if "full" in args.regimes else []) + ([f"k={k}" for k in args.k] if "kshot" in args.regimes else [])
    full_steps = args.setfit_steps or params.stance.setfit_max_steps
    order = [m for m in METHODS if m in args.methods]
    for method in order:
        for regime in regimes:
            for seed in ([0] if regime == "full" else args.seeds):
                key = f"{method}|{regime}|{seed}"
                if key in done and not args.force:
                    continue
                steps = full_steps if regime == "full" else args.setfit_steps_kshot
                print(f"[bench] {key} ...", file=sys.stderr, flush=True)
                try:
                    res = run_config(method, regime, seed, train, test, params, steps, PROBS, args.verbose)
                except RuntimeError as exc:
                    print(f"[bench] skip {key}: {exc}", file=sys.stderr)
                    continue
                save_result(doc, res)
                print(f"[bench] {key}: F_avg {res['f_avg']:.4f} (n_train {res['n_train']}, "
                      f"{res['total_seconds']}s)", file=sys.stderr, flush=True)
    write_json(OUT, doc)  # refresh the header even when every configuration was already done
    table = summary_table(doc)
    write_text(OUT.with_suffix(".md"), "# SemEval-2016 stance benchmark (test F_avg)\n\n" + table + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
