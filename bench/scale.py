"""Scale benchmark: 100k and 1M synthetic chunks made of real sentences, through the product's topics path.

    .venv/bin/python bench/scale.py [--only 100k,1m,sample_vs_full] [--sizes 100000,1000000] [--force]
    # a small trial: --sizes 20000,60000 --svf-sample 2000

Texts. The real sentence pool of ``bench/scale_pool.py`` (BBC News, the
SemEval-2016 tweets, the Kremlin and President of Ukraine press releases, the
propaganda diary, the seed pages: ~108k distinct sentences of 25-400
characters, ~9k documents). A synthetic chunk is 3 to 6 sentences (uniform):
it picks a seed document (probability proportional to its sentence count) and
takes each sentence, with probability 1/2, from the seed document and else
from one of the seed's 10 nearest documents (cosine of the documents' unit mean
sentence vectors), uniformly within that document. The texts therefore keep
the pool's real vocabulary, which the corpus covers more of as it grows
(``corpus.json``: distinct sentences used and word types at each size), and
their topics are as mixed as neighbouring real documents are: no cluster
structure is planted.

Embeddings. Every pool sentence is embedded once (all-MiniLM-L6-v2, the
pipeline's encoder, timed in ``pool.json``). A chunk's vector is the
normalised mean of its sentences' vectors: a cheap stand-in for encoding
1M chunks (which would take ~1.6 h here at the measured 177 chunks/s). It
keeps each chunk on the sentence-level geometry of real text, though a mean of
sentence vectors is smoother than the encoding of the joined text.

Product path. Each configuration runs ``topicstance run TABLE --out DIR
--embeddings EMB`` (ingest, one chunk per row, the embeddings adopted, the
topics stage with project defaults: ``topics.fit_max_n`` 100,000 fits every
chunk at 100k and a 100k sample of whole articles at 1M) in a fresh child
process, reading its per-step seconds from ``DIR/reports/run.json`` and its peak
RSS per step from the kernel's high-water mark (``VmHWM``, reset after each
step). Budgets (ingest + chunk + topics): 100k under 5 min and 6 GB, 1M under
20 min and 8 GB.

Quality. ``sample_vs_full``: the 100k corpus again with ``topics.fit_max_n``
10,000 (fit on a 10% sample, as 1M fits 10%), ARI of its chunk topics against
the 100k full fit's, over all chunks and over chunks that neither run calls an
outlier.

Results: reports/bench/scale.json (each configuration saved as it finishes; a
finished one is skipped unless ``--force``). The machine is shared: the load
average before and after each run is recorded with the CPU model and flags.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, load_results, machine_detail, run_child, save_results  # noqa: E402
from scale_pool import POOL, build as build_pool  # noqa: E402

RESULTS = "scale.json"
CACHE = ROOT / ".cache" / "bench" / "scale"
NEIGHBOURS, MIN_SENT, MAX_SENT, OWN_SHARE = 10, 3, 6, 0.5
WORD = re.compile(r"(?u)\b(?!\d+\b)\w\w+\b")


def label(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k"


# ------------------------------------------------------------------ corpus
def build_corpus(n: int, seed: int = 0) -> dict:
    """Write ``CACHE/corpora/<n>/table.parquet`` (id, text) and ``emb/`` (embeddings format)."""
    from topicstance.embed.store import write_embeddings  # noqa: F401  (the format written below)
    from topicstance.io import dumps_json
    from topicstance.topics.groups import group_sums
    from topicstance.topics.knn import exact_knn, unit_rows

    d = CACHE / "corpora" / str(n)
    if (d / "corpus.json").exists():
        return json.loads((d / "corpus.json").read_text())
    build_pool()
    t0 = time.perf_counter()
    sents = pd.read_parquet(POOL / "sentences.parquet")
    V = np.load(POOL / "vectors.npy", mmap_mode="r")
    doc_codes, docs = pd.factorize(sents["doc"])  # sentences of a document are contiguous
    n_docs = len(docs)
    start = np.searchsorted(doc_codes, np.arange(n_docs))
    length = np.bincount(doc_codes, minlength=n_docs)
    D = unit_rows(group_sums(V, doc_codes, n_docs))
    idx, _ = exact_knn(D, NEIGHBOURS + 1)
    nbrs = idx[:, 1:NEIGHBOURS + 1]
    rng = np.random.default_rng(seed)
    p = length / length.sum()
    texts_pool = sents["sentence"].to_numpy(dtype=object)
    d.mkdir(parents=True, exist_ok=True)
    emb = d / "emb"
    emb.mkdir(exist_ok=True)
    out = np.lib.format.open_memmap(emb / "vectors.npy", mode="w+", dtype=np.float32, shape=(n, V.shape[1]))
    ids = [f"s{i:07d}" for i in range(n)]
    texts: list[str] = []
    used = np.zeros(len(sents), dtype=bool)
    B = 20_000
    for s in range(0, n, B):
        b = min(B, n - s)
        seed_doc = rng.choice(n_docs, size=b, p=p)
        m = rng.integers(MIN_SENT, MAX_SENT + 1, size=b)
        S = np.empty((b, MAX_SENT), dtype=np.int64)
        for j in range(MAX_SENT):
            own = rng.random(b) < OWN_SHARE
            src = np.where(own, seed_doc, nbrs[seed_doc, rng.integers(0, NEIGHBOURS, size=b)])
            S[:, j] = start[src] + np.floor(rng.random(b) * length[src]).astype(np.int64)
        mask = np.arange(MAX_SENT)[None, :] < m[:, None]
        used[S[mask]] = True
        vec = (np.asarray(V[S.ravel()], dtype=np.float32).reshape(b, MAX_SENT, -1) * mask[:, :, None]).sum(axis=1)
        out[s:s + b] = unit_rows(vec)
        texts.extend(" ".join(texts_pool[S[i, :m[i]]]) for i in range(b))
    out.flush()
    del out
    pd.DataFrame({"chunk_id": ids}).to_parquet(emb / "chunk_ids.parquet", index=False)
    (emb / "meta.json").write_text(dumps_json({"model": "all-MiniLM-L6-v2", "dimension": int(V.shape[1]),
                                               "method": "unit mean of the chunk's sentence vectors"}))
    pd.DataFrame({"id": ids, "text": texts}).to_parquet(d / "table.parquet", index=False)
    word_types = set()
    for t in texts_pool[used]:
        word_types.update(w.lower() for w in WORD.findall(t))
    info = {"n_chunks": n, "seed": seed, "sentences_per_chunk": [MIN_SENT, MAX_SENT],
            "neighbour_documents": NEIGHBOURS, "own_document_share": OWN_SHARE,
            "distinct_sentences_used": int(used.sum()), "pool_sentences": int(len(sents)),
            "word_types_used": len(word_types), "mean_chars": round(float(np.mean([len(t) for t in texts])), 1),
            "build_seconds": round(time.perf_counter() - t0, 1)}
    (d / "corpus.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


# ------------------------------------------------------------------ worker: one product run
def _hwm_mb() -> float:
    m = re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text())
    return int(m.group(1)) / 1024


def worker(n: int, fit_max_n: int, out: Path) -> dict:
    """``topicstance run`` on the corpus of ``n`` chunks, in this process; per-step peak RSS."""
    import logging

    from topicstance.params import load_params
    from topicstance.pipeline import run_pipeline

    d = CACHE / "corpora" / str(n)
    out.parent.mkdir(parents=True, exist_ok=True)
    pfile = out.parent / f"{out.name}.params.yaml"
    pfile.write_text(f"topics:\n  fit_max_n: {fit_max_n}\n  overrides: {out.name}-no-overrides.yaml\n")
    params = load_params(pfile)
    peaks: dict[str, float] = {}

    def log(msg: str):
        m = re.match(r"run: (\w+) done", msg)
        if m:
            peaks[m.group(1)] = round(_hwm_mb())
            try:
                Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
            except OSError:
                pass
        print(msg, file=sys.stderr, flush=True)

    class _StepPeaks(logging.Handler):  # the pipeline reports "run: STEP done in ..." on its logger
        def emit(self, record):
            log(record.getMessage())

    lg = logging.getLogger("topicstance")
    lg.setLevel(logging.INFO)
    lg.addHandler(_StepPeaks())
    Path("/proc/self/clear_refs").write_text("5")
    import_peak = round(_hwm_mb())
    summary = run_pipeline(d / "table.parquet", out, params, embeddings=d / "emb")
    metrics = json.loads((out / "reports" / "topics_metrics.json").read_text())
    return {"n_chunks": n, "fit_max_n": fit_max_n, "seconds": summary["seconds"],
            "topics_seconds": summary["topics_seconds"], "peak_rss_mb_per_step": peaks,
            # the budget covers ingest, chunk (and the adopted embeddings) and topics; run also reports and packages
            "peak_rss_mb": max([import_peak, *(v for k, v in peaks.items() if k in ("ingest", "chunk", "embed",
                                                                                   "topics"))]),
            "n_topics": metrics["n_topics"],
            "fit_sample_n": metrics["fit_sample_n"], "outlier_share": metrics["outlier_share"],
            "outlier_share_raw": metrics["outlier_share_raw"], "min_cluster_size": metrics["min_cluster_size"],
            "npmi_coherence": metrics["npmi_coherence"], "topic_diversity": metrics["topic_diversity"],
            "duplicates_dropped": summary["duplicates_dropped"],
            "example_labels": pd.read_csv(out / "reports" / "topics.csv")["label"].head(8).tolist()}


def ari_vs_full(full_dir: Path, sample_dir: Path) -> dict:
    from sklearn.metrics import adjusted_rand_score

    a = pd.read_parquet(full_dir / "data" / "topics.parquet")
    b = pd.read_parquet(sample_dir / "data" / "topics.parquet")
    assert (a["chunk_id"].to_numpy() == b["chunk_id"].to_numpy()).all()
    both = (a["topic"] >= 0) & (b["topic"] >= 0)
    return {"all_chunks": round(float(adjusted_rand_score(a["topic"], b["topic"])), 4),
            "chunks_neither_calls_outlier": round(float(adjusted_rand_score(a["topic"][both], b["topic"][both])), 4),
            "n_topics_full": int(a["topic"][a["topic"] >= 0].nunique()),
            "n_topics_sample": int(b["topic"][b["topic"] >= 0].nunique())}


BUDGET = {"100k": (300, 6144), "1m": (1200, 8192)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000", help="FIRST,SECOND: the 100k and 1m sizes")
    ap.add_argument("--only", default="100k,sample_vs_full,1m")
    ap.add_argument("--svf-sample", type=int, default=10_000, help="topics.fit_max_n of sample_vs_full")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        n, fmax, out = a.worker.split(":", 2)
        print(json.dumps(worker(int(n), int(fmax), Path(out))))
        return 0
    first, second = (int(s) for s in a.sizes.split(","))
    pool = build_pool()
    results = load_results(RESULTS)
    if results.get("generator") != "real-sentences/1":  # the Gaussian generator's results are kept apart
        old = {k: v for k, v in results.items() if k != "previous_generator"}
        results = {"generator": "real-sentences/1", "runs": {}, "corpora": {},
                   "previous_generator": {"generator": "Gaussian points around real vectors (replaced)", **old}
                   if old else None}
    results["pool"] = pool
    runs_dir = CACHE / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    plan = []
    for key in [k.strip() for k in a.only.split(",")]:
        if key == "100k":
            plan.append(("100k", first, first, runs_dir / f"full-{first}"))
        elif key == "1m":
            plan.append(("1m", second, 100_000, runs_dir / f"full-{second}"))
        elif key == "sample_vs_full":
            plan.append(("sample_vs_full", first, a.svf_sample, runs_dir / f"sample-{first}-{a.svf_sample}"))
        else:
            sys.exit(f"--only: unknown {key!r}")
    for key, n, fmax, out in plan:
        if key in results["runs"] and not a.force and results["runs"][key].get("n_chunks") == n:
            print(f"{key}: done; --force to re-run", file=sys.stderr)
            continue
        if not (CACHE / "corpora" / str(n) / "corpus.json").exists():
            print(f"{key}: building {n} chunks", file=sys.stderr, flush=True)
        results["corpora"][label(n)] = build_corpus(n)
        if out.exists():
            shutil.rmtree(out)  # this bench's own run folder
        before = machine_detail()
        t = time.perf_counter()
        res = run_child(__file__, ["--worker", f"{n}:{fmax}:{out}"])
        res["child_wall_seconds"] = round(time.perf_counter() - t, 1)
        s = res["seconds"]
        res["budget_seconds"] = round(s["ingest"] + s["chunk"] + s["topics"], 1)
        res["embeddings_adopt_seconds"] = s["embed"]
        if key in BUDGET:
            lim_s, lim_mb = BUDGET[key]
            res["budget"] = {"seconds_limit": lim_s, "rss_mb_limit": lim_mb,
                             "met": res["budget_seconds"] <= lim_s and res["peak_rss_mb"] <= lim_mb}
        if key == "sample_vs_full":  # the 100k run may still be running in another process: wait for it
            full = runs_dir / f"full-{first}"
            deadline = time.time() + 3600
            while not (full / "reports" / "run.json").exists() and time.time() < deadline:
                time.sleep(20)
            if not (full / "reports" / "run.json").exists():
                sys.exit("sample_vs_full needs the 100k run (--only 100k,sample_vs_full)")
            res["ari_sample_vs_full"] = ari_vs_full(full, out)
        res.update(machine=before, load_average_after=[round(x, 2) for x in os.getloadavg()],
                   date=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                   command=f"python bench/scale.py --sizes {a.sizes} --only {key}"
                           + (f" --svf-sample {a.svf_sample}" if key == "sample_vs_full" else ""))
        latest = load_results(RESULTS)  # another configuration may have finished meanwhile
        if latest.get("generator") == results["generator"]:
            results["runs"] = {**latest.get("runs", {}), key: res}
            results["corpora"] = {**latest.get("corpora", {}), **results["corpora"]}
        else:
            results["runs"][key] = res
        save_results(RESULTS, results)
        print(f"{key}: " + json.dumps({k: res.get(k) for k in ("seconds", "budget_seconds", "peak_rss_mb", "budget",
                                                               "ari_sample_vs_full")}), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
