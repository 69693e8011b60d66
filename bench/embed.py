"""Embedding benchmark on the BBC News CSV (see issue: foundation).

1. `topicstance ingest` + `chunk` the BBC table (not timed against anything).
2. Whole-process time of `topicstance embed` with a cold cache, against
   `bench/plain_st_encode.py` (SentenceTransformer.encode, float32, batch 32) on
   the same chunks, imports included on both sides, in the same run.
3. The lowest cosine between the two sets of vectors.
4. Add one new article, re-chunk, re-embed with the now-warm cache: the chunks
   encoded must equal the new chunks; the encode time is reported apart from
   start-up.

Writes reports/bench/embed.json. Usage: python bench/embed.py [--data CSV] [--force]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH_DIR, SHARED, finished, machine, save_results, timed_run  # noqa: E402

NEW_ARTICLE = (
    "Ministers have unveiled plans for a national network of charging points for electric cars, promising that "
    "no driver will be more than twenty miles from a fast charger by the end of the decade. The scheme, which "
    "will be part-funded by energy companies, was welcomed by motoring groups but criticised by environmental "
    "campaigners, who said it did too little to get people out of cars altogether. Officials said the first "
    "thousand chargers would be installed on motorway service areas next spring.")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(SHARED / "benchmarks" / "bbc_news" / "bbc_news.csv"))
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    if finished(BENCH_DIR / "embed.json", args.force):
        return
    ts = [sys.executable, "-m", "topicstance.cli"]
    with tempfile.TemporaryDirectory() as td:
        td = Path(td)
        df = pd.read_csv(args.data)
        df["text"] = df["title"].astype(str) + ". " + df["text"].astype(str)
        df[["id", "text", "category"]].to_csv(td / "bbc.csv", index=False)
        params = td / "params.yaml"
        params.write_text("")  # defaults
        timed_run(ts + ["ingest", str(td / "bbc.csv"), "--out", str(td / "d"), "--params", str(params)])
        timed_run(ts + ["chunk", str(td / "d" / "articles.parquet"), "--out", str(td / "d" / "chunks.parquet"),
                        "--params", str(params)])
        chunks = pd.read_parquet(td / "d" / "chunks.parquet")
        cache = td / "cache"
        t_ours, _, err, rss_ours = timed_run(
            ts + ["embed", str(td / "d" / "chunks.parquet"), "--out", str(td / "emb"), "--report",
                  str(td / "rep.json"), "--params", str(params)], env={"TOPICSTANCE_CACHE": str(cache)})
        rep = json.loads((td / "rep.json").read_text())
        t_plain, _, _, rss_plain = timed_run([sys.executable, str(Path(__file__).parent / "plain_st_encode.py"),
                                              str(td / "d" / "chunks.parquet"), str(td / "plain.npy")])
        ours = np.load(td / "emb" / "vectors.npy")
        plain = np.load(td / "plain.npy")
        cos = np.sum(ours * plain, axis=1)
        # incremental: one new article
        df2 = pd.concat([df[["id", "text", "category"]],
                         pd.DataFrame({"id": ["new-1"], "text": [NEW_ARTICLE], "category": ["new"]})])
        df2.to_csv(td / "bbc2.csv", index=False)
        timed_run(ts + ["ingest", str(td / "bbc2.csv"), "--out", str(td / "d2"), "--params", str(params)])
        timed_run(ts + ["chunk", str(td / "d2" / "articles.parquet"), "--out", str(td / "d2" / "chunks.parquet"),
                        "--params", str(params)])
        chunks2 = pd.read_parquet(td / "d2" / "chunks.parquet")
        new_chunks = int((chunks2["article_id"] == "new-1").sum())
        t_inc, _, _, _ = timed_run(ts + ["embed", str(td / "d2" / "chunks.parquet"), "--out", str(td / "emb2"),
                                         "--report", str(td / "rep2.json"), "--params", str(params)],
                                   env={"TOPICSTANCE_CACHE": str(cache)})
        rep2 = json.loads((td / "rep2.json").read_text())
    n = len(chunks)
    out = {
        "done": True,
        "machine": machine(),
        "command": "python bench/embed.py --force",
        "data": "bbc_news.csv (title + '. ' + text), deduplicated by topicstance ingest",
        "articles": int(chunks["article_id"].nunique()),
        "chunks": n,
        "mean_tokens_per_chunk": round(float(chunks["n_tokens"].mean()), 1),
        "topicstance_embed": {"wall_seconds": round(t_ours, 2), "chunks_per_second": round(n / t_ours, 2),
                              "precision": rep["precision"], "bf16_kernel": rep.get("bf16_kernel"), "encode_seconds": round(rep["encode_seconds"], 2),
                              "model_load_seconds": round(rep["load_seconds"], 2),
                              "parity_min_cosine_sample": rep.get("parity_min_cosine"), "peak_rss_mb": rss_ours},
        "plain_sentence_transformers_fp32_b32": {"wall_seconds": round(t_plain, 2),
                                                 "chunks_per_second": round(n / t_plain, 2)},
        "speedup_whole_process": round(t_plain / t_ours, 3),
        "min_cosine_vs_fp32": round(float(cos.min()), 5),
        "mean_cosine_vs_fp32": round(float(cos.mean()), 6),
        "incremental": {"new_chunks": new_chunks, "chunks_encoded": rep2["misses"], "cache_hits": rep2["hits"],
                        "wall_seconds": round(t_inc, 2), "encode_seconds": round(rep2["encode_seconds"], 3),
                        "startup_and_io_seconds": round(t_inc - rep2["encode_seconds"], 2),
                        "encoded_equals_new": rep2["misses"] == new_chunks},
        "targets": {"speedup_at_least": 3.0, "min_cosine_at_least": 0.995},
    }
    p = save_results("embed.json", out)
    print(json.dumps(out, indent=2))
    print(f"wrote {p}")


if __name__ == "__main__":
    main()
