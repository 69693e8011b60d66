"""The model directory: plain data only, nothing executed on load.

::

    MODEL_DIR/
      config.json          method, parameters, classes, targets, target masking table, versions, file hashes
      head_<name>_coef.npy, head_<name>_intercept.npy    one linear head per component
      ngrams.json, ngrams_idf_word.npy, ngrams_idf_char.npy   tf-idf vocabulary + idf (if used)
      train_units.json     unit ids of the training texts (leakage checks, suggestions)
      body/                fine-tuned sentence-transformer, model.safetensors (setfit only)

Arrays load with ``allow_pickle=False``. A file whose sha256 differs from the
one recorded is refused (:class:`ModelFileError`); a model written by another
topicstance version loads with a warning; an unknown format version is refused.

This module only does I/O: :func:`save_state` writes what
``StanceClassifier.get_state()`` returns and :func:`load_state` reads it back
for ``StanceClassifier.from_state()``; it does not import the classifier.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import ModelFileError
from ..io import atomic_path, dumps_json, recognise_layout, sha256_file, writes
FORMAT = "topicstance-stance-model"
FORMAT_VERSION = 1


def _save_npy(d: Path, name: str, arr: np.ndarray) -> None:
    with open(d / name, "wb") as fh:
        np.save(fh, np.ascontiguousarray(arr), allow_pickle=False)


@writes("stance train")
def save_state(state: dict, path: str | Path) -> Path:
    """Write a classifier's :meth:`~.classifier.StanceClassifier.get_state` as a model directory
    (replaced atomically): ``NAME.npy`` per array, ``NAME.json`` per document, the SetFit body in
    ``body/``, and ``config.json`` with the format, the versions and the sha256 of every file."""
    path = Path(path)
    with atomic_path(path, is_dir=True) as tmp:
        tmp.mkdir(parents=True, exist_ok=True)
        for name, arr in state["arrays"].items():
            _save_npy(tmp, f"{name}.npy", arr)
        for name, doc in state["json"].items():
            (tmp / f"{name}.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        body = state.get("body")
        if body is not None:
            if hasattr(body, "save"):
                body.save(str(tmp / "body"))
            else:  # a loaded model saved again: copy its body folder
                import shutil

                shutil.copytree(body, tmp / "body")
            for junk in ("README.md",):
                (tmp / "body" / junk).unlink(missing_ok=True)
        files = {p.relative_to(tmp).as_posix(): sha256_file(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
        config = {"format": FORMAT, "format_version": FORMAT_VERSION, "topicstance_version": __version__,
                  **state["config"], "files": files}
        (tmp / "config.json").write_text(dumps_json(config), encoding="utf-8")
    return path


def save_model(clf, path: str | Path) -> Path:
    """``clf.save(path)``: write any object with ``get_state()``."""
    return save_state(clf.get_state(), path)


def read_config(path: str | Path) -> dict:
    d = Path(path)
    cfg_path = d / "config.json"
    if not d.is_dir():
        raise ModelFileError(f"{d}: not a model directory (train one with `topicstance stance train`)")
    if not cfg_path.exists():
        raise ModelFileError(f"{d}: not a stance model directory (no config.json)")
    try:
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{cfg_path}: not valid JSON ({exc.msg})") from None
    if cfg.get("format") != FORMAT:
        raise ModelFileError(f"{cfg_path}: not a topicstance stance model (format {cfg.get('format')!r})")
    if cfg.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{cfg_path}: model format version {cfg.get('format_version')} is not supported by "
                             f"topicstance {__version__} (reads version {FORMAT_VERSION}); retrain the model")
    return cfg


def _saved_layout(d: Path, names: list[str]) -> bool:
    """A model folder written before output markers existed: config.json and the files it lists."""
    try:
        cfg = json.loads((d / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    listed = {"config.json", *(f.split("/")[0] for f in cfg.get("files", {}))}
    return cfg.get("format") == FORMAT and set(names) <= listed


recognise_layout("stance train", _saved_layout)


def _load_npy(d: Path, name: str) -> np.ndarray:
    try:
        return np.load(d / name, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{d / name}: unreadable array ({exc})") from None


def load_state(path: str | Path) -> dict:
    """Read a model directory back into :meth:`~.classifier.StanceClassifier.from_state`'s data,
    after checking its format and every file's sha256 (a model from another topicstance version
    loads with a warning)."""
    d = Path(path)
    cfg = read_config(d)
    for rel, sha in cfg.get("files", {}).items():
        f = d / rel
        if not f.exists():
            raise ModelFileError(f"{d}: missing model file {rel}")
        if sha256_file(f) != sha:
            raise ModelFileError(f"{f}: changed since the model was saved (sha256 differs); retrain the model")
    if cfg.get("topicstance_version") != __version__:
        warnings.warn(f"{d}: model saved by topicstance {cfg.get('topicstance_version')}, loading with "
                      f"{__version__}; retrain if predictions look wrong", UserWarning, stacklevel=3)
    listed = [rel for rel in cfg.get("files", {}) if "/" not in rel]
    arrays = {rel[:-4]: _load_npy(d, rel) for rel in listed if rel.endswith(".npy")}
    docs = {rel[:-5]: json.loads((d / rel).read_text(encoding="utf-8")) for rel in listed
            if rel.endswith(".json") and rel != "config.json"}
    if not listed:  # written before file lists: the known names
        arrays = {f.name[:-4]: _load_npy(d, f.name) for f in sorted(d.glob("*.npy"))}
        docs = {f.name[:-5]: json.loads(f.read_text(encoding="utf-8")) for f in sorted(d.glob("*.json"))
                if f.name != "config.json"}
    body = (d / "body") if (d / "body" / "model.safetensors").exists() else None
    config = {k: v for k, v in cfg.items() if k not in ("format", "format_version", "topicstance_version", "files")}
    return {"path": str(d), "config": config, "arrays": arrays, "json": docs, "body": body}
