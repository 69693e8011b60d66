#!/usr/bin/env python
"""SemEval-2016 ablation: ideas tried to lift the default ``hybrid`` stance method.

    .venv/bin/python bench/stance_ablation.py [--data ../shared/benchmarks/semeval2016/stance.csv] [--force]

Same data, preprocessing and metric as ``bench/stance_semeval.py`` (train + val
to train, test to score, F_avg pooled over targets). Every choice an idea needs
(a fusion weight, a class offset) is made by 5-fold cross-validation on the
training set only, never on test; ``cv_f_avg`` is nested (the choice is re-made
inside each outer fold), so it is an honest estimate. Each variant is reported
with its test F_avg and a paired bootstrap 95% interval of its difference from
the product's ``hybrid`` on the same test tweets.

Variants:

``hybrid``
    the product's method with the classifier's own defaults (``class_weight``
    ``balanced``; the seed pipeline weights per target, docs/stance.md):
    ``StanceClassifier(method="hybrid")`` (target-aware logistic
    regression on word 1-3 + char 2-5 tf-idf and frozen MiniLM embeddings).
``hybrid+none_offset``
    an additive offset on NONE's log-probability, chosen to maximise F_avg
    (which ignores NONE's own F1).
``hybrid_ngrams``
    n-grams with ``min_df=1`` and camelCase hashtags also spelt out as words
    (``#StopHillary`` -> ``#StopHillary Stop Hillary``).
``hybrid+char_svm``
    late fusion: hybrid log-probabilities + w x decision values of a
    target-aware linear SVM on char 2-5-grams (w chosen by CV).
``best_combination``
    ``hybrid_ngrams`` with embeddings averaged over the text and its
    hashtag-spelt form, fused with the char SVM (w by CV).
``hybrid_layers``
    the product's features with a second embedding beside the sentence
    embedding: MiniLM's layer-3 hidden states, mean-pooled (frozen).
``hybrid+knn``
    late fusion: hybrid log-probabilities + w x the log of a class-balanced
    10-nearest-neighbour vote among the same target's training tweets, on
    embeddings centred per target (w chosen by CV).

Writes ``reports/bench/stance_ablation.json``.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _common import finished  # noqa: E402
from stance_semeval import load_data  # noqa: E402
from topicstance.io import write_json  # noqa: E402
from topicstance.stance import CLASSES  # noqa: E402
from topicstance.stance.classifier import StanceClassifier  # noqa: E402
from topicstance.stance.metrics import f_avg  # noqa: E402
from topicstance.stance.targets import TargetBlocks  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "benchmarks" / "semeval2016" / "stance.csv"
OUT = ROOT / "reports" / "bench" / "stance_ablation.json"
WEIGHTS = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0)
OFFSETS = tuple(np.round(np.arange(-1.5, 1.51, 0.05), 2))
CL = np.array(CLASSES)


def load(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train (train + val) and test, read and cleaned exactly as ``stance_semeval.py`` does."""
    df = load_data(path)
    return (df[df["split"].isin(["train", "val"])].reset_index(drop=True),
            df[df["split"] == "test"].reset_index(drop=True))


def spell_hashtags(text: str) -> str:
    """Append the words of each camelCase hashtag after it; the hashtag itself stays."""
    def rep(m):
        words = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", m.group(1))
        return m.group(0) + (" " + " ".join(words) if len(words) > 1 else "")
    return re.sub(r"#(\w+)", rep, text)


def fav(y, scores) -> float:
    return f_avg(np.asarray(y), CL[np.asarray(scores).argmax(axis=1)])


def _ordered(model, scores):
    return scores[:, [list(model.classes_).index(c) for c in CLASSES]]


