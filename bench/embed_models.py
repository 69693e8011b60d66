"""The two packaged models side by side: all-MiniLM-L6-v2 and all-mpnet-base-v2.

For each model the first BBC News articles (../shared/benchmarks/bbc_news/bbc_news.csv)
go through `topicstance ingest` and `topicstance chunk` (default params, so
128-token chunks in that model's own tokens), and the first ``--n`` chunks through
`topicstance embed` in a fresh process per precision (float32, bfloat16, auto),
with the embedding cache off (``TOPICSTANCE_CACHE=off``). Chunks per second are
``n / encode_seconds`` from the embed report (model loading and start-up apart;
``wall_seconds`` is the whole process). ``parity_min_cosine`` is the least cosine
between a chunk's bfloat16 and float32 vectors over all ``n`` chunks. Each run
also records the 1-minute load average before and after it and the process's CPU
seconds: on a shared machine a load above the 2 cores means the speeds are low.

all-mpnet-base-v2 is also timed for its first use (joining and extracting the
five parts into an empty cache, hashing as it writes) and for a verification
without the hash memo (every file hashed) and with it (the usual run).

    python bench/embed_models.py [--n 1000] [--precisions float32,bfloat16,auto] [--force]

Writes reports/bench/embed_models.json (resumable: a finished run is kept unless --force).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, SHARED, load_results, machine, save_results, timed_run  # noqa: E402

OUT = "embed_models.json"
MODELS = ("all-MiniLM-L6-v2", "all-mpnet-base-v2")
PRECISIONS = ("float32", "bfloat16", "auto")

FIRST_USE = """
import json, shutil, time
from topicstance.embed import packaged
from topicstance.embed.packaged import MPNET
t = time.perf_counter(); folder = MPNET.path(); first = time.perf_counter() - t
shutil.rmtree(packaged.user_cache() / "sha256")  # this run's own memo, in its own temporary cache
t = time.perf_counter(); MPNET.path(); cold = time.perf_counter() - t
t = time.perf_counter(); MPNET.path(); warm = time.perf_counter() - t
size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
print(json.dumps({"first_use_seconds": round(first, 2), "verify_cold_seconds": round(cold, 3),
                  "verify_memo_seconds": round(warm, 5), "folder_bytes": size}))
"""


def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cpu_flags() -> dict:
    out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name")), "")
    flags = Path("/proc/cpuinfo").read_text().split("flags", 2)[1].split("\n", 1)[0].split()
    return {"lscpu_model_name": model,
            **{f: f in flags for f in ("avx512f", "avx512_bf16", "amx_bf16", "amx_tile", "amx_int8")}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000, help="chunks per model")
    ap.add_argument("--precisions", default=",".join(PRECISIONS))
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args()
    res = {} if a.force else load_results(OUT)
    runs = res.get("runs", {})
    ts = [sys.executable, "-m", "topicstance.cli"]
    env = {"TOPICSTANCE_CACHE": "off"}
    with tempfile.TemporaryDirectory() as td:
        td = Path(td)
        if "mpnet_first_use" not in res:
            r = subprocess.run([sys.executable, "-c", FIRST_USE], capture_output=True, text=True, cwd=ROOT,
                               env={**os.environ, "XDG_CACHE_HOME": str(td / "xdg")}, check=True)
            res["mpnet_first_use"] = json.loads(r.stdout.strip().splitlines()[-1])
            print(json.dumps(res["mpnet_first_use"]), flush=True)
        import pandas as pd

        df = pd.read_csv(SHARED / "benchmarks" / "bbc_news" / "bbc_news.csv").head(400)
        df[["id", "title", "text"]].to_csv(td / "bbc.csv", index=False)
        none = td / "none.yaml"
        timed_run(ts + ["ingest", str(td / "bbc.csv"), "--out", str(td / "d"), "--params", str(none)])
        for model in MODELS:
            import pyarrow.parquet as pq

            mdir = td / model
            mdir.mkdir()
            params = mdir / "params.yaml"
            params.write_text(f"embed:\n  model: {model}\n")
            timed_run(ts + ["chunk", str(td / "d" / "articles.parquet"), "--out", str(mdir / "all.parquet"),
                            "--params", str(params)])
            table = pq.read_table(mdir / "all.parquet")
            assert table.num_rows >= a.n, f"{model}: only {table.num_rows} chunks"
            pq.write_table(table.slice(0, a.n), mdir / "chunks.parquet")  # keeps the chunker record
            for prec in a.precisions.split(","):
                key = f"{model}/{prec}"
                if key in runs:
                    print(f"{key}: done (use --force to re-run)")
                    continue
                p = mdir / f"{prec}.yaml"
                p.write_text(f"embed:\n  model: {model}\n  precision: {prec}\n")
                load_before, cpu_before = os.getloadavg()[0], _children_cpu()
                wall, _, _, rss = timed_run(ts + ["embed", str(mdir / "chunks.parquet"), "--out", str(mdir / prec),
                                                  "--report", str(mdir / f"{prec}.json"), "--params", str(p)], env=env)
                cpu = _children_cpu() - cpu_before
                rep = json.loads((mdir / f"{prec}.json").read_text())
                assert rep["misses"] == rep["n_unique"], rep
                runs[key] = {"model": model, "precision_param": prec, "precision_used": rep["precision"],
                             "bf16_kernel": rep.get("bf16_kernel"), "n_chunks": rep["n_texts"],
                             "n_unique": rep["n_unique"], "wall_seconds": round(wall, 2),
                             "load_seconds": round(rep["load_seconds"], 2),
                             "encode_seconds": round(rep["encode_seconds"], 2),
                             "chunks_per_second_encode": round(rep["n_unique"] / rep["encode_seconds"], 1),
                             "auto_parity_min_cosine": rep.get("parity_min_cosine"),
                             "precision_reason": rep.get("precision_reason"), "peak_rss_mb": rss,
                             "cpu_seconds": round(cpu, 1), "loadavg_1min_before_after": [round(load_before, 2),
                                                                                        round(os.getloadavg()[0], 2)],
                             "mean_tokens": round(float(table.slice(0, a.n).column("n_tokens").to_numpy().mean()), 1)}
                print(json.dumps(runs[key]), flush=True)
                save_results(OUT, {**res, "runs": runs, "done": False})
            if all((mdir / p / "vectors.npy").exists() for p in ("float32", "bfloat16")):
                f32 = np.load(mdir / "float32" / "vectors.npy")
                b16 = np.load(mdir / "bfloat16" / "vectors.npy")
                res.setdefault("parity", {})[model] = {
                    "min_cosine_bf16_vs_fp32": round(float(np.min(np.sum(f32 * b16, axis=1))), 6),
                    "mean_cosine_bf16_vs_fp32": round(float(np.mean(np.sum(f32 * b16, axis=1))), 6),
                    "n_chunks": int(f32.shape[0])}
    out = {**res, "done": True, "machine": {**machine(), **cpu_flags()},
           "command": "python bench/embed_models.py " + " ".join(sys.argv[1:]),
           "texts": f"the first {a.n} chunks (default chunk params, each model's own tokenizer) of the first 400 "
                    "BBC News articles; `topicstance embed` in a fresh process per run, TOPICSTANCE_CACHE=off",
           "runs": runs}
    save_results(OUT, out)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
