"""Process-wide defaults applied on import, before any heavy library loads.

* ``HF_HUB_OFFLINE=1`` unless the user set it: nothing is fetched from a hub.
* ``NUMBA_CACHE_DIR`` points at a git-ignored project folder so UMAP and
  pynndescent JIT code is compiled once and reused across processes.
* ``TOKENIZERS_PARALLELISM=false`` silences fork warnings from tokenizers.
"""
from __future__ import annotations

import os
from pathlib import Path


def _default_numba_cache() -> str:
    here = Path.cwd()
    for d in (here, *here.parents):
        if (d / "dvc.yaml").exists() and (d / "pyproject.toml").exists():
            return str(d / ".cache" / "numba")
    return str(Path.home() / ".cache" / "topicstance" / "numba")


def apply_defaults() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", os.environ["HF_HUB_OFFLINE"])
    os.environ.setdefault("HF_DATASETS_OFFLINE", os.environ["HF_HUB_OFFLINE"])
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("NUMBA_CACHE_DIR", _default_numba_cache())
    os.environ.setdefault("DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