def ngram_matrix(train_texts, texts_list, *, words: bool, min_df: int, spell: bool):
    from sklearn.feature_extraction.text import TfidfVectorizer

    pre = (lambda ts: [spell_hashtags(t) for t in ts]) if spell else list
    vecs = []
    if words:
        vecs.append(TfidfVectorizer(analyzer="word", ngram_range=(1, 3), sublinear_tf=True, min_df=min_df,
                                    token_pattern=r"(?u)\b\w+\b|[#@]\w+", dtype=np.float32))
    vecs.append(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=min_df,
                                dtype=np.float32))
    tr = pre(train_texts)
    for v in vecs:
        v.fit(tr)
    return [sp.hstack([v.transform(pre(ts)) for v in vecs], format="csr") / np.sqrt(len(vecs)) for ts in texts_list]


def lr_logp(Xa, ya, Xb, C=1.0):
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = LogisticRegression(C=C, class_weight="balanced", max_iter=2000, tol=1e-4, random_state=42).fit(Xa, ya)
    return _ordered(m, m.predict_log_proba(Xb))


def svm_decision(Xa, ya, Xb, C=0.3):
    from sklearn.svm import LinearSVC

    m = LinearSVC(C=C, class_weight="balanced", max_iter=5000, random_state=42).fit(Xa, ya)
    return _ordered(m, m.decision_function(Xb))


# ------------------------------------------------------------------ components
def product_hybrid(a, b, E):
    clf = StanceClassifier(method="hybrid", cache_dir=None)
    clf.fit(a["text"].tolist(), a["target"].tolist(), a["stance"].tolist(), embeddings=E["plain"][a.index])
    return np.log(np.clip(clf.predict_proba(b["text"].tolist(), b["target"].tolist(),
                                            embeddings=E["plain"][b.index]), 1e-12, None))


def hybrid_variant(emb_key):
    def run(a, b, E):
        tb = TargetBlocks().fit(a["target"].tolist())
        Na, Nb = ngram_matrix(a["text"].tolist(), [a["text"].tolist(), b["text"].tolist()],
                              words=True, min_df=1, spell=True)
        Xa = tb.transform(sp.hstack([Na, sp.csr_matrix(E[emb_key][a.index])], format="csr"), a["target"].tolist())
        Xb = tb.transform(sp.hstack([Nb, sp.csr_matrix(E[emb_key][b.index])], format="csr"), b["target"].tolist())
        return lr_logp(Xa, a["stance"].to_numpy(), Xb)
    return run


def hybrid_with(emb_key):
    """The product's hybrid built from its parts, with ``E[emb_key]`` as the embedding block."""
    from topicstance.stance.head import LinearHead
    from topicstance.stance.ngrams import NgramFeatures

    def run(a, b, E):
        tb = TargetBlocks().fit(a["target"].tolist())
        ng = NgramFeatures().fit(a["text"].tolist())
        Xa, Xb = (tb.transform(sp.hstack([ng.transform(d["text"].tolist()), sp.csr_matrix(E[emb_key][d.index])],
                                         format="csr"), d["target"].tolist()) for d in (a, b))
        head = LinearHead(C=1.0, class_weight="balanced", random_state=42).fit(Xa, a["stance"].tolist())
        return np.log(np.clip(head.predict_proba(Xb), 1e-12, None))
    return run


def knn_vote(a, b, E, k: int = 10):
    """log of a class-balanced k-NN vote among the same target's training rows (embeddings centred per target)."""
    Xa, Xb, ya = E["plain"][a.index], E["plain"][b.index], a["stance"].to_numpy()
    ta, tb = a["target"].to_numpy(), b["target"].to_numpy()
    out = np.log(np.full((len(b), 3), 1.0 / 3))
    for t in np.unique(tb):
        ia, ib = ta == t, tb == t
        if ia.sum() <= k:
            continue
        mu = Xa[ia].mean(axis=0)
        A, B = Xa[ia] - mu, Xb[ib] - mu
        A /= np.linalg.norm(A, axis=1, keepdims=True)
        B /= np.linalg.norm(B, axis=1, keepdims=True)
        nb = np.argpartition(-(B @ A.T), k, axis=1)[:, :k]
        yy = ya[ia]
        w = np.array([1.0 / max((yy == c).mean(), 1e-3) for c in CL])
        cnt = (np.stack([(yy[nb] == c).sum(axis=1) for c in CL], axis=1) + 1.0) * w
        out[ib] = np.log(cnt / cnt.sum(axis=1, keepdims=True))
    return out


