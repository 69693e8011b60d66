"""Embedding cost against corpus size: 1k, 10k and 100k unique chunks, cache off.

Unique chunk texts are built from the real corpora by sentence-level
recombination: the BBC News articles are split into sentences
(``topicstance.sentences.split_sentences``); each synthetic chunk draws
sentences at random (seeded) and appends them until it reaches the seed
pipeline's chunk size (the BBC chunks' character length distribution, sampled
per chunk), so lengths and vocabulary match real chunks while every text is new.
A set guarantees uniqueness. Each size runs in a fresh process with
``TOPICSTANCE_CACHE=off``; the report gives whole-process seconds, encode
seconds, chunks per second, and the least-squares slope (seconds per 1,000
chunks) with its intercept (start-up).

    python bench/embed_scale.py [--sizes 1000,10000,100000] [--force]

Writes reports/bench/embed_scale.json (resumable: a finished size is kept unless --force).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED, load_results, machine, save_results, timed_run  # noqa: E402

OUT = "embed_scale.json"


def build_texts(n: int, seed: int = 0) -> list[str]:
    import pandas as pd

    from topicstance.sentences import split_sentences

    df = pd.read_csv(SHARED / "benchmarks" / "bbc_news" / "bbc_news.csv")
    sents = []
    for t in df["text"].astype(str):
        sents += [t[a:b].strip() for a, b in split_sentences(t) if b - a >= 20]
    sents = list(dict.fromkeys(sents))
    rng = np.random.default_rng(seed)
    # target lengths: real BBC chunks have 494 +- 96 characters; appending whole sentences overshoots by ~60
    lengths = rng.normal(430, 90, size=n).clip(150, 700)
    out, seen = [], set()
    i = 0
    while len(out) < n:
        parts, size = [], 0
        while size < lengths[i % n]:
            s = sents[rng.integers(len(sents))]
            parts.append(s)
            size += len(s) + 1
        text = " ".join(parts)
        if text not in seen:
            seen.add(text)
            out.append(text)
        i += 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")]
    res = load_results(OUT) if not a.force else {}
    runs = res.get("runs", {})
    ts = [sys.executable, "-m", "topicstance.cli"]
    with tempfile.TemporaryDirectory() as td:
        td = Path(td)
        params = td / "params.yaml"
        params.write_text("")
        for n in sizes:
            if str(n) in runs:
                print(f"{n}: done (use --force to re-run)")
                continue
            import pandas as pd

            texts = build_texts(n)
            ids = [f"s{i:07d}" for i in range(n)]
            pd.DataFrame({"chunk_id": ids, "article_id": ids, "position": 0, "char_start": 0,
                          "char_end": [len(t) for t in texts], "n_tokens": 0, "text": texts}).to_parquet(
                td / "chunks.parquet", index=False)
            wall, _, _, rss = timed_run(ts + ["embed", str(td / "chunks.parquet"), "--out", str(td / f"e{n}"),
                                              "--report", str(td / "rep.json"), "--params", str(params)],
                                        env={"TOPICSTANCE_CACHE": "off"})
            rep = json.loads((td / "rep.json").read_text())
            assert rep["misses"] == n, rep
            runs[str(n)] = {"n_chunks": n, "wall_seconds": round(wall, 2),
                            "encode_seconds": round(rep["encode_seconds"], 2),
                            "chunks_per_second_encode": round(n / rep["encode_seconds"], 1),
                            "precision": rep["precision"], "bf16_kernel": rep.get("bf16_kernel"),
                            "peak_rss_mb": rss, "mean_chars": round(float(np.mean([len(t) for t in texts])), 1)}
            print(json.dumps(runs[str(n)]), flush=True)
            res = {"runs": runs}
            save_results(OUT, {**res, "done": False})
    ns = np.array([runs[k]["n_chunks"] for k in sorted(runs, key=int)], dtype=float)
    walls = np.array([runs[k]["wall_seconds"] for k in sorted(runs, key=int)])
    encs = np.array([runs[k]["encode_seconds"] for k in sorted(runs, key=int)])
    fit = {}
    if len(ns) >= 2:
        sw, iw = np.polyfit(ns, walls, 1)
        se, ie = np.polyfit(ns, encs, 1)
        fit = {"wall_seconds_per_1000_chunks": round(float(sw * 1000), 3), "wall_intercept_seconds": round(float(iw), 2),
               "encode_seconds_per_1000_chunks": round(float(se * 1000), 3),
               "encode_intercept_seconds": round(float(ie), 2),
               "log_log_slope_wall": round(float(np.polyfit(np.log(ns), np.log(walls), 1)[0]), 3)}
    out = {"done": True, "machine": machine(), "command": "python bench/embed_scale.py --force",
           "texts": "unique chunks by sentence-level recombination of BBC News sentences (see module doc); "
                    "cache off (TOPICSTANCE_CACHE=off), fresh process per size, default params",
           "runs": runs, "fit": fit}
    save_results(OUT, out)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
