"""``min_cluster_size: auto``: pick the candidate by an unsupervised criterion.

No gold labels are used.

Units. When the model is fitted with ``groups`` (the article of each chunk) and
``unit: article``, candidates count ARTICLES: candidate ``c`` becomes a
clusterer ``min_cluster_size`` of ``round(c * chunks per article)`` chunks (the
corpus mean), and the silhouette is scored at the ARTICLE level: each article
is the unit mean of its chunk vectors, labelled with its dominant topic (see
:mod:`groups`). The chunks of one article are near-duplicates of each other;
scored per chunk, a handful of clusters each made of one article's chunks wins
the silhouette (on BBC chunks it fell monotonically from candidate 5 to 40 and
picked 493 topics). Scored per article, such a cluster is one article, whose
silhouette is 0, so it cannot win. Without groups (or ``unit: chunk``) every
chunk is its own unit and both rules reduce to the per-chunk ones.

Three criteria:

* ``silhouette`` (default): cluster the model's own reduced embedding with
  each candidate, reassign outliers, and score the mean silhouette of the
  resulting topics in the ORIGINAL embedding space (cosine; per article when
  grouped, see above), so the score
  judges topics by what the chunks mean, not by UMAP's layout. The highest
  wins, except that the smallest candidate within one standard error of it
  (the standard error of the mean over the scored units) is taken instead:
  such candidates are indistinguishable by the score, and the finer one is
  the safe choice because the merge tree can always coarsen a model
  (``cut``) but never split one. Costs one clusterer run per candidate (no extra UMAP). Silhouette
  rewards topics that are tight and apart: splitting a region that has no
  gap lowers it, separating well-apart stories (fine-grained events) raises
  it, so the granularity follows the data within the candidate range.
  On more than ``stability_max_n`` chunks it is computed on a sample.
* ``resample``: cluster the reduced embedding with the candidate,
  then cluster ``N_RESAMPLES`` random 80% subsets of it again, and score the
  mean adjusted Rand index between each subset's assignment and the full
  assignment on the same chunks. Costs only clusterer runs (no extra UMAP).
* ``seeds``: rerun the whole reduce -> cluster pipeline with each stability
  seed and score the mean pairwise ARI between seeds (three UMAP runs).

For the two stability criteria: a granularity the data supports comes out the
same under perturbation; assignments are compared after outlier reassignment
(what users see), and among candidates within ``tolerance`` of the best score
the smallest wins, so ties go to the finer granularity. Candidates giving
fewer than two topics are never eligible (one topic is trivially stable).

On more than ``stability_max_n`` chunks every criterion runs on a subsample
(of whole articles when grouped), with the candidate scaled to it. HDBSCAN's relative validity
(a DBCV approximation) is recorded beside each score, for information only.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import adjusted_rand_score

from .outliers import OUTLIER, outlier_share, reassign


def scaled(c: int, m: int, n: int) -> int:
    """Candidate ``c`` (for ``n`` chunks) scaled to a subsample of ``m``."""
    return c if m >= n else max(2, int(round(c * m / n)))


def in_chunks(c: int, chunks_per_unit: float) -> int:
    """A size of ``c`` units (articles) in chunks: ``round(c * chunks_per_unit)``, at least 2."""
    return max(2, int(round(c * chunks_per_unit)))


def subsample(n: int, max_n: int, seed: int) -> np.ndarray:
    if n <= max_n:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=max_n, replace=False))


def mean_pairwise_ari(runs: list[np.ndarray]) -> float:
    pairs = list(itertools.combinations(runs, 2))
    if not pairs:
        return float("nan")
    return float(np.mean([adjusted_rand_score(a, b) for a, b in pairs]))


def n_topics(labels: np.ndarray) -> int:
    return int(np.unique(labels[labels != OUTLIER]).size)


N_RESAMPLES = 10
RESAMPLE_FRACTION = 0.8


def choose(table: list[dict], candidates, tolerance: float, what: str) -> tuple[int, str]:
    ok = [r for r in table if r.get("eligible")]
    if ok:
        best = max(r["stability_ari"] for r in ok)
        chosen = min(r["min_cluster_size"] for r in ok if r["stability_ari"] >= best - tolerance)
        return int(chosen), (f"smallest candidate within {tolerance} of the best stability ARI {best:.3f} ({what})")
    fits = [r for r in table if "stability_ari" in r]
    if not fits:
        return int(min(candidates)), "no candidate fits the corpus; the smallest is used"
    chosen = max(fits, key=lambda r: (max(r["n_topics"]) if isinstance(r["n_topics"], list) else r["n_topics"],
                                      -r["min_cluster_size"]))["min_cluster_size"]
    return int(chosen), "no candidate gives 2+ topics; the one with the most topics is used"


def cosine_silhouette_samples(V: np.ndarray, lab: np.ndarray) -> np.ndarray:
    """Per-row silhouette under cosine distance, for unit rows ``V``, without a distance matrix.

    For unit vectors the summed distance from row i to the members of cluster c is
    ``n_c - v_i . s_c`` with ``s_c`` the sum of c's vectors, so every cluster's mean distance
    is one (n x d) @ (d x k) product: O(n d k) time and memory instead of O(n^2). Same
    definition as scikit-learn's ``silhouette_samples``: ``(b - a) / max(a, b)``, 0 for a
    row alone in its cluster."""
    V = np.asarray(V, dtype=np.float64)
    classes, inv = np.unique(lab, return_inverse=True)
    k = classes.size
    counts = np.bincount(inv, minlength=k).astype(np.float64)
    S = np.zeros((k, V.shape[1]))
    np.add.at(S, inv, V)
    sums = counts[None, :] - V @ S.T                          # (n, k): summed distances to each cluster
    self_d = 1.0 - np.einsum("ij,ij->i", V, V)                # ~0 for unit rows
    n_own = counts[inv]
    a = np.where(n_own > 1, (sums[np.arange(len(V)), inv] - self_d) / np.maximum(n_own - 1, 1), 0.0)
    means = sums / counts[None, :]
    means[np.arange(len(V)), inv] = np.inf
    b = means.min(axis=1)
    a, b = np.clip(a, 0.0, 2.0), np.clip(b, 0.0, 2.0)
    denom = np.maximum(a, b)
    out = np.where(denom > 0, (b - a) / np.where(denom > 0, denom, 1.0), 0.0)
    out[n_own <= 1] = 0.0
    return out


def silhouette(X_sub: np.ndarray, topic: np.ndarray, groups) -> tuple[float | None, float | None, int, float]:
    """``(silhouette, standard error, n labels, unit outlier share)`` of ``topic`` under cosine
    distance: per chunk, or per article when ``groups`` (a :class:`groups.Groups` of the rows) is
    given, on every unit (see :func:`cosine_silhouette_samples`). ``None`` when fewer than 2 labels."""
    V = X_sub if groups is None else groups.vectors(X_sub)
    if groups is None:
        lab = topic
    else:
        from .outliers import centroids

        _, C, _ = centroids(X_sub, topic)
        lab = groups.dominant(topic, V, C)
    keep = np.nonzero(lab != OUTLIER)[0]
    k = np.unique(lab[keep]).size
    share = float(1.0 - keep.size / lab.size) if lab.size else 0.0
    if k < 2 or keep.size <= k:
        return None, None, k, share
    W = np.asarray(V, dtype=np.float64)[keep]
    W /= np.maximum(np.linalg.norm(W, axis=1, keepdims=True), 1e-12)
    vals = cosine_silhouette_samples(W, lab[keep])
    return float(vals.mean()), float(vals.std(ddof=1) / np.sqrt(vals.size)), k, share


def _candidate_row(c, full: int, cs: int, unit: str) -> dict:
    """The identifying columns of one candidate's row in the selection table."""
    return {"min_cluster_size": int(c), "unit": unit, "min_cluster_size_chunks": int(full),
            "min_cluster_size_on_subsample": int(cs)}