def layer_embeddings(texts: list[str], layer: int = 3, batch: int = 64) -> np.ndarray:
    """Mean-pooled hidden states of one MiniLM layer, L2-normalised (float32 on CPU)."""
    import torch

    from topicstance.embed.model import load_sentence_transformer

    st = load_sentence_transformer("all-MiniLM-L6-v2").eval()
    out = []
    for i in range(0, len(texts), batch):
        enc = st.tokenizer(texts[i:i + batch], padding=True, truncation=True, max_length=st.max_seq_length,
                           return_tensors="pt")
        with torch.no_grad():
            h = st[0].auto_model(**enc, output_hidden_states=True).hidden_states[layer]
        m = enc["attention_mask"].unsqueeze(-1).float()
        out.append(((h * m).sum(1) / m.sum(1)).numpy())
    X = np.vstack(out).astype(np.float32)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def char_svm(a, b, E):
    tb = TargetBlocks().fit(a["target"].tolist())
    Na, Nb = ngram_matrix(a["text"].tolist(), [a["text"].tolist(), b["text"].tolist()],
                          words=False, min_df=1, spell=True)
    return svm_decision(tb.transform(Na, a["target"].tolist()), a["stance"].to_numpy(),
                        tb.transform(Nb, b["target"].tolist()))


# ------------------------------------------------------------------ evaluation
def oof_and_test(fn, train, test, E, folds, E_test):
    """Out-of-fold scores on train, full-train scores on test, and the full fit's seconds."""
    oof = np.zeros((len(train), 3))
    for a, b in folds:
        oof[b] = fn(train.iloc[a], train.iloc[b], E)
    both = pd.concat([train, test], ignore_index=True)
    Eall = {k: np.vstack([E[k], E_test[k]]) for k in E}
    t = time.perf_counter()
    S = fn(both.iloc[:len(train)], both.iloc[len(train):], Eall)
    return oof, S, time.perf_counter() - t


def choose(y, candidates: dict):
    """The key of ``candidates`` (key -> scores) with the best F_avg; ties to the first."""
    return max(candidates, key=lambda k: fav(y, candidates[k]))


def nested(y, folds, cands: dict):
    """CV estimate of a choice made on train (``cands``: choice -> out-of-fold scores): for each
    outer fold, the choice is made on the other folds' rows and applied to this fold's."""
    out = np.zeros_like(next(iter(cands.values())))
    for a, b in folds:
        key = choose(y[a], {k: v[a] for k, v in cands.items()})
        out[b] = cands[key][b]
    return out


