"""`dvc repro` on the seeds: cold and warm, with each stage's time, and an incremental re-run.

Works in a fresh `git clone` of this repository (HEAD) in a temporary folder,
with `../shared` linked beside it, using this checkout's `.venv`.

* cold: empty numba cache (NUMBA_CACHE_DIR) and empty embedding cache
  (TOPICSTANCE_CACHE), nothing built: every stage runs, one `dvc repro -s STAGE`
  at a time in pipeline order, each timed (DVC's own start-up included).
* warm: `dvc repro -f -s STAGE` again per stage, with the caches the cold run
  filled (compiled numba code, stored embeddings).
* no-op: a plain `dvc repro` afterwards (nothing changed: nothing runs).
* incremental: one new article file added to seeds/corpus, then `dvc repro`;
  the embed report must show chunks encoded == the new article's chunks.

    python bench/dvc_repro.py [--force]

Writes reports/bench/dvc_repro.json. Targets (issue 8): warm <= 60 s, cold <= 180 s.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, SHARED, load_results, machine, save_results  # noqa: E402

OUT = "dvc_repro.json"
NEW_ARTICLE = ("Kyiv, 20 March 2023. Ukrainian officials said on Monday that repairs to the damaged power "
               "grid in the east would take several weeks, as engineers worked through the night to restore "
               "electricity to hospitals and water pumping stations. The energy minister thanked foreign "
               "partners for sending transformers and generators, and said the country had enough reserves "
               "to get through the rest of the cold season if there were no new large-scale strikes.\n")


def stages(proj: Path) -> list[str]:
    import yaml

    return list(yaml.safe_load((proj / "dvc.yaml").read_text())["stages"])


def run(cmd, proj: Path, env: dict) -> float:
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=proj, env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.stderr.write(r.stdout[-2000:] + r.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args()
    if load_results(OUT).get("done") and not a.force:
        print(f"reports/bench/{OUT} exists; use --force to re-run")
        return
    venv_bin = ROOT / ".venv" / "bin"
    with tempfile.TemporaryDirectory() as td:
        td = Path(td)
        os.symlink(SHARED, td / "shared")
        proj = td / "project"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(proj)], check=True)
        env = dict(os.environ, PATH=f"{venv_bin}:{os.environ['PATH']}", NUMBA_CACHE_DIR=str(td / "numba"),
                   TOPICSTANCE_CACHE=str(td / "emb"))
        dvc = [str(venv_bin / "dvc")]
        names = stages(proj)
        cold = {s: round(run(dvc + ["repro", "-s", s], proj, env), 2) for s in names}
        print("cold", cold, flush=True)
        warm = {s: round(run(dvc + ["repro", "-f", "-s", s], proj, env), 2) for s in names}
        print("warm", warm, flush=True)
        noop = round(run(dvc + ["repro"], proj, env), 2)
        (proj / "seeds" / "corpus" / "zz_bench_new_article.txt").write_text(NEW_ARTICLE, encoding="utf-8")
        inc = round(run(dvc + ["repro"], proj, env), 2)
        emb = json.loads((proj / "reports" / "embed.json").read_text())
        import pandas as pd

        ch = pd.read_parquet(proj / "data" / "chunks.parquet")
        arts = pd.read_parquet(proj / "data" / "articles.parquet")
        new_ids = set(arts.loc[arts["source"] == "zz_bench_new_article.txt", "article_id"])
        new_chunks = int(ch["article_id"].isin(new_ids).sum())
        shutil.rmtree(proj / ".dvc" / "cache", ignore_errors=True)
    out = {
        "done": True, "machine": machine(), "command": "python bench/dvc_repro.py --force",
        "method": "fresh git clone; one `dvc repro -s STAGE` per stage in order (DVC start-up included in each); "
                  "cold = empty numba and embedding caches; warm = `dvc repro -f -s STAGE` with those caches filled",
        "cold_seconds": {**cold, "total": round(sum(cold.values()), 2)},
        "warm_seconds": {**warm, "total": round(sum(warm.values()), 2)},
        "noop_repro_seconds": noop,
        "incremental": {"repro_seconds": inc, "new_chunks": new_chunks, "chunks_encoded": emb.get("misses"),
                        "encode_seconds": emb.get("encode_seconds"),
                        "encoded_equals_new": emb.get("misses") == new_chunks},
        "targets": {"cold_total_le_180": sum(cold.values()) <= 180, "warm_total_le_60": sum(warm.values()) <= 60},
    }
    save_results(OUT, out)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
