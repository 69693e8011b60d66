"""The stance method x body table: choose on validation, report on test (issue: the stance model).

Every row is the product's own ``StanceClassifier`` with the committed params.yaml,
``stance.method`` and ``stance.model`` (the body: one sentence model, or two side
by side) and ``stance.C`` set per row. Frozen vectors are computed once per body
(cached) and passed in, exactly what the classifier would compute itself.

Choice columns (the default is chosen on these, never on a test column):
  * ``cv``: grouped 5-fold cross-validation over the project's train split
    (folds by ``group``, stratified by stance), pooled macro-F1 and F_avg; and the
    same on the pool sources' rows only (``cv_pool``);
  * ``semeval_val``: SemEval-2016, trained on ``train``, scored on ``val``.

Reported columns:
  * ``semeval_test``: SemEval-2016 full train (train + val) -> test, F_avg;
  * ``semeval_loto``: leave-one-target-out on SemEval (train on four targets' full
    train, test on the fifth target's test tweets), mean F_avg over the five;
  * ``seed_test`` / ``pool_test``: trained on the project's train split, scored on
    the seed test split and on the two pool test splits together, macro-F1 and
    F_avg with 95% intervals resampling whole groups; ``per_source`` macro-F1;
  * ``train_seconds``: ``fit`` on the project train split with the vectors given
    (the encoding cost is in the next column);
  * ``apply_chunks_per_second``: ``predict_stance`` (the one prediction path) on
    press-release chunks from their text, embedding cache off: encoding included;
  * ``model_mb``: the saved model folder.

Budgets (issue): apply >= 50 chunks/s, training on 10,000 rows <= 10 min; a row that
misses one ships as an option with its cost stated, not as the default.

    python bench/stance_methods.py [--rows NAME,...] [--force]

Writes reports/bench/stance_methods.json (resumable per row) and
reports/bench/stance_methods.md (the table).
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, SHARED, load_results, machine, matmul_probe, save_results  # noqa: E402

from topicstance.embed.encoder import Embedder  # noqa: E402
from topicstance.params import load_params  # noqa: E402
from topicstance.stance import CLASSES  # noqa: E402
from topicstance.stance.classifier import StanceClassifier  # noqa: E402
from topicstance.stance.labels import read_labels  # noqa: E402
from topicstance.stance.metrics import bootstrap_ci, summary  # noqa: E402
from topicstance.stance.ngrams import NgramCounts  # noqa: E402
from topicstance.stance.split import read_named_splits, split_of_units  # noqa: E402

OUT = "stance_methods.json"
MINI, MPNET = "all-MiniLM-L6-v2", "all-mpnet-base-v2"
W1 = {"target_weight": 1.0, "embedding_weight": 1.0}  # the rows measured before the block weights existed
ROWS = {  # name -> (method, body, C, the other StanceClassifier parameters)
    "tfidf": ("tfidf", MINI, "auto", W1),
    "embedding-lr/MiniLM": ("embedding-lr", MINI, "auto", W1),
    "hybrid/MiniLM/C=1": ("hybrid", MINI, 1.0, W1),
    "hybrid/MiniLM/C=3": ("hybrid", MINI, 3.0, W1),
    "hybrid-pair/MiniLM": ("hybrid-pair", MINI, 1.0, W1),
    "hybrid/mpnet": ("hybrid", MPNET, 1.0, W1),
    "hybrid/mpnet/C=3": ("hybrid", MPNET, 3.0, W1),
    "hybrid/MiniLM+mpnet": ("hybrid", [MINI, MPNET], 1.0, W1),
    "hybrid/MiniLM+mpnet/C=3": ("hybrid", [MINI, MPNET], 3.0, W1),
    # target_weight (tw) / embedding_weight (ew): the per-target blocks and the embedding block scaled
    "hybrid/MiniLM/tw=2/ew=1/C=1": ("hybrid", MINI, 1.0, {"target_weight": 2.0, "embedding_weight": 1.0}),
    "hybrid/MiniLM/tw=2/ew=0.5/C=1": ("hybrid", MINI, 1.0, {"target_weight": 2.0, "embedding_weight": 0.5}),
    "hybrid/MiniLM/tw=3/ew=0.5/C=1": ("hybrid", MINI, 1.0, {"target_weight": 3.0, "embedding_weight": 0.5}),
    "hybrid/MiniLM/tw=3/ew=0.35/C=0.3": ("hybrid", MINI, 0.3, {"target_weight": 3.0, "embedding_weight": 0.35}),
    "hybrid/mpnet/tw=2/ew=0.5/C=1": ("hybrid", MPNET, 1.0, {"target_weight": 2.0, "embedding_weight": 0.5}),
    "hybrid/MiniLM+mpnet/tw=2/ew=0.5/C=1": ("hybrid", [MINI, MPNET], 1.0, {"target_weight": 2.0, "embedding_weight": 0.5}),
    # class_weight balanced (over all rows) instead of the default balanced-per-target
    "hybrid/MiniLM/tw=2/ew=0.5/C=1/balanced": ("hybrid", MINI, 1.0, {"target_weight": 2.0, "embedding_weight": 0.5,
                                                                    "class_weight": "balanced"}),
}
# every row above was measured before stance.hashtags existed: its encoder read the hashtags as written
ROWS = {name: (m, body, C, {**extra, "hashtags": "keep"}) for name, (m, body, C, extra) in ROWS.items()}
# stance.hashtags split: the encoder reads hashtags written out as words (the n-grams keep them)
ROWS["hybrid/MiniLM/tw=2/ew=0.5/C=1/hashtags=split"] = ("hybrid", MINI, 1.0, {
    "target_weight": 2.0, "embedding_weight": 0.5, "hashtags": "split"})
POOL_SOURCES = ("propaganda_diary", "kremlin", "president_of_ukraine")
N_BOOT = 1000


def semeval() -> pd.DataFrame:
    df = pd.read_csv(SHARED / "benchmarks" / "semeval2016" / "stance.csv", dtype=str, keep_default_na=False)
    df["text"] = df["text"].map(lambda s: re.sub(r"\s*#SemST\b", "", s, flags=re.I).strip())
    return df.reset_index(drop=True)


def vectors(models: list[str], texts: list[str], cache: str) -> dict[str, np.ndarray]:
    out = {}
    for m in models:
        e = Embedder(model=m, precision="auto", cache_dir=cache, show_progress=False)
        out[m] = e.encode(texts)
        e.cache.close()
    return out


def body_matrix(E: dict, body, idx=None) -> np.ndarray:
    names = [body] if isinstance(body, str) else body
    blocks = [E[n] if idx is None else E[n][idx] for n in names]
    return blocks[0] if len(blocks) == 1 else np.hstack(blocks)


def make(params, method, body, C, extra: dict) -> StanceClassifier:
    return StanceClassifier.from_params(params.stance, params.embed, method=method).set_params(
        model=body, C=C, **extra)


def fit_predict(params, row, d: pd.DataFrame, E: dict, tr, te, counts=None) -> np.ndarray:
    method, body, C, extra = row
    clf = make(params, method, body, C, extra)
    X = body_matrix(E, body)
    clf.fit(d["text"].iloc[tr].tolist(), d["target"].iloc[tr].tolist(), d["stance"].iloc[tr].tolist(),
            embeddings=X[tr], ngram_counts=counts)
    P = clf.predict_proba(d["text"].iloc[te].tolist(), d["target"].iloc[te].tolist(), embeddings=X[te])
    return np.array(CLASSES)[P.argmax(1)]


def scores(y, pred, groups=None) -> dict:
    s = summary(np.asarray(y), np.asarray(pred))
    out = {"macro_f1": round(s["macro_f1"], 4), "f_avg": round(s["f_avg"], 4), "n": int(len(y))}
    if groups is not None:
        ci = bootstrap_ci(np.asarray(y), np.asarray(pred), N_BOOT, 0, groups=np.asarray(groups))
        out["ci95"] = {k: [round(v[0], 3), round(v[1], 3)] for k, v in ci.items() if k in ("macro_f1", "f_avg")}
    return out


def run_row(name: str, row, params, proj: pd.DataFrame, Ep: dict, sem: pd.DataFrame, Es: dict,
            chunks: list[str], previous: dict | None = None) -> dict:
    """One row; with ``previous`` (``--apply-only``) only the final fit, size and apply timing are redone."""
    from sklearn.model_selection import StratifiedGroupKFold

    method, body, C, extra = row
    res: dict = {"method": method, "body": body, "C": C, **extra}
    t0 = time.perf_counter()
    if previous is not None:
        res = {**previous, **res}
        return _final(name, row, params, proj, Ep, chunks, res, t0)
    # -- choice: grouped CV on the project train split
    tr_all = np.flatnonzero(proj["split"].to_numpy() == "train")
    sub = proj.iloc[tr_all].reset_index(drop=True)
    Esub = {m: v[tr_all] for m, v in Ep.items()}
    counts = NgramCounts(sub["text"].tolist())
    oof = np.empty(len(sub), dtype=object)
    cv = StratifiedGroupKFold(5, shuffle=True, random_state=params.stance.random_state)
    for a, b in cv.split(np.zeros(len(sub)), sub["stance"], sub["group"]):
        oof[b] = fit_predict(params, row, sub, Esub, a, b, counts)
    pool = sub["source"].isin(POOL_SOURCES).to_numpy()
    res["cv"] = scores(sub["stance"], oof.astype(str))
    res["cv_pool"] = scores(sub["stance"][pool], oof[pool].astype(str))
    # -- choice: SemEval val
    tr = np.flatnonzero(sem["split"].to_numpy() == "train")
    va = np.flatnonzero(sem["split"].to_numpy() == "val")
    te = np.flatnonzero(sem["split"].to_numpy() == "test")
    res["semeval_val"] = scores(sem["stance"].iloc[va], fit_predict(params, row, sem, Es, tr, va))
    # -- reported: SemEval test and leave-one-target-out
    full = np.concatenate([tr, va])
    res["semeval_test"] = scores(sem["stance"].iloc[te], fit_predict(params, row, sem, Es, full, te))
    loto = {}
    for t in sorted(sem["target"].unique()):
        a = full[sem["target"].iloc[full].to_numpy() != t]
        b = te[sem["target"].iloc[te].to_numpy() == t]
        loto[t] = scores(sem["stance"].iloc[b], fit_predict(params, row, sem, Es, a, b))["f_avg"]
    res["semeval_loto"] = {"per_target_f_avg": loto, "mean_f_avg": round(float(np.mean(list(loto.values()))), 4)}
    return _final(name, row, params, proj, Ep, chunks, res, t0)


def _final(name, row, params, proj, Ep, chunks, res, t0) -> dict:
    method, body, C, extra = row
    tr_all = np.flatnonzero(proj["split"].to_numpy() == "train")
    # -- reported: the project test splits
    test = np.flatnonzero(proj["split"].to_numpy() == "test")
    clf = make(params, method, body, C, extra)
    X = body_matrix(Ep, body)
    t1 = time.perf_counter()
    clf.fit(proj["text"].iloc[tr_all].tolist(), proj["target"].iloc[tr_all].tolist(),
            proj["stance"].iloc[tr_all].tolist(), embeddings=X[tr_all])
    res["train_seconds"] = round(time.perf_counter() - t1, 2)
    res["n_train"] = int(len(tr_all))
    P = clf.predict_proba(proj["text"].iloc[test].tolist(), proj["target"].iloc[test].tolist(), embeddings=X[test])
    pred = np.array(CLASSES)[P.argmax(1)]
    t = proj.iloc[test]
    named = t["test_split"].to_numpy()
    y, g, src = t["stance"].to_numpy(), t["group"].to_numpy(), t["source"].to_numpy()
    seed = named == "seed"
    pl = named != "seed"
    res["seed_test"] = scores(y[seed], pred[seed], g[seed])
    res["pool_test"] = scores(y[pl], pred[pl], g[pl])
    res["per_source"] = {s: scores(y[src == s], pred[src == s])["macro_f1"] for s in sorted(set(src))}
    # -- reported: apply throughput from chunk text (encoding included, cache off) and size
    with tempfile.TemporaryDirectory() as td:
        clf.save(Path(td) / "m")
        res["model_mb"] = round(sum(f.stat().st_size for f in (Path(td) / "m").rglob("*") if f.is_file()) / 2**20, 2)
        code = APPLY.format(model=str(Path(td) / "m"), chunks=str(Path(td) / "chunks.txt"))
        Path(td, "chunks.txt").write_text("\n".join(c.replace("\n", " ") for c in chunks))
        env = {**os.environ, "TOPICSTANCE_CACHE": "off"}
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
        if out.returncode != 0:
            sys.stderr.write(out.stderr[-3000:])
            raise SystemExit(f"apply timing of {name} failed")
        res["apply"] = __import__("json").loads(out.stdout.strip().splitlines()[-1])
    res["apply_chunks_per_second"] = res["apply"]["chunks_per_second"]
    res["bench_seconds"] = round(time.perf_counter() - t0, 1)
    res["loadavg_1min_at_end"] = round(os.getloadavg()[0], 2)  # a shared machine slows train and apply
    return res


APPLY = r"""
import json, time
import pandas as pd
from topicstance.stance.classifier import StanceClassifier
from topicstance.stance.predict import predict_stance
t0 = time.perf_counter()
clf = StanceClassifier.load({model!r}, cache_dir=None)
texts = open({chunks!r}).read().split("\n")
chunks = pd.DataFrame({{"owner": range(len(texts)), "position": 0, "n_tokens": 100, "text": texts}})
t1 = time.perf_counter()
predict_stance(clf, chunks, ["Russia", "Ukraine"], rule="max-evidence")  # first pass: traces, compiles
t2 = time.perf_counter()
predict_stance(clf, chunks, ["Russia", "Ukraine"], rule="max-evidence")  # steady state (cache off: encodes again)
t3 = time.perf_counter()
print(json.dumps({{"chunks": len(texts), "targets": 2, "load_seconds": round(t1 - t0, 2),
                  "first_pass_seconds": round(t2 - t1, 2), "steady_seconds": round(t3 - t2, 2),
                  "first_pass_chunks_per_second": round(len(texts) / (t2 - t1), 1),
                  "chunks_per_second": round(len(texts) / (t3 - t2), 1)}}))
