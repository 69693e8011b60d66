"""`topicstance run` on a 10,000-article corpus, cold embedding cache, each step timed.

The corpus: the 2,225 BBC News articles plus 7,775 recombined ones. A
recombined article takes 3-8 paragraphs drawn at random (seeded) from BBC
articles of one category and keeps their order of drawing, so it reads like a
news article on one theme and its words and lengths are real; a fresh title is
the first sentence of its first paragraph. Each keeps its category, so the run
is also scored (NMI of the articles' dominant topics against the category).
Dedup runs as usual; recombinations rarely pass its 0.8 Jaccard threshold, and
whatever it drops is counted.

    python bench/run_10k.py [--force]

Writes reports/bench/run_10k.json: whole-process seconds, seconds per step
(from RUN/reports/run.json), peak RSS, articles, chunks, topics, NMI.
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH_DIR, SHARED, machine, save_results, skip_unless_forced, timed_run  # noqa: E402

OUT = "run_10k.json"
N = 10_000


def build(seed: int = 0) -> pd.DataFrame:
    df = pd.read_csv(SHARED / "benchmarks" / "bbc_news" / "bbc_news.csv")
    rows = [{"id": f"bbc-{r.id}", "title": r.title, "text": r.text, "category": r.category} for r in df.itertuples()]
    rng = np.random.default_rng(seed)
    paras = {c: [p.strip() for t in g["text"].astype(str) for p in t.split("\n") if len(p.strip()) > 80]
             for c, g in df.groupby("category")}
    cats = sorted(paras)
    i = 0
    while len(rows) < N:
        c = cats[rng.integers(len(cats))]
        k = int(rng.integers(3, 9))
        ps = [paras[c][j] for j in rng.choice(len(paras[c]), size=k, replace=False)]
        title = ps[0].split(". ")[0][:90]
        rows.append({"id": f"mix-{i:05d}", "title": title, "text": "\n\n".join(ps), "category": c})
        i += 1
    return pd.DataFrame(rows)


def main() -> None:
    if skip_unless_forced(BENCH_DIR / OUT):
        return
    from sklearn.metrics import normalized_mutual_info_score

    with tempfile.TemporaryDirectory() as td:
        td = Path(td)
        corpus = build()
        corpus.to_csv(td / "corpus.csv", index=False)
        wall, _, err, rss = timed_run([sys.executable, "-m", "topicstance.cli", "run", str(td / "corpus.csv"),
                                       "--out", str(td / "run")], env={"TOPICSTANCE_CACHE": str(td / "cache")})
        rep = json.loads((td / "run" / "reports" / "run.json").read_text())
        at = pd.read_parquet(td / "run" / "data" / "article_topics.parquet")
        m = corpus.assign(id=corpus["id"].astype(str)).merge(at, left_on="id", right_on="article_id", how="left")
        missing = int(m["topic"].isna().sum())
        nmi = float(normalized_mutual_info_score(m["category"], m["topic"].fillna(-2).astype(int)))
        metrics = json.loads((td / "run" / "reports" / "topics_metrics.json").read_text())
    out = {"done": True, "machine": machine(), "command": "python bench/run_10k.py --force",
           "corpus": "2,225 BBC News articles + 7,775 recombined from BBC paragraphs of one category (module doc)",
           "rows": int(len(corpus)), "wall_seconds": round(wall, 1), "peak_rss_mb": rss,
           "articles": rep["articles"], "duplicates_dropped": rep["duplicates_dropped"], "chunks": rep["chunks"],
           "embed_cache_misses": rep["embed_cache_misses"], "n_topics": rep["n_topics"],
           "seconds": rep["seconds"], "topics_seconds": rep.get("topics_seconds"),
           "rows_without_result": missing, "nmi_dominant_topic_vs_category": round(nmi, 4),
           "min_cluster_size": metrics.get("min_cluster_size")}
    save_results(OUT, out)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
