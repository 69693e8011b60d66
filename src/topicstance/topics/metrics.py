"""Quality metrics: coherence, diversity and stability.

* NPMI coherence: for each topic, the mean normalised pointwise mutual
  information of every pair of its top keywords, with probabilities from
  chunk-level co-occurrence over the corpus itself (a term, unigram or
  bigram, "occurs" in a chunk when the chunk contains it). A pair that never
  co-occurs scores -1. The corpus figure is the mean over topics.
* Topic diversity: distinct terms among all topics' top keywords divided by
  (topics x top_n_words); 1 means no topic shares a keyword.
* Stability: mean pairwise ARI of ``topic`` between runs with the stability
  seeds, and ARI between a run on the chunks in shuffled order and the same
  seed in the original order; on at most ``stability_max_n`` chunks.
"""
from __future__ import annotations

import itertools

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import adjusted_rand_score

from . import outliers, selection
from .outliers import OUTLIER


def npmi_coherence(dtm: sp.csr_matrix, vocab: np.ndarray, keywords: dict[int, list]) -> tuple[float | None, dict]:
    if not keywords or dtm.shape[1] == 0:
        return None, {}
    col = {str(w): i for i, w in enumerate(vocab)}
    B = (dtm > 0).astype(np.float64).tocsc()
    n = B.shape[0]
    per_topic: dict[int, float] = {}
    for t, kws in keywords.items():
        cols = [col[w] for w, _ in kws if w in col]
        if len(cols) < 2:
            continue
        sub = B[:, cols]
        df = np.asarray(sub.sum(axis=0)).ravel()
        co = np.asarray((sub.T @ sub).todense())
        vals = []
        for a, b in itertools.combinations(range(len(cols)), 2):
            pij = co[a, b] / n
            if pij <= 0:
                vals.append(-1.0)
                continue
            pi, pj = df[a] / n, df[b] / n
            denom = -np.log(pij)
            vals.append(1.0 if denom <= 0 else float(np.log(pij / (pi * pj)) / denom))
        per_topic[int(t)] = round(float(np.mean(vals)), 6)
    if not per_topic:
        return None, {}
    return round(float(np.mean(list(per_topic.values()))), 6), per_topic


def topic_diversity(keywords: dict[int, list], top_n: int) -> float | None:
    if not keywords:
        return None
    words = [w for kws in keywords.values() for w, _ in kws[:top_n]]
    return round(len(set(words)) / (len(keywords) * top_n), 6)


def _run_topic(model, X_rows, U, mcs):
    raw, _, _ = selection.cluster_reduced(model.make_clusterer, U, mcs)
    topic, _ = outliers.reassign(X_rows, raw, model.outlier_threshold)
    return topic