"""


def table(res: dict) -> str:
    def ci(d):
        c = d.get("ci95", {})
        return f"{d['macro_f1']:.3f} [{c['macro_f1'][0]:.2f}, {c['macro_f1'][1]:.2f}] / {d['f_avg']:.3f}" if c else ""

    lines = ["| method, body, C | CV macro-F1 / F_avg | CV pool | SemEval val F_avg | SemEval test F_avg | "
             "SemEval LOTO F_avg | seed test macro-F1 [95%] / F_avg | pool test macro-F1 [95%] / F_avg | "
             "per source macro-F1 | train s | apply chunks/s | model MB | CPU, date |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in res["rows"].items():
        ps = ", ".join(f"{k} {v:.3f}" for k, v in r["per_source"].items())
        lines.append(f"| {name} | {r['cv']['macro_f1']:.3f} / {r['cv']['f_avg']:.3f} | {r['cv_pool']['macro_f1']:.3f} | "
                     f"{r['semeval_val']['f_avg']:.3f} | {r['semeval_test']['f_avg']:.3f} | "
                     f"{r['semeval_loto']['mean_f_avg']:.3f} | {ci(r['seed_test'])} | {ci(r['pool_test'])} | {ps} | "
                     f"{r['train_seconds']:.1f} | {r['apply_chunks_per_second']:.0f} | {r['model_mb']:.1f} | "
                     f"{r['machine'].get('cpu')}, {r['machine'].get('date')} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default=",".join(ROWS))
    ap.add_argument("--n-apply", type=int, default=660, help="press-release chunks for the apply timing")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--apply-only", action="store_true",
                    help="with --force: redo only the final fit and the apply timing of the named rows")
    a = ap.parse_args()
    params = load_params(ROOT / "params.yaml")
    cache = os.environ.get("TOPICSTANCE_CACHE") or str(ROOT / ".cache" / "embeddings")
    res = load_results(OUT)  # --force re-runs the rows named in --rows, keeping the others
    res.setdefault("rows", {})
    for r in res["rows"].values():  # rows of an earlier run keep the machine they were measured on
        r.setdefault("machine", {k: res.get("machine", {}).get(k) for k in ("cpu", "date")})
    proj = read_labels(ROOT / params.stance.labels, require_split=True).reset_index(drop=True)
    proj["test_split"] = split_of_units(proj["unit_id"], read_named_splits(params.stance.test_split))
    sem = semeval()
    chunks = press_chunks(a.n_apply)
    models = sorted({m for n in a.rows.split(",") for m in ([ROWS[n][1]] if isinstance(ROWS[n][1], str) else ROWS[n][1])})
    t0 = time.perf_counter()
    Ep = vectors(models, proj["text"].tolist(), cache)
    Es = vectors(models, sem["text"].tolist(), cache)
    res["encode_seconds_cached"] = round(time.perf_counter() - t0, 1)
    probe = matmul_probe()  # this host's matrix-product speed, kept with every row measured in this run
    for name in a.rows.split(","):
        if name in res["rows"] and not a.force:
            continue
        prev = res["rows"].get(name) if a.apply_only else None
        res["rows"][name] = run_row(name, ROWS[name], params, proj, Ep, sem, Es, chunks, prev)
        here = machine()
        res["rows"][name]["machine"] = {"cpu": here["cpu"], "date": here["date"], "matmul": probe}
        print(name, {k: res["rows"][name][k] for k in ("cv", "semeval_val", "semeval_test", "pool_test",
                                                         "apply_chunks_per_second")}, flush=True)
        res.update({"done": False, "machine": machine(), "command": "python bench/stance_methods.py --force"})
        save_results(OUT, res)
    res["done"] = True
    res["n_rows_project"] = int(len(proj))
    save_results(OUT, res)
    (ROOT / "reports" / "bench" / "stance_methods.md").write_text(table(res))
    print(table(res))


def press_chunks(n: int) -> list[str]:
    """The first ``n`` press-release chunks of the committed label pool (real 128-token chunks)."""
    units = pd.read_csv(ROOT / "seeds" / "labels" / "units_press_releases.csv")
    return units["text"].astype(str).head(n).tolist()


if __name__ == "__main__":
    main()
