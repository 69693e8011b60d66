"""`dvc repro` on the seeds: cold and warm, with each stage's time, and an incremental re-run.

Works in a fresh `git clone` of this repository (HEAD) in a temporary folder,
with `../shared` linked beside it, using this checkout's `.venv`.

* cold: `dvc repro` with an empty numba cache (NUMBA_CACHE_DIR) and an empty
  embedding cache (TOPICSTANCE_CACHE), nothing built: every stage runs.
* warm: `dvc repro -f` (every stage forced) with the caches the cold run filled
  (compiled numba code, stored embeddings).
* per stage: from DVC's "Running stage" line to the next, read as the output streams.
* no-op: a plain `dvc repro` afterwards (nothing changed: nothing runs).
* incremental: one new article file added to seeds/corpus, then `dvc repro`;
  the embed report must show chunks encoded == the new article's chunks.

    python bench/dvc_repro.py [--force]

Writes reports/bench/dvc_repro.json. Targets (issue 8): warm <= 60 s, cold <= 180 s.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH_DIR, ROOT, SHARED, machine, save_results, skip_unless_forced  # noqa: E402

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
    return run_stages(cmd, proj, env)[0]


def run_stages(cmd, proj: Path, env: dict) -> tuple[float, dict]:
    """Wall seconds of ``cmd`` and of each stage it ran: the time from DVC's "Running stage 'X'"
    line to the next stage's line (or the end), read from the output as it streams."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=proj, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    marks, tail = [], []
    for line in p.stdout:
        tail = (tail + [line])[-60:]
        m = re.match(r"Running stage '([^']+)'", line)
        if m:
            marks.append((m.group(1), time.perf_counter()))
    rc = p.wait()
    end = time.perf_counter()
    if rc != 0:
        sys.stderr.write("".join(tail))
        raise SystemExit(f"failed: {' '.join(cmd)}")
    stages = {name: round((marks[i + 1][1] if i + 1 < len(marks) else end) - t, 2)
              for i, (name, t) in enumerate(marks)}
    return end - t0, stages


def main() -> None:
    if skip_unless_forced(BENCH_DIR / OUT):
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
        cold_total, cold = run_stages(dvc + ["repro"], proj, env)
        print("cold", round(cold_total, 2), cold, flush=True)
        warm_total, warm = run_stages(dvc + ["repro", "-f"], proj, env)
        print("warm", round(warm_total, 2), warm, flush=True)
        missing = [s for s in names if s not in cold or s not in warm]
        if missing:
            raise SystemExit(f"stages not seen in DVC's output: {missing}")
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
        "method": "fresh git clone; cold = `dvc repro` with empty numba and embedding caches; warm = `dvc repro -f` "
                  "(every stage forced) with those caches filled; a stage's seconds run from DVC's \"Running stage\" "
                  "line to the next one (the last stage's include DVC's closing work); total = the whole command",
        "cold_seconds": {**cold, "total": round(cold_total, 2)},
        "warm_seconds": {**warm, "total": round(warm_total, 2)},
        "noop_repro_seconds": noop,
        "incremental": {"repro_seconds": inc, "new_chunks": new_chunks, "chunks_encoded": emb.get("misses"),
                        "encode_seconds": emb.get("encode_seconds"),
                        "encoded_equals_new": emb.get("misses") == new_chunks},
        "targets": {"cold_total_le_180": cold_total <= 180, "warm_total_le_60": warm_total <= 60},
    }
    save_results(OUT, out)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