def score_silhouette(X_sub: np.ndarray, U_sub: np.ndarray, candidates, sizes: dict, make_clusterer,
                     threshold: float, seed: int, groups=None, unit: str = "chunk") -> dict:
    """The ``silhouette`` criterion on reduced rows ``U_sub`` (embeddings ``X_sub``).

    ``sizes[c] = (chunks, chunks_on_subsample)``: candidate ``c`` as a clusterer size. ``groups``
    (of the rows) scores per article (see module doc)."""
    m = len(U_sub)
    table = []
    done: dict[int, tuple] = {}
    for c in candidates:
        full, cs = sizes[c]
        row = _candidate_row(c, full, cs, unit)
        if cs > m:
            row.update(eligible=False, reason=f"larger than the {m} chunks")
            table.append(row)
            continue
        if cs not in done:  # candidates that scale to one size on the subsample are one clustering
            raw, dbcv, _ = cluster_reduced(make_clusterer, U_sub, cs)
            topic, _ = reassign(X_sub, raw, threshold)
            nt = n_topics(raw)
            done[cs] = (raw, dbcv, topic, nt, silhouette(X_sub, topic, groups) if nt >= 2 else (None, None, nt, 0.0))
        raw, dbcv, topic, nt, (sil, se, k, out_units) = done[cs]
        row.update(silhouette=None if sil is None else round(sil, 6),
                   silhouette_se=None if se is None else round(se, 6), n_topics=nt,
                   outlier_share_raw=round(outlier_share(raw), 6), outlier_share=round(outlier_share(topic), 6),
                   dbcv=None if dbcv is None else round(dbcv, 6), eligible=sil is not None)
        if groups is not None:
            row.update(n_article_topics=int(k), article_outlier_share=round(out_units, 6))
        if sil is None:
            row["reason"] = "fewer than 2 topics" + (" among the articles' dominant topics" if groups is not None
                                                     and nt >= 2 else "")
        table.append(row)
    ok = [r for r in table if r.get("eligible")]
    level = "article vectors labelled by their dominant topic" if groups is not None else "chunks"
    if ok:
        best = max(ok, key=lambda r: (r["silhouette"], -r["min_cluster_size"]))
        floor = best["silhouette"] - best["silhouette_se"]
        chosen = min(r["min_cluster_size"] for r in ok if r["silhouette"] >= floor)
        why = (f"smallest candidate whose mean silhouette is within one standard error of the highest "
               f"({best['silhouette']:.4f} - {best['silhouette_se']:.4f}, at {best['min_cluster_size']}; cosine, "
               f"original embedding space, {level}, after outlier reassignment)")
    else:
        chosen, why = choose(table, candidates, 0.0, "")
    return {"criterion": "silhouette", "level": "article" if groups is not None else "chunk", "unit": unit,
            "chosen": chosen, "chosen_chunks": int(sizes[chosen][0]), "reason": why, "n_subsample": int(m),
            **({"n_articles_subsample": int(groups.n_groups)} if groups is not None else {}),
            "candidates": table}


