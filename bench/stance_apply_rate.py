#!/usr/bin/env python
"""Stance apply throughput of the pipeline's own stance model from chunk text, per CPU kind.

    .venv/bin/python bench/stance_apply_rate.py [--model models/stance] [--force]

Run ``dvc repro`` first. ``predict_stance`` (the one prediction path) on the 660
distinct labelled press-release chunks (sources kremlin and president_of_ukraine
of seeds/labels/stance.csv), toward both targets, with the embedding cache off
so every chunk is encoded; in a fresh process, the second of two passes (the
first also traces each padded shape). The same measurement as the apply column
of bench/stance_methods.py, for the committed default model, kept per CPU kind
(as reports/bench/embed.json) because the encoding, which is nearly all of it,
runs bfloat16 only where the CPU has native bf16 units.

Writes ``reports/bench/stance_apply_rate.json`` under ``cpus[<cpu kind>]``, merged, with the host's
bf16/fp32 matrix-product rates (``bench/_common.matmul_probe``); earlier runs on the same CPU kind move
to its ``history``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, machine, matmul_probe, per_cpu_results, save_results  # noqa: E402
from stance_methods import APPLY  # noqa: E402  the apply column's own measurement

OUT = "stance_apply_rate.json"
BUDGET = 50.0  # chunks per second, the stance-model issue's apply budget



def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(ROOT / "models" / "stance"))
    ap.add_argument("--labels", default=str(ROOT / "seeds" / "labels" / "stance.csv"))
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args()
    if not Path(a.model).is_dir():
        raise SystemExit(f"{a.model}: no stance model; run `dvc repro` first")
    got = per_cpu_results(OUT, a.force)
    if got is None:
        return 0
    res, key, info = got
    cpus = res["cpus"]
    load0 = os.getloadavg()[0]
    lab = pd.read_csv(a.labels, dtype=str, keep_default_na=False)
    texts = list(dict.fromkeys(lab.loc[lab["source"].isin(["kremlin", "president_of_ukraine"]), "text"]))
    with tempfile.TemporaryDirectory() as td:
        chunks = Path(td) / "chunks.txt"
        chunks.write_text("\n".join(t.replace("\n", " ") for t in texts))
        out = subprocess.run([sys.executable, "-c", APPLY.format(model=a.model, chunks=str(chunks))],
                             capture_output=True, text=True, env={**os.environ, "TOPICSTANCE_CACHE": "off"}, cwd=ROOT)
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-3000:])
        return 1
    r = json.loads(out.stdout.strip().splitlines()[-1])
    r["loadavg_1min_before_after"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
    r["budget_chunks_per_second"] = BUDGET
    r["budget_met"] = bool(r["chunks_per_second"] >= BUDGET)
    # hosts of one CPU kind differ in speed: the matrix-product probe says how fast this one was, and the
    # earlier runs on this kind are kept (newest last) instead of being replaced
    old = cpus.get(key)
    history = (old.get("history", []) + [{k: old[k] for k in ("machine", "result")}]) if old else []
    cpus[key] = {"machine": {**machine(), **info, "matmul": matmul_probe()}, "result": r,
                 "command": "python bench/stance_apply_rate.py --force", "history": history}
    res["done"] = True
    save_results(OUT, res)
    print(f"{key}: {r['chunks_per_second']} chunks/s (budget {BUDGET}: {'met' if r['budget_met'] else 'not met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
