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
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import ModelFileError
from ..io import atomic_path, dumps_json, recognise_layout, sha256_file, writes
from . import CLASSES

FORMAT = "topicstance-stance-model"
FORMAT_VERSION = 1


def _save_npy(d: Path, name: str, arr: np.ndarray) -> None:
    with open(d / name, "wb") as fh:
        np.save(fh, np.ascontiguousarray(arr), allow_pickle=False)


@writes("stance train")
def save_model(clf, path: str | Path) -> Path:
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(clf, "heads_")
    path = Path(path)
    with atomic_path(path, is_dir=True) as tmp:
        tmp.mkdir(parents=True, exist_ok=True)
        heads = {}
        for name, h in clf.heads_.items():
            _save_npy(tmp, f"head_{name}_coef.npy", h.coef_)
            _save_npy(tmp, f"head_{name}_intercept.npy", h.intercept_)
            heads[name] = {"C": h.C, "class_weight": h.class_weight, "classes_present": h.classes_present_}
        if getattr(clf, "ngrams_", None) is not None and clf._needs("ngrams"):
            meta, arrays = clf.ngrams_.state()
            (tmp / "ngrams.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            for k, a in arrays.items():
                _save_npy(tmp, f"ngrams_{k}.npy", a)
        (tmp / "train_units.json").write_text(json.dumps(clf.train_units_), encoding="utf-8")
        if clf._needs("tuned"):
            if getattr(clf, "body_", None) is not None:
                clf.body_.save(str(tmp / "body"))
            else:  # a loaded model saved again: copy its body folder
                import shutil

                shutil.copytree(clf.body_path_, tmp / "body")
            for junk in ("README.md",):
                (tmp / "body" / junk).unlink(missing_ok=True)
        files = {p.relative_to(tmp).as_posix(): sha256_file(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
        config = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "topicstance_version": __version__,
            "params": clf.get_params(),
            "classes": list(CLASSES), "targets": clf.targets_.names_,
            "n_train": clf.n_train_, "train_counts": clf.train_counts_,
            "components": list(clf.components), "heads": heads,
            "embedding": ({"model": clf.model, "weights_sha256": clf.embedding_sha256_, "dimension": clf.embedding_dim_}
                          if clf._needs("frozen") else None),
            "masking": (clf.masker_.table_ if getattr(clf, "masker_", None) is not None else None),
            "fit_seconds": round(float(getattr(clf, "fit_seconds_", 0.0)), 3),
            "files": files,
        }
        config["params"].pop("verbose", None)
        (tmp / "config.json").write_text(dumps_json(config), encoding="utf-8")
    return path


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


def load_model(path: str | Path, *, cache_dir=..., precision: str | None = None, verbose: bool = False):
    from ..embed.model import read_model_info
    from .classifier import StanceClassifier
    from .head import LinearHead
    from .ngrams import NgramFeatures
    from .targets import TargetBlocks

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
    params = dict(cfg["params"])
    params.setdefault("mask_targets", False)  # saved before target masking existed: it was trained without
    params.setdefault("aliases", None)
    if cache_dir is not ...:
        params["cache_dir"] = cache_dir
    if precision is not None:
        params["precision"] = precision
    clf = StanceClassifier(**params, verbose=verbose)
    clf.classes_ = tuple(cfg["classes"])
    if clf.classes_ != CLASSES:
        raise ModelFileError(f"{d}: classes {clf.classes_} differ from {CLASSES}")
    tb = TargetBlocks().fit(cfg["targets"])
    clf.targets_ = tb
    clf.masker_ = None
    if clf.mask_targets:
        from .mask import TargetMasker

        clf.masker_ = (TargetMasker.from_table(cfg["masking"]) if cfg.get("masking")
                       else TargetMasker(clf.aliases).fit(cfg["targets"]))
    clf.n_train_ = cfg["n_train"]
    clf.train_counts_ = cfg["train_counts"]
    clf.train_units_ = json.loads((d / "train_units.json").read_text(encoding="utf-8"))
    clf.body_ = None
    if (d / "ngrams.json").exists():
        meta = json.loads((d / "ngrams.json").read_text(encoding="utf-8"))
        arrays = {f"idf_{k}": _load_npy(d, f"ngrams_idf_{k}.npy") for k in meta["blocks"]}
        clf.ngrams_ = NgramFeatures.from_state(meta, arrays)
    if cfg.get("embedding"):
        e = cfg["embedding"]
        info = read_model_info(clf.model)
        if info.weights_sha256 != e["weights_sha256"]:
            raise ModelFileError(f"{d}: trained on embeddings of {e['model']} with weights sha256 "
                                 f"{e['weights_sha256'][:12]}..., but {clf.model!r} now resolves to weights "
                                 f"{info.weights_sha256[:12]}...; retrain the model")
        clf.embedding_dim_ = int(e["dimension"])
        clf.embedding_sha256_ = e["weights_sha256"]
    if "setfit" in cfg["components"]:
        if not (d / "body" / "model.safetensors").exists():
            raise ModelFileError(f"{d}: setfit model without body/model.safetensors")
        clf.body_path_ = (d / "body").resolve()
    heads = {}
    for name, h in cfg["heads"].items():
        head = LinearHead(C=h["C"], class_weight=h["class_weight"])
        head.coef_ = _load_npy(d, f"head_{name}_coef.npy")
        head.intercept_ = _load_npy(d, f"head_{name}_intercept.npy")
        head.classes_present_ = h["classes_present"]
        heads[name] = head
    clf.heads_ = heads
    clf.fit_seconds_ = cfg.get("fit_seconds", 0.0)
    return clf
