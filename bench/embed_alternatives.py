#!/usr/bin/env python
"""Encode paths that were tried for a CPU with no bfloat16 units, against the float32 eager path.

    .venv/bin/python bench/embed_alternatives.py [--force]

On such a CPU ``embed.precision: auto`` runs float32 eager (bf16 would be emulated).
Two ways to make float32 work cheaper are measured here with all-MiniLM-L6-v2,
each against the eager float32 encoder of the same process on the same texts
(the second of two passes; cache off):

``int8_dynamic``
    ``torch.ao.quantization.quantize_dynamic`` of every ``nn.Linear`` to qint8
    (weights int8, activations quantised per batch), on the first 600 BBC
    articles cut to 1,500 characters (so most fill the 256-token window);
``fused_fp32``
    the traced, frozen TorchScript graph with oneDNN fusion (embed/fused.py's
    ``build``), in float32, on 400 passages of five BBC sentences.

Scored: the speed ratio (eager seconds / variant seconds) and the least and mean
cosine to the eager vectors. Writes ``reports/bench/embed_alternatives.json``
under ``cpus[<cpu kind>]`` (the key of bench/embed.py), merged.
"""
from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED, machine, per_cpu_results, save_results  # noqa: E402

OUT = "embed_alternatives.json"
BBC = SHARED / "benchmarks" / "bbc_news" / "bbc_news.csv"


def _l2(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _timed(enc, texts: list[str]) -> tuple[float, np.ndarray]:
    enc.encode(texts[:64])  # warm-up: first shapes, allocations
    t = time.perf_counter()
    v = enc.encode(texts)
    return time.perf_counter() - t, v


def compare(name: str, base, variant, texts: list[str]) -> dict:
    tb, a = _timed(base, texts)
    tv, b = _timed(variant, texts)
    cos = np.sum(_l2(a) * _l2(b), axis=1)
    r = {"texts": len(texts), "eager_fp32_seconds": round(tb, 2), f"{name}_seconds": round(tv, 2),
         "speed_ratio_vs_eager_fp32": round(tb / tv, 3), "min_cosine": round(float(cos.min()), 5),
         "mean_cosine": round(float(cos.mean()), 5), "load_1min": round(os.getloadavg()[0], 2)}
    print(f"{name}: {r}", flush=True)
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args()
    import torch

    from topicstance.embed.encoder import Embedder
    from topicstance.embed.fused import build, eager

    got = per_cpu_results(OUT, a.force)
    if got is None:
        return 0
    res, key, info = got
    cpus = res["cpus"]
    df = pd.read_csv(BBC)
    articles = [t[:1500] for t in df["text"].astype(str).tolist()[:600]]
    sents = " ".join(df["text"].astype(str).tolist()[:400]).split(". ")
    passages = [". ".join(sents[i:i + 5]) for i in range(0, 2000, 5)][:400]
    e = Embedder(model="all-MiniLM-L6-v2", precision="float32", cache_dir="off")
    tok, model = e._transformer()
    mode = e.layout.pooling
    base = eager(tok, model, mode)
    q = torch.ao.quantization.quantize_dynamic(copy.deepcopy(model), {torch.nn.Linear}, dtype=torch.qint8)
    runs = {"int8_dynamic": compare("int8_dynamic", base, eager(tok, q, mode), articles)}
    fused = build(tok, model, mode)
    if fused is not None:
        runs["fused_fp32"] = compare("fused_fp32", base, fused, passages)
    cpus[key] = {"machine": {**machine(), **info, "torch": torch.__version__, "threads": torch.get_num_threads()},
                 "runs": runs, "command": "python bench/embed_alternatives.py --force"}
    res["done"] = True
    save_results(OUT, res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
