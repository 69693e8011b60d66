"""This tree's `topicstance embed` against an earlier commit's, on the same chunks, same machine.

What a change to the encoder bought, measured the fair way: whole `topicstance embed`
processes, cold (empty embedding cache and user cache each time), alternating the
earlier commit's source (``git archive REF src``, run with ``PYTHONPATH`` pointing at
it, in the same virtual environment) and this tree's, ``--rounds`` times; each side
keeps its fastest round, every round's time is stored. The vectors of the two are
compared row for row (least cosine).

    python bench/embed_vs_ref.py --ref c15ecd8 [--model all-MiniLM-L6-v2] [--set sample1200] [--rounds 2]

Results: reports/bench/embed_vs_ref.json, one entry per CPU kind x ref x model x set.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, cpu_info, cpu_key, load_results, machine, save_results  # noqa: E402
from embed import SETS, embed_cold, prepare  # noqa: E402

OUT = "embed_vs_ref.json"


def export_src(ref: str, dest: Path) -> str:
    """``src/`` of commit ``ref`` unpacked under ``dest``; returns the full commit hash."""
    full = subprocess.run(["git", "rev-parse", ref], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    tar = subprocess.run(["git", "archive", full, "src"], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        t.extractall(dest, filter="data")
    return full


def one(td: Path, tag: str, r: int, chunks: Path, model: str, src: Path | None) -> dict:
    env = {"PYTHONPATH": str(src) + os.pathsep + os.environ.get("PYTHONPATH", "")} if src is not None else None
    x = embed_cold(td / f"{tag}{r}", chunks, td / "params.yaml", model, env)
    rep = x["rep"]
    return {"whole_process_seconds": round(x["t"], 2), "encode_seconds": round(rep["encode_seconds"], 2),
            "parity_seconds": rep.get("parity_seconds"), "bf16_kernel": rep.get("bf16_kernel"),
            "precision": rep["precision"], "peak_rss_mb": x["rss"], "vectors": str(x["vectors"])}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ref", required=True, help="the earlier commit (any git revision)")
    ap.add_argument("--model", default="all-MiniLM-L6-v2")
    ap.add_argument("--set", default="sample1200", choices=sorted(SETS))
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    info = cpu_info()
    with tempfile.TemporaryDirectory() as td:
        td = Path(td)
        full = export_src(a.ref, td / "ref")
        chunks = prepare(td, a.model, SETS[a.set])
        load0 = os.getloadavg()[0]
        runs = {"ref": [], "this": []}
        for r in range(a.rounds):
            runs["ref"].append(one(td, "ref", r, chunks, a.model, td / "ref" / "src"))
            runs["this"].append(one(td, "this", r, chunks, a.model, None))
        load1 = os.getloadavg()[0]
        best = {k: min(v, key=lambda x: x["whole_process_seconds"]) for k, v in runs.items()}
        va, vb = np.load(best["ref"]["vectors"]), np.load(best["this"]["vectors"])
        cos = np.sum(va * vb, axis=1)
    for v in runs.values():
        for x in v:
            x.pop("vectors")
    res = load_results(OUT)
    entry = res.setdefault("cpus", {}).setdefault(cpu_key(info), {})
    entry["machine"] = {**machine(), **info}
    entry.setdefault("runs", {})[f"{full[:7]}/{a.model}/{a.set}"] = {
        "ref": full, "chunks": int(len(va)), "rounds": runs,
        "loadavg_1min_before_after": [round(load0, 2), round(load1, 2)],
        "best_whole_process_seconds": {k: v["whole_process_seconds"] for k, v in best.items()},
        "speedup_whole_process": round(best["ref"]["whole_process_seconds"] / best["this"]["whole_process_seconds"], 3),
        "speedup_encode": round(min(x["encode_seconds"] for x in runs["ref"])
                                / min(x["encode_seconds"] for x in runs["this"]), 3),
        "min_cosine_this_vs_ref": round(float(cos.min()), 5),
        "command": f"python bench/embed_vs_ref.py --ref {a.ref} --model {a.model} --set {a.set} --rounds {a.rounds}"}
    res["done"] = True
    print(json.dumps(entry["runs"], indent=1)[-1500:])
    print(f"wrote {save_results(OUT, res)}")


if __name__ == "__main__":
    main()
