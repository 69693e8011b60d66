"""Helpers shared by the benchmarks: machine info, timing subprocesses, resumable JSON results."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
BENCH_DIR = ROOT / "reports" / "bench"


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import psutil

    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "date": date.today().isoformat()}


def machine_detail() -> dict:
    """:func:`machine` plus the CPU flags that decide the embedding kernels, torch and its threads,
    and the load average now (the machine is shared: timings under load are unreliable)."""
    flags = ""
    try:
        flags = Path("/proc/cpuinfo").read_text().split("flags", 1)[1].split("\n", 1)[0]
    except (OSError, IndexError):
        pass
    try:
        import torch

        tv, threads = torch.__version__, torch.get_num_threads()
    except Exception:  # noqa: BLE001
        tv, threads = None, None
    return {**machine(), "flags": {f: f in flags.split() for f in ("avx512_bf16", "amx_bf16", "amx_tile")},
            "torch": tv, "torch_threads": threads, "load_average": [round(x, 2) for x in os.getloadavg()]}


def timed_run(cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> tuple[float, str, str, int]:
    """Run a command, return (wall seconds, stdout, stderr, peak RSS MB of that child alone).

    The child is reaped with ``os.wait4``, whose resource usage is the child's own (the
    ``RUSAGE_CHILDREN`` maximum would be the largest of every child so far)."""
    import tempfile

    e = dict(os.environ)
    e.update(env or {})
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, env=e, cwd=cwd or ROOT, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(p.pid, 0)
        dt = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if p.returncode != 0:
        sys.stderr.write(stderr[-3000:])
        raise SystemExit(f"command failed ({p.returncode}): {' '.join(cmd)}")
    return dt, stdout, stderr, usage.ru_maxrss // 1024


def finished(path: Path, force: bool) -> bool:
    """True, after saying so, when ``path`` holds a finished result and ``--force`` was not given
    (a file with ``"done": false`` is a partial run and does not count)."""
    if force or not path.exists() or not json.loads(path.read_text()).get("done", True):
        return False
    print(f"{path} exists; use --force to re-run")
    return True


def skip_unless_forced(path: Path, argv=None) -> bool:
    """For a bench whose only option is ``--force``: parse it and return :func:`finished`."""
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--force", action="store_true", help="re-run although the result file exists")
    return finished(path, ap.parse_args(argv).force)


def run_child(script: str, args: list[str]) -> dict:
    """Run ``python SCRIPT ARGS`` in a fresh process (numba cache in the project unless set) and
    return the JSON object it prints on its last line."""
    env = {**os.environ, "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))}
    p = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, env=env, cwd=ROOT)
    if p.returncode != 0:
        sys.stderr.write(p.stderr[-4000:])
        raise SystemExit(f"worker {script} {args} failed ({p.returncode})")
    return json.loads(p.stdout.strip().splitlines()[-1])


def load_results(name: str) -> dict:
    p = BENCH_DIR / name
    return json.loads(p.read_text()) if p.exists() else {}


def save_results(name: str, obj: dict) -> Path:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    p = BENCH_DIR / name
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj, indent=2) + "\n")
    os.replace(tmp, p)
    return p


MATMUL_PROBE = r"""
import json, sys, torch
import re
m = re.search(r"(?:oneDNN|MKL-DNN) v([0-9.]+)", torch.__config__.show())
out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "onednn": m.group(1) if m else None}
import time
def rate(dt, m, k, n, reps=20):
    a = torch.randn(m, k, dtype=dt); b = torch.randn(k, n, dtype=dt)
    for _ in range(3): a @ b
    t = time.perf_counter()
    for _ in range(reps): a @ b
    return 2 * m * k * n / ((time.perf_counter() - t) / reps) / 1e9
from topicstance.embed.model import cpu_supports_bf16  # the test `embed.precision: auto` makes
native = cpu_supports_bf16()
out["native_bf16"] = native
# without native bfloat16 units the bf16 product is emulated, orders of magnitude slower: a small shape, 2 reps
bm, breps = (4096, 20) if native else (256, 2)
for h in (384, 768):
    out[f"gflops_bf16_ffn_{h}"] = round((rate(torch.bfloat16, bm, h, 4 * h, breps) + rate(torch.bfloat16, bm, 4 * h, h, breps)) / 2, 1)
    out[f"gflops_fp32_ffn_{h}"] = round((rate(torch.float32, 4096, h, 4 * h) + rate(torch.float32, 4096, 4 * h, h)) / 2, 1)
print(json.dumps(out))
"""


def matmul_probe() -> dict:
    """torch, its threads, the oneDNN version and the GFLOP/s of bf16 and fp32 matrix products at
    MiniLM's and mpnet's FFN shapes, in a fresh process. Hosts of one CPU kind differ (the Xeon kind
    has run at 2,400 and at 570 bf16 GFLOP/s on different days), so every speed figure keeps this."""
    p = subprocess.run([sys.executable, "-c", MATMUL_PROBE], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(p.stdout.strip().splitlines()[-1])


def cpu_info() -> dict:
    out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    fields = {k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in out.splitlines())}
    flags = Path("/proc/cpuinfo").read_text().split("flags", 2)[1].split("\n", 1)[0].split()
    keep = ("avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_tile", "amx_int8")
    return {"lscpu_model_name": fields.get("Model name", ""), "cpu_family": fields.get("CPU family", ""),
            "cpu_model": fields.get("Model", ""), "flags": {f: f in flags for f in keep}}


def cpu_key(info: dict) -> str:
    """``<lscpu model name> (family F, model M) | <bf16 units>``. Under a hypervisor the model name is
    often only "AMD EPYC" or "Intel(R) Xeon(R) Processor", so the family and model numbers (the
    microarchitecture) are part of the key: two hosts that print the same name can differ in their
    bf16 units' speed (bench/embed.py's matmul probe). Entries stored before the numbers were
    recorded keep their old keys and are never written over by a run of the new kind."""
    f = info["flags"]
    kind = "amx" if f["amx_bf16"] else ("avx512_bf16" if f["avx512_bf16"] else "no-bf16")
    arch = f" (family {info['cpu_family']}, model {info['cpu_model']})" if info.get("cpu_family") else ""
    return f"{info['lscpu_model_name']}{arch} | {kind}"


def per_cpu_results(name: str, force: bool) -> tuple[dict, str, dict] | None:
    """A results file kept per CPU kind (``cpus[<cpu_key>]``): the results, this CPU's key and info,
    or None (after saying so) when this CPU kind is measured already and ``force`` is off."""
    info = cpu_info()
    key = cpu_key(info)
    res = load_results(name) or {}
    if key in res.setdefault("cpus", {}) and not force:
        print(f"{key} already measured; --force re-runs it")
        return None
    return res, key, info
