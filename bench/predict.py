"""Load time and predict throughput of the saved models (issue: predictions).

* load: in a fresh process (after one warm-up process, so files are in the OS
  cache: a *warm* load), time `import topicstance` + the imports `load` needs,
  the manifest verification, and the model reads, separately;
* throughput: 1,000 seed-like texts (the seed corpus's paragraphs, cycled, each
  prefixed with a number so no two are equal) with the embedding cache off.

Writes reports/bench/predict.json. Usage: python bench/predict.py [--models models] [--n 1000]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH_DIR, ROOT, finished, machine, save_results  # noqa: E402

LOAD_CODE = r"""
import json, sys, time
t0 = time.perf_counter()
import topicstance
t_pkg = time.perf_counter() - t0
m = topicstance.load(sys.argv[1])
total = time.perf_counter() - t0
print(json.dumps({"import_topicstance": t_pkg, **m.times.as_dict(), "total": total}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=str(ROOT / "models"))
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--force", action="store_true", help="re-run although reports/bench/predict.json exists")
    args = ap.parse_args()
    if finished(BENCH_DIR / "predict.json", args.force):
        return
    runs = []
    for i in range(4):  # the first is the warm-up
        r = subprocess.run([sys.executable, "-c", LOAD_CODE, args.models], capture_output=True, text=True, check=True)
        runs.append(json.loads(r.stdout.strip().splitlines()[-1]))
    warm = runs[1:]
    import pandas as pd

    import topicstance

    paras = pd.read_parquet(ROOT / "data" / "paragraphs.parquet")
    paras = paras[paras["fate"] == "kept"]["text"].tolist()
    texts = [f"({i}) {paras[i % len(paras)]}" for i in range(args.n)]
    m = topicstance.load(args.models, cache_dir=None)
    m.predict(texts[:5])  # model load and first-call costs are not throughput
    t0 = time.perf_counter()
    recs = m.predict(texts)
    dt = time.perf_counter() - t0
    out = {
        "machine": machine(),
        "command": "python bench/predict.py",
        "load_warm_seconds": {k: round(sorted(r[k] for r in warm)[len(warm) // 2], 3) for k in warm[0]},
        "load_runs": warm,
        "target_warm_load_seconds_at_most": 5.0,
        "throughput": {"texts": len(texts), "chunks": int(sum(r["n_chunks"] for r in recs)),
                       "seconds": round(dt, 2), "texts_per_second": round(len(texts) / dt, 1),
                       "embedding_cache": "off", "precision": m.embedder().stats.precision},
    }
    print(json.dumps(out, indent=2))
    save_results("predict.json", out)


if __name__ == "__main__":
    main()
