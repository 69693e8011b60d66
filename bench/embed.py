"""Embedding speed against plain sentence-transformers, per CPU kind and per model.

For each model (all-MiniLM-L6-v2, all-mpnet-base-v2) and each data set (all BBC
News articles, about 11.7k chunks; a 1,200-article sample drawn with seed 7, about
6.6k chunks; ``sample300``, 300 articles with seed 7, for the larger model whose float32
baseline alone takes most of an hour on the full set here), in one run on one machine:

1. the BBC table goes through `topicstance ingest` and `chunk` (default params;
   chunk budgets in that model's own tokens);
2. **whole process, cold**: `topicstance embed` in a fresh process with an empty
   embedding cache and an empty user cache (so the weight hash memo is cold too; the
   assembled all-mpnet-base-v2 folder is linked in, as it is after its first use,
   whose time bench/embed_models.py reports), against `bench/plain_st_encode.py`
   (SentenceTransformer.encode, float32, batch 32) on the same chunks in a fresh
   process; both times include imports; with ``--rounds N`` the two alternate N times, each
   round cold, and each side keeps its fastest round (every round's time is stored);
3. **the split**: each side reports its start-up (process start to the first line
   of the command, i.e. imports), model load, and encode; ours adds the trace, the
   precision parity check, tokenising, the forward pass and the cache writes;
4. **encode alone**: tokenise + forward + pool with model load excluded, measured
   the same way on both sides (ours: the encode loop of `Embedder`, cache writes
   excluded; plain: the `encode()` call);
5. **parity**: the lowest cosine between the two sets of vectors over all chunks;
6. the **bf16 matmul bound**: bfloat16 and float32 matmul GFLOP/s at the model's
   FFN shape (4096 x hidden x 4*hidden) on this machine, and the fraction of the bf16
   figure that encode reaches (model FLOPs counted on the real, unpadded tokens); on a CPU
   with no bf16 units (``native_bf16`` false) bf16 is emulated, timed on a small shape only,
   ``auto`` runs float32, and the fraction is of the fp32 rate (``matmul_bound_kind``);
7. which oneDNN kernels run, from ``ONEDNN_VERBOSE=1`` on 64 chunks.

Results go to reports/bench/embed.json under ``cpus[<cpu kind>]``: a run on another
CPU kind is merged beside it, never over it. Ratios are meant to be compared only
within one entry (one run on one machine).

    python bench/embed.py [--models all-MiniLM-L6-v2,all-mpnet-base-v2] [--sets full,sample1200] [--rounds N] [--force]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED, cpu_info, cpu_key, load_results, machine, matmul_probe, save_results, timed_run  # noqa: E402

OUT = "embed.json"
MODELS = ("all-MiniLM-L6-v2", "all-mpnet-base-v2")
SETS = {"full": None, "sample1200": 1200, "sample300": 300}
NEW_ARTICLE = (
    "Ministers have unveiled plans for a national network of charging points for electric cars, promising that "
    "no driver will be more than twenty miles from a fast charger by the end of the decade. The scheme, which "
    "will be part-funded by energy companies, was welcomed by motoring groups but criticised by environmental "
    "campaigners, who said it did too little to get people out of cars altogether.")

VERBOSE = r"""
import sys, pandas as pd
from topicstance.embed.encoder import Embedder
texts = pd.read_parquet(sys.argv[1])["text"].tolist()[:64]
Embedder(model=sys.argv[2], precision="auto", cache_dir=None, show_progress=False).encode(texts)
"""


def model_dims(name: str) -> dict:
    from topicstance.embed.model import resolve_model_path

    cfg = json.loads((resolve_model_path(name) / "config.json").read_text())
    return {"layers": cfg["num_hidden_layers"], "hidden": cfg["hidden_size"], "ffn": cfg["intermediate_size"]}


def model_gflop(chunks: pd.DataFrame, dims: dict) -> float:
    """Forward FLOPs on the real tokens: the linear layers, plus the attention products."""
    L, H, F = dims["layers"], dims["hidden"], dims["ffn"]
    t = chunks["n_tokens"].to_numpy(dtype=np.float64)
    linear = 2 * L * (4 * H * H + 2 * H * F) * t.sum()
    attn = 4 * L * H * (t ** 2).sum()
    return float(linear + attn) / 1e9


def onednn_kernels(chunks_path: Path, model: str, env: dict) -> dict:
    e = {**os.environ, **env, "ONEDNN_VERBOSE": "1"}
    p = subprocess.run([sys.executable, "-c", VERBOSE, str(chunks_path), model], capture_output=True, text=True, env=e)
    counts: dict[str, int] = {}
    for line in p.stdout.splitlines():
        if line.startswith("onednn_verbose") and ",exec," in line:
            parts = line.split(",")
            # onednn_verbose,[timestamp,]exec,cpu,<primitive>,<implementation>,...
            i = parts.index("exec")
            key = f"{parts[i + 2]}:{parts[i + 3]}"
            counts[key] = counts.get(key, 0) + 1
    top = dict(sorted(counts.items(), key=lambda kv: -kv[1])[:12])
    return {"exec_counts_top": top, "any_amx": any("amx" in k for k in counts),
            "any_avx512_bf16": any(re.search(r"bf16", k) for k in counts)}


def prepare(td: Path, model: str, n_sample: int | None) -> Path:
    df = pd.read_csv(SHARED / "benchmarks" / "bbc_news" / "bbc_news.csv")
    if n_sample:
        df = df.sample(n_sample, random_state=7)
    df["text"] = df["title"].astype(str) + ". " + df["text"].astype(str)
    df[["id", "text", "category"]].to_csv(td / "bbc.csv", index=False)
    (td / "params.yaml").write_text(f"embed:\n  model: {model}\n")
    ts = [sys.executable, "-m", "topicstance.cli"]
    timed_run(ts + ["ingest", str(td / "bbc.csv"), "--out", str(td / "d"), "--params", str(td / "params.yaml")])
    timed_run(ts + ["chunk", str(td / "d" / "articles.parquet"), "--out", str(td / "d" / "chunks.parquet"),
                    "--params", str(td / "params.yaml")])
    return td / "d" / "chunks.parquet"


def cold_user_cache(td: Path, model: str) -> Path:
    """An empty user cache; the assembled mpnet folder (a model install, not a cache of work) linked in."""
    from topicstance.embed.model import resolve_model_path

    xdg = td / "xdg"
    (xdg / "topicstance" / "models").mkdir(parents=True)
    src = resolve_model_path(model)
    if src.parent.name == "models" and src.parent.parent.name == "topicstance":
        (xdg / "topicstance" / "models" / src.name).symlink_to(src)
    return xdg


def ours_encode_alone(rep: dict) -> float:
    """Encode alone covers every chunk: the rows the parity check encoded (and the encode reused)
    count with the parity check's time for them."""
    if not rep.get("rows_from_parity_check"):
        return rep["encode_seconds"]
    return rep["encode_seconds"] + (rep.get(f"parity_{rep['precision']}_seconds") or 0.0)


