"""Score a ``topicstance run`` of the BBC News CSV against its ``category`` (the chunk pipeline).

    rm -rf /tmp/bbcrun2 && .venv/bin/topicstance run ../shared/benchmarks/bbc_news/bbc_news.csv --out /tmp/bbcrun2
    .venv/bin/python bench/topics_bbc_run.py /tmp/bbcrun2 [--data ../shared/benchmarks/bbc_news/bbc_news.csv]
                                             [--out reports/bench/topics_bbc_run.json]

Unlike ``bench/topics_bbc.py`` (one vector per article, the model alone), this
scores what a user of ``run`` gets: ingest -> chunk -> embed -> topics on
chunk embeddings, articles grouped by the model.

* Own granularity: ``RUN/data/article_topics.parquet`` ``topic`` (each
  article's dominant topic; a dropped duplicate carries its twin's topic).
* 5 topics: ``topicstance topics cut RUN --n-topics 5`` (run here into the
  run folder's ``reports/cut5.csv``), i.e. the hierarchy cut, dominant topic
  recomputed per article.
* Both joined to the CSV on ``article_id == str(id)``; every CSV row must be
  found. NMI and ARI against ``category``; -1 (outlier) counts as a label.
* Outlier shares: chunks (raw HDBSCAN and after reassignment, from the run's
  metrics) and articles (dominant topic -1), own and at the cut.
* Seconds per step from ``RUN/reports/run.json`` (``seconds`` and the
  topics stage's ``topics_seconds``).

Targets (issue 3): NMI >= 0.70 own, NMI >= 0.85 at 5 topics, outliers after
reassignment <= 5%.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _scores(y, labels) -> dict:
    import numpy as np
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels = np.asarray(labels)
    return {"nmi": round(float(normalized_mutual_info_score(y, labels)), 4),
            "ari": round(float(adjusted_rand_score(y, labels)), 4),
            "article_outlier_share": round(float((labels == -1).mean()), 4),
            "n_topics": int(len(set(labels.tolist()) - {-1}))}


def _join(csv, table, what: str):
    import pandas as pd

    t = table.assign(article_id=table["article_id"].astype(str)).set_index("article_id")["topic"]
    ids = csv["id"].astype(str)
    missing = ids[~ids.isin(t.index)]
    if len(missing):
        sys.exit(f"{what}: {len(missing)} CSV rows have no article topic (first: {missing.iloc[0]!r})")
    if t.index.duplicated().any():
        sys.exit(f"{what}: duplicate article_id {t.index[t.index.duplicated()][0]!r}")
    return pd.Series(t.loc[ids].to_numpy(), index=ids.to_numpy())


def main(argv=None) -> int:
    import pandas as pd

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path, help="a folder written by `topicstance run` on the BBC CSV")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "benchmarks" / "bbc_news" / "bbc_news.csv")
    ap.add_argument("--k", type=int, default=5, help="the cut to score (default 5, the number of categories)")
    ap.add_argument("--out", type=Path, default=ROOT / "reports" / "bench" / "topics_bbc_run.json")
    a = ap.parse_args(argv)
    run = a.run
    for f in ("data/article_topics.parquet", "reports/topics_metrics.json", "reports/run.json"):
        if not (run / f).exists():
            sys.exit(f"{run / f}: not found (run `topicstance run` on the BBC CSV first)")
    csv = pd.read_csv(a.data)
    y = csv["category"].astype(str).to_numpy()

    own = _join(csv, pd.read_parquet(run / "data" / "article_topics.parquet"), "article_topics.parquet")
    cut_csv = run / "reports" / f"cut{a.k}.csv"
    cmd = [str(Path(sys.executable).with_name("topicstance")), "topics", "cut", str(run), "--n-topics", str(a.k),
           "--out", str(cut_csv)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr[-2000:]}")
    cut = _join(csv, pd.read_csv(cut_csv, dtype={"article_id": str}), cut_csv.name)

    m = json.loads((run / "reports" / "topics_metrics.json").read_text())
    rj = json.loads((run / "reports" / "run.json").read_text())
    sel = m.get("min_cluster_size_selection", {})
    res_own = _scores(y, own.to_numpy())
    res_cut = _scores(y, cut.to_numpy())
    report = {
        "benchmark": "bbc_news via topicstance run (chunk pipeline)",
        "data": str(a.data), "run": str(run), "rows_scored": int(len(csv)),
        "articles_fitted": m.get("articles", {}).get("n_articles"),
        "duplicates_dropped": m.get("articles", {}).get("n_duplicates"),
        "chunks": m.get("n_chunks"),
        "n_topics": m.get("n_topics"),
        "min_cluster_size": {"unit": m.get("min_cluster_size_unit"), "chosen": m.get("min_cluster_size_in_unit"),
                             "chunks": m.get("min_cluster_size"), "chunks_per_article": m.get("chunks_per_article"),
                             "map": m.get("map"), "criterion": sel.get("criterion"), "level": sel.get("level"),
                             "candidates": [{k: r.get(k) for k in ("min_cluster_size", "min_cluster_size_chunks",
                                                                   "silhouette", "silhouette_se", "n_topics",
                                                                   "n_article_topics")}
                                            for r in sel.get("candidates", [])]},
        "own": res_own,
        f"cut{a.k}": {**res_cut, "command": " ".join(cmd[1:])},
        "chunk_outlier_share_raw": m.get("outlier_share_raw"),
        "chunk_outlier_share": m.get("outlier_share"),
        "stability": {k: m.get("stability", {}).get(k) for k in ("ari_seeds_mean", "ari_shuffled_order",
                                                                 "n_topics_per_seed", "n_topics_shuffled_order")},
        "seconds": rj.get("seconds"),
        "topics_seconds": rj.get("topics_seconds"),
        "targets": {
            "nmi_own_ge_0.70": res_own["nmi"] >= 0.70,
            f"nmi_cut{a.k}_ge_0.85": res_cut["nmi"] >= 0.85,
            "outliers_after_reassignment_le_0.05": (m.get("outlier_share", 1.0) <= 0.05
                                                    and res_own["article_outlier_share"] <= 0.05),
        },
    }
    sys.path.insert(0, str(ROOT / "src"))
    from topicstance.io import write_json

    write_json(a.out, report)
    print(json.dumps({"out": str(a.out), "n_topics": report["n_topics"], "own": res_own, f"cut{a.k}": res_cut,
                      "targets": report["targets"]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