def stability(model, X: np.ndarray) -> dict:
    """Seed and shuffled-order stability of a fitted :class:`TopicModel` on embeddings ``X``.

    Every run repeats the model's own pipeline (map on articles when the model's map is, the
    same ``min_cluster_size`` in chunks, outliers reassigned). On more than ``stability_max_n``
    chunks it runs on a subsample (whole articles when grouped), with ``min_cluster_size``
    scaled to it. The shuffled run reorders the chunks (and so the articles) before the map,
    then its labels are put back in the original order before the ARI.
    """
    from .knn import unit_rows

    X = unit_rows(X)
    n = X.shape[0]
    grp = getattr(model, "groups_", None)
    mg = getattr(model, "map_groups_", None)
    sr = model.seed_runs_
    if sr is not None:
        rows, mcs, labels, runs = sr["rows"], sr["min_cluster_size"], dict(sr["labels"]), sr["runs"]
    else:
        rows = grp.subsample(model.stability_max_n, model.random_state) if grp is not None else \
            selection.subsample(n, model.stability_max_n, model.random_state)
        mcs = selection.scaled(model.min_cluster_size_, len(rows), n)
        full = len(rows) == n
        main = (model.random_state, model.embedding_) if full else None
        knn = model.knn_graph(X, mg) if full else None
        runs = model.seed_runs(X, rows, knn=knn, main=main)
        labels = {s: _run_topic(model, X[rows], U, mcs) for s, U in runs.reduced.items()}
    Xs = X[rows]
    sub_map = None if mg is None else (mg if len(rows) == n else model.map_groups(mg.take(rows)))
    seeds = sorted(labels)
    pair_ari = {f"{a}-{b}": round(float(adjusted_rand_score(labels[a], labels[b])), 6)
                for a, b in itertools.combinations(seeds, 2)}
    # shuffled order, main seed
    base_seed = model.random_state
    if base_seed in labels:
        base = labels[base_seed]
    else:
        base = _run_topic(model, Xs, model.reduce(Xs, base_seed, model.knn_graph(Xs, sub_map), sub_map), mcs)
    perm = np.random.default_rng(base_seed + 1).permutation(len(rows))
    Xp = Xs[perm]
    gp = None
    if sub_map is not None:
        from .groups import Groups

        gp = Groups.from_labels(sub_map.codes[perm])  # articles re-coded in the shuffled order
    shuffled = np.empty(len(rows), dtype=np.int64)
    shuffled[perm] = _run_topic(model, Xp, model.reduce(Xp, base_seed, model.knn_graph(Xp, gp), gp), mcs)
    vals = list(pair_ari.values())
    nts = {str(s): int(np.unique(labels[s][labels[s] != OUTLIER]).size) for s in seeds}
    nt_shuf = int(np.unique(shuffled[shuffled != OUTLIER]).size)
    out = {
        "ari_seeds_mean": round(float(np.mean(vals)), 6) if vals else None,
        "ari_seeds_min": round(float(np.min(vals)), 6) if vals else None,
        "ari_seeds_pairs": pair_ari,
        "ari_shuffled_order": round(float(adjusted_rand_score(base, shuffled)), 6),
        "seeds": [int(s) for s in seeds],
        "n_chunks_measured": int(len(rows)),
        "subsampled": bool(len(rows) < n),
        "map": "article" if sub_map is not None else "chunk",
        "min_cluster_size_measured": int(mcs),
        "n_topics_per_seed": nts,
        "n_topics_shuffled_order": nt_shuf,
    }
    counts = sorted(set(nts.values()) | {nt_shuf})
    if len(counts) > 1:
        out["note"] = (f"runs that differ only in seed or chunk order found different numbers of topics "
                       f"({', '.join(str(c) for c in counts)}): HDBSCAN's cluster selection flips between a "
                       "coarse and a fine partition of this corpus, and the ARI between such runs is low. "
                       "The instability is genuine (the shuffled run's labels are compared in the original "
                       "chunk order, with the same min_cluster_size); it is typical of small corpora.")
    return out


def topic_metrics(model, dtm, vocab) -> dict:
    """Metrics of a fitted model that need no extra runs."""
    coh, per_topic = npmi_coherence(dtm, vocab, model.keywords_)
    return {
        "n_chunks": int(model.n_samples_),
        "n_topics": int(model.n_topics_),
        "outlier_share_raw": round(outliers.outlier_share(model.labels_raw_), 6),
        "outlier_share": round(outliers.outlier_share(model.labels_), 6),
        "min_cluster_size": int(model.min_cluster_size_),
        "min_cluster_size_unit": getattr(model, "unit_", "chunk"),
        "min_cluster_size_in_unit": int(getattr(model, "min_cluster_size_unit_", model.min_cluster_size_)),
        "n_articles_fitted": int(getattr(model, "n_groups_", model.n_samples_)),
        "chunks_per_article": round(float(getattr(model, "chunks_per_unit_", 1.0)), 4),
        "map": getattr(model, "map_unit_", "chunk"),
        "npmi_coherence": coh,
        "npmi_per_topic": {str(k): v for k, v in per_topic.items()},
        "topic_diversity": topic_diversity(model.keywords_, model.top_n_words),
    }