def paired_ci(y, base, new, n=1000, seed=0):
    rng = np.random.default_rng(seed)
    pb, pn, y = CL[base.argmax(1)], CL[new.argmax(1)], np.asarray(y)
    d = []
    for _ in range(n):
        i = rng.integers(0, len(y), len(y))
        d.append(f_avg(y[i], pn[i]) - f_avg(y[i], pb[i]))
    return [round(float(np.percentile(d, 2.5)), 4), round(float(np.percentile(d, 97.5)), 4)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--force", action="store_true", help="re-run although the output file exists")
    args = ap.parse_args(argv)
    args.data, args.out = args.data.resolve(), args.out.resolve()
    if finished(args.out, args.force):
        return 0
    if not args.data.exists():
        sys.exit(f"{args.data}: benchmark data not found (give --data)")
    os.chdir(ROOT)  # the project's embedding cache, as in stance_semeval.py
    from sklearn.model_selection import StratifiedKFold

    train, test = load(args.data)
    y = train["stance"].to_numpy()
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(len(train)),
                                                                         (train["target"] + "|" + train["stance"])))
    enc = StanceClassifier(cache_dir=str(ROOT / ".cache" / "embeddings"))

    def embeddings(texts):
        plain = enc.frozen_embeddings(texts)
        spelt = enc.frozen_embeddings([spell_hashtags(t) for t in texts])
        mean = plain + spelt
        layers = np.hstack([plain, layer_embeddings(texts)]) / np.sqrt(2)
        return {"plain": plain, "mean": mean / np.linalg.norm(mean, axis=1, keepdims=True), "layers": layers}

    E, E_test = embeddings(train["text"].tolist()), embeddings(test["text"].tolist())
    parts = {}
    for name, fn in (("hybrid", product_hybrid), ("hybrid_ngrams", hybrid_variant("plain")),
                     ("hybrid_ngrams_meanemb", hybrid_variant("mean")), ("char_svm", char_svm),
                     ("hybrid_rebuilt", hybrid_with("plain")), ("hybrid_layers", hybrid_with("layers")),
                     ("knn_vote", knn_vote)):
        parts[name] = oof_and_test(fn, train, test, E, folds, E_test)
        print(f"  {name:24s} CV {fav(y, parts[name][0]):.4f}  test {fav(test['stance'], parts[name][1]):.4f}  "
              f"fit {parts[name][2]:.1f}s", file=sys.stderr, flush=True)

    def fused(base, other, w):
        return parts[base][0] + w * parts[other][0], parts[base][1] + w * parts[other][1]

    variants = {}

    def add(name, oof_nested, test_scores, choice, fit_s):
        variants[name] = {"cv_f_avg": round(fav(y, oof_nested), 4), "test_f_avg": round(fav(test["stance"], test_scores), 4),
                          "test_delta_vs_hybrid_ci95": paired_ci(test["stance"], parts["hybrid"][1], test_scores),
                          "choice_on_train": choice, "fit_seconds": round(fit_s, 1)}

    add("hybrid", parts["hybrid"][0], parts["hybrid"][1], None, parts["hybrid"][2])
    off = {b: np.array([0.0, 0.0, b]) for b in OFFSETS}
    cands = {b: parts["hybrid"][0] + v for b, v in off.items()}
    b = choose(y, cands)
    add("hybrid+none_offset", nested(y, folds, cands), parts["hybrid"][1] + off[b], {"none_offset": float(b)},
        parts["hybrid"][2])
    add("hybrid_ngrams", parts["hybrid_ngrams"][0], parts["hybrid_ngrams"][1], None, parts["hybrid_ngrams"][2])
    for name, base in (("hybrid+char_svm", "hybrid"), ("best_combination", "hybrid_ngrams_meanemb")):
        cands = {w: fused(base, "char_svm", w)[0] for w in WEIGHTS}
        w = choose(y, cands)
        add(name, nested(y, folds, cands), fused(base, "char_svm", w)[1], {"svm_weight": w},
            parts[base][2] + parts["char_svm"][2])
    add("hybrid_layers", parts["hybrid_layers"][0], parts["hybrid_layers"][1], None, parts["hybrid_layers"][2])
    cands = {w: fused("hybrid", "knn_vote", w)[0] for w in WEIGHTS}
    w = choose(y, cands)
    add("hybrid+knn", nested(y, folds, cands), fused("hybrid", "knn_vote", w)[1], {"knn_weight": w},
        parts["hybrid"][2] + parts["knn_vote"][2])
    report = {
        "benchmark": "SemEval-2016 Task 6A, ablation of the hybrid stance method",
        "data": os.path.relpath(args.data, ROOT), "train_rows": len(train), "test_rows": len(test),
        "cv": "5-fold stratified by target and stance (seed 0); choices nested inside the folds",
        "components": {k: {"cv_f_avg": round(fav(y, v[0]), 4), "test_f_avg": round(fav(test["stance"], v[1]), 4),
                           "fit_seconds": round(v[2], 1)} for k, v in parts.items()},
        "variants": variants,
        "machine": {"cpus": os.cpu_count(), "loadavg_at_end": list(os.getloadavg())},
    }
    write_json(args.out, report)
    for k, v in variants.items():
        print(f"{k:22s} CV {v['cv_f_avg']:.4f}  test {v['test_f_avg']:.4f}  delta CI {v['test_delta_vs_hybrid_ci95']}  "
              f"{v['choice_on_train'] or ''}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
