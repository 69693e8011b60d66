"""Process settings, applied where they are needed and never on ``import topicstance``.

* :func:`command_defaults`: the ``topicstance`` command's own process. Nothing is
  fetched from a hub unless the user said otherwise (``HF_HUB_OFFLINE=1``,
  ``TRANSFORMERS_OFFLINE``, ``HF_DATASETS_OFFLINE`` default to it), telemetry
  is off, tokenizers do not warn about forks, and, unless ``--verbose``, the
  third-party libraries stay quiet (no "Loading weights" progress bar, errors
  only). A notebook importing the package keeps its own settings; the package
  itself still never downloads a model (every load passes
  ``local_files_only=True``).
* :func:`ensure_numba_cache`: called just before umap is imported; points
  ``NUMBA_CACHE_DIR`` at the project's git-ignored ``.cache/numba`` (else
  ``~/.cache/topicstance/numba``) only when the user has not set it, so UMAP's
  and pynndescent's JIT code is compiled once and reused across processes.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path


def cache_root() -> Path:
    """``.cache`` of the project the working directory is in, else ``~/.cache/topicstance``."""
    here = Path.cwd()
    for d in (here, *here.parents):
        if (d / "dvc.yaml").exists() and (d / "pyproject.toml").exists():
            return d / ".cache"
    return Path.home() / ".cache" / "topicstance"


def ensure_numba_cache() -> str:
    """Set ``NUMBA_CACHE_DIR`` when unset (see the module doc); return the folder numba will use."""
    return os.environ.setdefault("NUMBA_CACHE_DIR", str(cache_root() / "numba"))


COMMAND_SETTINGS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "TOKENIZERS_PARALLELISM",
                    "DISABLE_TELEMETRY", "HF_HUB_DISABLE_TELEMETRY", "HF_HUB_DISABLE_PROGRESS_BARS",
                    "TRANSFORMERS_VERBOSITY", "TRANSFORMERS_NO_ADVISORY_WARNINGS")


def command_defaults(verbose: bool = False) -> None:
    """Defaults for the ``topicstance`` command's process (see the module doc); the user's own
    environment variables always win."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", os.environ["HF_HUB_OFFLINE"])
    os.environ.setdefault("HF_DATASETS_OFFLINE", os.environ["HF_HUB_OFFLINE"])
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    if not verbose:
        # read by huggingface_hub and transformers when they are imported, later in this process
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


@contextmanager
def command_environment(verbose: bool = False):
    """:func:`command_defaults` for the duration of one command; the variables it set are removed
    after, so ``topicstance.cli.main`` called from Python leaves the caller's environment as it was."""
    before = {k: os.environ.get(k) for k in COMMAND_SETTINGS}
    command_defaults(verbose)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
