"""``models/manifest.json``: what a saved model is, and proof that its files are unchanged.

The manifest records the package version and model format, the embedding model
and its weights hash, the params, a hash of the training data, a metrics
summary, and the sha256 of every file under ``models/``. :func:`verify` checks
every file against it before anything is loaded: a changed, missing or
unexpected file is refused with an error that names it. A model written by
another package version loads with a warning; one in another *format* is
refused with the reason.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

from . import __version__
from .errors import ModelFileError
from .io import sha256_file, write_json

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class ModelVersionWarning(UserWarning):
    """The model was written by another topicstance version (same format)."""


def file_hashes(models_dir: Path) -> dict[str, str]:
    out = {}
    for f in sorted(models_dir.rglob("*")):
        if f.is_file() and f.name != MANIFEST and not f.name.startswith("."):
            out[f.relative_to(models_dir).as_posix()] = sha256_file(f)
    return out


def write_manifest(models_dir: str | Path, *, params: dict, embedding: dict, data_hashes: dict,
                   metrics: dict) -> dict:
    d = Path(models_dir)
    manifest = {
        "format_version": FORMAT_VERSION,
        "package": "topicstance",
        "package_version": __version__,
        "embedding_model": embedding,
        "params": params,
        "training_data": data_hashes,
        "metrics": metrics,
        "files": file_hashes(d),
    }
    write_json(d / MANIFEST, manifest)
    return manifest


def read_manifest(models_dir: str | Path) -> dict:
    d = Path(models_dir)
    p = d / MANIFEST
    if not d.is_dir():
        raise ModelFileError(f"{d}: models folder not found (run `dvc repro` or `make repro` first)")
    if not p.exists():
        raise ModelFileError(f"{p}: missing manifest; refusing to load an unverified model folder")
    try:
        m = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{p}: not valid JSON ({exc.__class__.__name__})") from None
    if not isinstance(m, dict) or "files" not in m:
        raise ModelFileError(f"{p}: not a topicstance manifest (no 'files')")
    return m


def verify(models_dir: str | Path) -> dict:
    """Check the version and every file hash; return the manifest."""
    d = Path(models_dir)
    m = read_manifest(d)
    fmt = m.get("format_version")
    if fmt != FORMAT_VERSION:
        raise ModelFileError(f"{d / MANIFEST}: model format {fmt!r} was written by topicstance "
                             f"{m.get('package_version')}; this is topicstance {__version__} (format "
                             f"{FORMAT_VERSION}). Rebuild the models with `dvc repro`.")
    if m.get("package_version") != __version__:
        warnings.warn(f"{d}: model written by topicstance {m.get('package_version')}, loading with "
                      f"{__version__} (same format {FORMAT_VERSION}); results may differ slightly",
                      ModelVersionWarning, stacklevel=3)
    expected: dict = m["files"]
    for rel, digest in sorted(expected.items()):
        f = d / rel
        if not f.is_file():
            raise ModelFileError(f"{f}: missing model file (listed in {MANIFEST})")
        if sha256_file(f) != digest:
            raise ModelFileError(f"{f}: model file changed since it was saved (sha256 differs from {MANIFEST})")
    extra = sorted(set(file_hashes(d)) - set(expected))
    if extra:
        raise ModelFileError(f"{d / extra[0]}: unexpected file in the models folder (not in {MANIFEST})")
    return m