def embed_cold(rd: Path, chunks_path: Path, params: Path, model: str, env: dict | None = None) -> dict:
    """One `topicstance embed` in a fresh process with an empty embedding cache and user cache under
    ``rd``: its wall time, embed report, peak RSS, vectors file and the environment it ran in."""
    xdg = cold_user_cache(rd, model)
    env = {**(env or {}), "TOPICSTANCE_CACHE": str(rd / "cache"), "XDG_CACHE_HOME": str(xdg)}
    t, _, _, rss = timed_run([sys.executable, "-m", "topicstance.cli", "embed", str(chunks_path), "--out",
                              str(rd / "emb"), "--report", str(rd / "rep.json"), "--params", str(params)], env=env)
    return {"t": t, "rep": json.loads((rd / "rep.json").read_text()), "rss": rss,
            "vectors": rd / "emb" / "vectors.npy", "env": env}


def run_one(model: str, set_name: str, probe: dict, rounds: int = 1) -> dict:
    """``rounds`` rounds of (ours, plain), each cold and in a fresh process, alternating so a drift
    in the machine's speed reaches both sides; each side keeps its fastest round."""
    from topicstance.embed.model import resolve_model_path

    with tempfile.TemporaryDirectory() as td:
        td = Path(td)
        chunks_path = prepare(td, model, SETS[set_name])
        chunks = pd.read_parquet(chunks_path)
        n = len(chunks)
        load0 = os.getloadavg()[0]
        ours_runs, plain_runs = [], []
        for r in range(rounds):
            rd = td / f"round{r}"
            ours_runs.append(embed_cold(rd, chunks_path, td / "params.yaml", model))
            t, out, _, rss = timed_run(
                [sys.executable, str(Path(__file__).parent / "plain_st_encode.py"), str(chunks_path),
                 str(rd / "plain.npy"), str(resolve_model_path(model))])
            plain_runs.append({"t": t, "plain": json.loads(out.strip().splitlines()[-1]), "rss": rss,
                               "vectors": rd / "plain.npy"})
        load1 = os.getloadavg()[0]
        best_o = min(ours_runs, key=lambda x: x["t"])
        best_p = min(plain_runs, key=lambda x: x["t"])
        rep, t_ours, rss_ours, env = best_o["rep"], best_o["t"], best_o["rss"], best_o["env"]
        plain, t_plain, rss_plain = best_p["plain"], best_p["t"], best_p["rss"]
        encode_alone = min(ours_encode_alone(x["rep"]) for x in ours_runs)
        plain_encode = min(x["plain"]["encode_seconds"] for x in plain_runs)
        ours_v = np.load(best_o["vectors"])
        plain_v = np.load(best_p["vectors"])
        cos = np.sum(ours_v * plain_v, axis=1)
        dims = model_dims(model)
        gflop = model_gflop(chunks, dims)
        # the bound of the path `auto` takes: bf16 matmul where the CPU has native bf16, else fp32
        bound_kind = "bf16" if probe.get("native_bf16", True) else "fp32"
        bound = probe[f"gflops_{bound_kind}_ffn_{dims['hidden']}"]
        res = {
            "articles": int(chunks["article_id"].nunique()), "chunks": n,
            "mean_tokens_per_chunk": round(float(chunks["n_tokens"].mean()), 1),
            "loadavg_1min_before_after": [round(load0, 2), round(load1, 2)],
            "rounds": rounds,
            "whole_process_seconds_each_round": {"ours": [round(x["t"], 2) for x in ours_runs],
                                                 "plain": [round(x["t"], 2) for x in plain_runs]},
            "encode_alone_seconds_each_round": {
                "ours": [round(ours_encode_alone(x["rep"]), 2) for x in ours_runs],
                "plain": [x["plain"]["encode_seconds"] for x in plain_runs]},
            "topicstance_embed": {
                "whole_process_seconds": round(t_ours, 2),
                "startup_seconds": rep.get("startup_seconds"),
                "model_load_seconds": round(rep["load_seconds"], 2),
                "trace_seconds": rep.get("trace_seconds"),
                "parity_check_seconds": rep.get("parity_seconds"),
                "encode_seconds": round(rep["encode_seconds"], 2),
                "rows_from_parity_check": rep.get("rows_from_parity_check", 0),
                "encode_alone_seconds": round(encode_alone, 2),
                "tokenize_seconds": rep.get(f"tokenize_seconds_{rep['precision']}"),
                "forward_seconds": rep.get(f"forward_seconds_{rep['precision']}"),
                "cache_write_seconds": rep.get("cache_write_seconds"),
                "write_seconds": rep.get("write_seconds"),
                "precision": rep["precision"], "bf16_kernel": rep.get("bf16_kernel"),
                "chunks_per_second_encode": round(n / encode_alone, 1),
                "peak_rss_mb": rss_ours},
            "plain_sentence_transformers_fp32_b32": {
                "whole_process_seconds": round(t_plain, 2), **plain,
                "chunks_per_second_encode": round(n / plain_encode, 1), "peak_rss_mb": rss_plain},
            "speedup_whole_process": round(t_plain / t_ours, 3),
            "speedup_encode_alone": round(plain_encode / encode_alone, 3),
            "min_cosine_vs_fp32": round(float(cos.min()), 5),
            "mean_cosine_vs_fp32": round(float(cos.mean()), 6),
            "model_gflop_real_tokens": round(gflop, 1),
            "encode_gflops": round(gflop / encode_alone, 1),
            "fraction_of_bf16_matmul_bound": round(gflop / encode_alone / bound, 3),
            "matmul_bound_kind": bound_kind,
            "matmul_bound_gflops": bound,
            "plain_fraction_of_fp32_matmul_bound": round(
                gflop / plain_encode / probe[f"gflops_fp32_ffn_{dims['hidden']}"], 3),
        }
        if set_name == "full":
            res["onednn"] = onednn_kernels(chunks_path, model, env={"TOPICSTANCE_CACHE": "off"})
            if model == MODELS[0]:
                res["incremental"] = incremental(td, env)  # the fastest round's now-warm cache
    return res