def score_resample(X_sub: np.ndarray, U_sub: np.ndarray, candidates, sizes: dict, make_clusterer,
                   threshold: float, tolerance: float, seed: int, unit: str = "chunk") -> dict:
    """The ``resample`` criterion on reduced rows ``U_sub`` (embeddings ``X_sub``)."""
    m = len(U_sub)
    rng = np.random.default_rng(seed)
    size = max(2, int(round(RESAMPLE_FRACTION * m)))
    subsets = [np.sort(rng.choice(m, size=size, replace=False)) for _ in range(N_RESAMPLES)]
    table = []
    for c in candidates:
        full, cs = sizes[c]
        row = _candidate_row(c, full, cs, unit)
        if cs > size:
            row.update(eligible=False, reason=f"larger than the {size} chunks of a resample")
            table.append(row)
            continue
        raw, dbcv, _ = cluster_reduced(make_clusterer, U_sub, cs)
        full, _ = reassign(X_sub, raw, threshold)
        aris = []
        for r in subsets:
            raw_r, _, _ = cluster_reduced(make_clusterer, U_sub[r], cs)
            lab_r, _ = reassign(X_sub[r], raw_r, threshold)
            aris.append(adjusted_rand_score(full[r], lab_r))
        nt = n_topics(raw)
        row.update(stability_ari=round(float(np.mean(aris)), 6), stability_ari_sd=round(float(np.std(aris)), 6),
                   n_topics=nt, outlier_share_raw=round(outlier_share(raw), 6),
                   outlier_share=round(outlier_share(full), 6),
                   dbcv=None if dbcv is None else round(dbcv, 6), eligible=bool(nt >= 2))
        if nt < 2:
            row["reason"] = "fewer than 2 topics"
        table.append(row)
    chosen, why = choose(table, candidates, tolerance,
                         f"mean ARI of {N_RESAMPLES} re-clustered {int(RESAMPLE_FRACTION * 100)}% resamples "
                         f"against the full assignment")
    return {"criterion": "resample_stability_ari", "level": "chunk", "unit": unit, "tolerance": tolerance,
            "chosen": chosen, "chosen_chunks": int(sizes[chosen][0]), "reason": why,
            "n_resamples": N_RESAMPLES, "resample_fraction": RESAMPLE_FRACTION, "n_subsample": int(m),
            "candidates": table}


