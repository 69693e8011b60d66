"""``min_cluster_size: auto``: pick the candidate by an unsupervised criterion.

No gold labels are used. Three criteria:

* ``silhouette`` (default): cluster the model's own reduced embedding with
  each candidate, reassign outliers, and score the mean silhouette of the
  resulting topics in the ORIGINAL embedding space (cosine), so the score
  judges topics by what the chunks mean, not by UMAP's layout; the highest
  wins. Costs one clusterer run per candidate (no extra UMAP). Silhouette
  rewards topics that are tight and apart: splitting a region that has no
  gap lowers it, separating well-apart stories (fine-grained events) raises
  it, so the granularity follows the data within the candidate range.
  On more than ``stability_max_n`` chunks it is computed on a sample.
* ``resample`` (default): cluster the reduced embedding with the candidate,
  then cluster ``N_RESAMPLES`` random 80% subsets of it again, and score the
  mean adjusted Rand index between each subset's assignment and the full
  assignment on the same chunks. Costs only clusterer runs (no extra UMAP).
* ``seeds``: rerun the whole reduce -> cluster pipeline with each stability
  seed and score the mean pairwise ARI between seeds (three UMAP runs).

For the two stability criteria: a granularity the data supports comes out the
same under perturbation; assignments are compared after outlier reassignment
(what users see), and among candidates within ``tolerance`` of the best score
the smallest wins, so ties go to the finer granularity. Candidates giving
fewer than two topics are never eligible (one topic is trivially stable). On more than ``stability_max_n`` chunks the criterion runs
on a subsample, with the candidate scaled to it. HDBSCAN's relative validity
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


SILHOUETTE_MAX_N = 5000


def score_silhouette(X_sub: np.ndarray, U_sub: np.ndarray, candidates, n_full: int, make_clusterer,
                     threshold: float, seed: int) -> dict:
    """The ``silhouette`` criterion on reduced rows ``U_sub`` (embeddings ``X_sub``)."""
    from sklearn.metrics import silhouette_score

    m = len(U_sub)
    table = []
    for c in candidates:
        cs = scaled(c, m, n_full)
        row = {"min_cluster_size": int(c), "min_cluster_size_on_subsample": int(cs)}
        if cs > m:
            row.update(eligible=False, reason=f"larger than the {m} chunks")
            table.append(row)
            continue
        raw, dbcv, _ = cluster_reduced(make_clusterer, U_sub, cs)
        topic, _ = reassign(X_sub, raw, threshold)
        keep = topic != OUTLIER
        nt = n_topics(raw)
        sil = None
        if nt >= 2 and keep.sum() > nt:
            sil = float(silhouette_score(X_sub[keep], topic[keep], metric="cosine",
                                         sample_size=min(int(keep.sum()), SILHOUETTE_MAX_N), random_state=seed))
        row.update(silhouette=None if sil is None else round(sil, 6), n_topics=nt,
                   outlier_share_raw=round(outlier_share(raw), 6), outlier_share=round(outlier_share(topic), 6),
                   dbcv=None if dbcv is None else round(dbcv, 6), eligible=sil is not None)
        if sil is None:
            row["reason"] = "fewer than 2 topics"
        table.append(row)
    ok = [r for r in table if r.get("eligible")]
    if ok:
        best = max(ok, key=lambda r: (r["silhouette"], -r["min_cluster_size"]))
        chosen, why = int(best["min_cluster_size"]), (f"highest mean silhouette ({best['silhouette']:.4f}, cosine, "
                                                      "original embedding space, after outlier reassignment)")
    else:
        chosen, why = choose(table, candidates, 0.0, "")
    return {"criterion": "silhouette", "chosen": chosen, "reason": why, "n_subsample": int(m), "candidates": table}


def score_resample(X_sub: np.ndarray, U_sub: np.ndarray, candidates, n_full: int, make_clusterer,
                   threshold: float, tolerance: float, seed: int) -> dict:
    """The ``resample`` criterion on reduced rows ``U_sub`` (embeddings ``X_sub``)."""
    m = len(U_sub)
    rng = np.random.default_rng(seed)
    size = max(2, int(round(RESAMPLE_FRACTION * m)))
    subsets = [np.sort(rng.choice(m, size=size, replace=False)) for _ in range(N_RESAMPLES)]
    table = []
    for c in candidates:
        cs = scaled(c, m, n_full)
        row = {"min_cluster_size": int(c), "min_cluster_size_on_subsample": int(cs)}
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
    return {"criterion": "resample_stability_ari", "tolerance": tolerance, "chosen": chosen, "reason": why,
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


def score_candidates(X_sub: np.ndarray, runs: SeedRuns, candidates, n_full: int, make_clusterer,
                     threshold: float, tolerance: float) -> dict:
    """Score each candidate; returns the table, the choice and the chosen candidate's per-seed labels."""
    m = len(runs.rows)
    table = []
    labels_by_c: dict[int, dict[int, np.ndarray]] = {}
    for c in candidates:
        cs = scaled(c, m, n_full)
        row = {"min_cluster_size": int(c), "min_cluster_size_on_subsample": int(cs)}
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
    return {"criterion": "seed_stability_ari", "tolerance": tolerance, "chosen": int(chosen), "reason": why,
            "n_subsample": int(m), "candidates": table, "_labels": labels_by_c.get(int(chosen))}