def incremental(td: Path, env: dict) -> dict:
    """One new article, re-chunked and re-embedded with the now-warm cache: only its chunks are encoded."""
    ts = [sys.executable, "-m", "topicstance.cli"]
    df = pd.read_csv(td / "bbc.csv")
    df = pd.concat([df, pd.DataFrame({"id": ["new-1"], "text": [NEW_ARTICLE], "category": ["new"]})])
    df.to_csv(td / "bbc2.csv", index=False)
    timed_run(ts + ["ingest", str(td / "bbc2.csv"), "--out", str(td / "d2"), "--params", str(td / "params.yaml")])
    timed_run(ts + ["chunk", str(td / "d2" / "articles.parquet"), "--out", str(td / "d2" / "chunks.parquet"),
                    "--params", str(td / "params.yaml")])
    new = int((pd.read_parquet(td / "d2" / "chunks.parquet")["article_id"] == "new-1").sum())
    t, _, _, _ = timed_run(ts + ["embed", str(td / "d2" / "chunks.parquet"), "--out", str(td / "emb2"), "--report",
                                 str(td / "rep2.json"), "--params", str(td / "params.yaml")], env=env)
    rep = json.loads((td / "rep2.json").read_text())
    return {"new_chunks": new, "chunks_encoded": rep["misses"], "cache_hits": rep["hits"],
            "whole_process_seconds": round(t, 2), "encoded_equals_new": rep["misses"] == new}