@dataclass
class SeedRuns:
    """Reduced subsample embeddings, one per seed, and the subsample's row indices."""

    rows: np.ndarray
    reduced: dict[int, np.ndarray] = field(default_factory=dict)


def cluster_reduced(make_clusterer, U: np.ndarray, mcs: int) -> tuple[np.ndarray, float | None, object]:
    cl = make_clusterer(mcs)
    cl.fit(U)
    labels = np.asarray(cl.labels_, dtype=np.int64)
    try:  # HDBSCAN's DBCV approximation; absent (or raising) for other clusterers
        dbcv = float(cl.relative_validity_)
    except Exception:  # noqa: BLE001
        dbcv = None
    return labels, dbcv, cl


def score_candidates(X_sub: np.ndarray, runs: SeedRuns, candidates, sizes: dict, make_clusterer,
                     threshold: float, tolerance: float, unit: str = "chunk") -> dict:
    """Score each candidate; returns the table, the choice and the chosen candidate's per-seed labels."""
    m = len(runs.rows)
    table = []
    labels_by_c: dict[int, dict[int, np.ndarray]] = {}
    for c in candidates:
        full, cs = sizes[c]
        row = _candidate_row(c, full, cs, unit)
        if cs > m:
            row.update(eligible=False, reason=f"larger than the {m} chunks")
            table.append(row)
            continue
        per_seed, dbcvs, nts, outs, outs_raw = {}, [], [], [], []
        for seed, U in runs.reduced.items():
            raw, dbcv, _ = cluster_reduced(make_clusterer, U, cs)
            topic, _ = reassign(X_sub, raw, threshold)
            per_seed[seed] = topic
            nts.append(n_topics(raw))
            outs_raw.append(outlier_share(raw))
            outs.append(outlier_share(topic))
            if dbcv is not None:
                dbcvs.append(dbcv)
        labels_by_c[int(c)] = per_seed
        stab = mean_pairwise_ari(list(per_seed.values()))
        eligible = min(nts) >= 2
        row.update(
            stability_ari=round(stab, 6),
            n_topics=nts,
            outlier_share_raw=round(float(np.mean(outs_raw)), 6),
            outlier_share=round(float(np.mean(outs)), 6),
            dbcv=round(float(np.mean(dbcvs)), 6) if dbcvs else None,
            eligible=bool(eligible),
        )
        if not eligible:
            row["reason"] = "fewer than 2 topics in some run"
        table.append(row)
    chosen, why = choose(table, candidates, tolerance, f"mean pairwise ARI over seeds {sorted(runs.reduced)}")
    return {"criterion": "seed_stability_ari", "level": "chunk", "unit": unit, "tolerance": tolerance,
            "chosen": int(chosen), "chosen_chunks": int(sizes[int(chosen)][0]), "reason": why,
            "n_subsample": int(m), "candidates": table, "_labels": labels_by_c.get(int(chosen)),
            "_chosen_on_subsample": int(sizes[int(chosen)][1])}
