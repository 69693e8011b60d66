"""``min_cluster_size: auto``: the candidate whose topics are most reproducible.

For every candidate the reduce -> cluster -> reassign pipeline is run with
each stability seed (on a subsample of at most ``stability_max_n`` chunks,
with the candidate scaled to the subsample), and scored by the mean pairwise
adjusted Rand index between the seeds' assignments. A granularity that the
data supports comes out the same whatever the seed; one that splits a dense
region arbitrarily does not. Candidates that give fewer than two topics in
some run are not eligible (a single topic is trivially "stable"). Among the
candidates within ``tolerance`` of the best score the smallest one wins, so
ties go to the finer granularity. HDBSCAN's relative validity (a fast DBCV
approximation) is recorded beside the score, for information only.
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
    ok = [r for r in table if r.get("eligible")]
    if ok:
        best = max(r["stability_ari"] for r in ok)
        chosen = min(r["min_cluster_size"] for r in ok if r["stability_ari"] >= best - tolerance)
        why = (f"smallest candidate within {tolerance} of the best stability ARI {best:.3f} "
               f"(mean pairwise ARI over seeds {sorted(runs.reduced)})")
    else:
        fits = [r for r in table if "stability_ari" in r]
        if not fits:
            chosen = int(min(candidates))
            why = "no candidate fits the corpus; the smallest is used"
        else:
            chosen = max(fits, key=lambda r: (max(r["n_topics"]), -r["min_cluster_size"]))["min_cluster_size"]
            why = "no candidate gives 2+ topics in every run; the one with the most topics is used"
    return {"criterion": "stability_ari", "tolerance": tolerance, "chosen": int(chosen), "reason": why,
            "n_subsample": int(m), "candidates": table, "_labels": labels_by_c.get(int(chosen))}