def table(res: dict) -> str:
    """The README table: one row per CPU kind x model x data set."""
    rows = ["| CPU (lscpu; bf16 units) | model, data (kernel; rounds) | chunks | ours whole s: start-up + load + trace + parity + encode (tokenise) + write | plain fp32 whole s (encode) | whole-process ratio | encode-alone ratio | min cosine | share of the matmul bound (bf16; fp32 where the CPU has no bf16 units) | load before/after |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for key, e in res.get("cpus", {}).items():
        for name, r in e.get("runs", {}).items():
            o, p = r["topicstance_embed"], r["plain_sentence_transformers_fp32_b32"]
            def cell(v):  # no trace and no parity check on a CPU without bf16 units: float32 from the start
                return "–" if v is None else v

            split = (f"{o['whole_process_seconds']:.1f}: {o['startup_seconds']} + {o['model_load_seconds']} + "
                     f"{cell(o['trace_seconds'])} + {cell(o['parity_check_seconds'])} + {o['encode_seconds']} "
                     f"({o['tokenize_seconds']}) + {o['write_seconds']}")
            kernel = o.get("bf16_kernel") if o.get("precision") == "bfloat16" else "float32"
            rounds = f", best of {r['rounds']}" if r.get("rounds", 1) > 1 else ""
            rows.append(f"| {key.replace(' | ', ', ')} | {name} ({kernel}{rounds}) | {r['chunks']:,} | {split} | {p['whole_process_seconds']:.1f} "
                        f"({p['encode_seconds']}) | **{r['speedup_whole_process']:.2f}×** | "
                        f"**{r['speedup_encode_alone']:.2f}×** | {r['min_cosine_vs_fp32']} | "
                        f"{r['fraction_of_bf16_matmul_bound']:.2f} ({r.get('matmul_bound_kind', 'bf16')}) | "
                        f"{r['loadavg_1min_before_after']} |")
    return "\n".join(rows) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--table", action="store_true", help="print the README table of the stored results")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--force", action="store_true", help="re-run entries already measured on this CPU kind")
    ap.add_argument("--rounds", type=int, default=1,
                    help="rounds of (ours, plain), alternating; each side keeps its fastest (default 1)")
    a = ap.parse_args()
    if a.table:
        print(table(load_results(OUT)), end="")
        return
    info = cpu_info()
    key = cpu_key(info)
    res = load_results(OUT)
    if "cpus" not in res:  # an older single-machine file: keep it as its own entry, never lose it
        res = {"cpus": {"legacy (before the per-CPU layout)": res} if res else {}}
    entry = res["cpus"].setdefault(key, {})
    probe = matmul_probe()
    entry["machine"] = {**machine(), **info, **{k: probe[k] for k in ("torch", "threads", "onednn")}}
    entry["matmul_gflops"] = {k: v for k, v in probe.items() if k.startswith("gflops")}
    entry["command"] = f"python bench/embed.py --models {a.models} --sets {a.sets} --rounds {a.rounds} --force"
    runs = entry.setdefault("runs", {})
    for model in a.models.split(","):
        for s in a.sets.split(","):
            name = f"{model}/{s}"
            if name in runs and not a.force:
                print(f"{name} on {key} already measured; --force re-runs it")
                continue
            t0 = time.perf_counter()
            runs[name] = run_one(model, s, probe, a.rounds)
            runs[name]["command"] = entry["command"]  # the entry's command is the latest invocation's
            print(f"{name}: {json.dumps(runs[name])[:400]} ({time.perf_counter() - t0:.0f} s)", flush=True)
            res["done"] = True
            save_results(OUT, res)
    res["targets"] = {"speedup_whole_process_at_least": 3.5, "speedup_encode_alone_at_least": 4.0,
                      "min_cosine_at_least": 0.995}
    res["done"] = True
    print(f"wrote {save_results(OUT, res)}")


if __name__ == "__main__":
    main()
