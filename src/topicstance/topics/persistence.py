"""Save and load a topic model as a directory of data files (no pickle).

::

    model.json               format, params, topics (ids, labels, keywords, sizes,
                             representatives), hierarchy ids, id bookkeeping,
                             selection table, sha256 of every other file
    centroids.npy            (T, d) unit centroids of the final topics
    merges.npy               (T-1, 4) Ward merge tree (see hierarchy)
    reference_centroids.npy  (R, d) pre-override cluster centroids, for stable ids
    knn_vectors.npy          (n, d) float32 training chunk embeddings (the predictor's index)
    knn_labels.npy           (n,) training chunks' ``topic``
    chunks.parquet           chunk_id, article_id, position, topic_raw, topic, probability

Arrays load with ``allow_pickle=False`` and every file's hash is checked, so
loading never executes anything from the directory. Imports neither umap nor
hdbscan.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ModelFileError
from ..io import atomic_path, dumps_json, read_json, recognise_layout, sha256_file, writes
from . import hierarchy
from .outliers import OUTLIER
from .predictor import KnnPredictor

FORMAT = "topicstance.topics/1"
ARRAYS = ("centroids.npy", "merges.npy", "reference_centroids.npy", "knn_vectors.npy", "knn_labels.npy")
OUTLIER_LABEL = "outliers"


@writes("topics fit")
def save_model(model, out_dir: str | Path, *, chunk_ids: list[str], article_ids: list[str] | None = None,
               positions=None, embedding_meta: dict | None = None, extra: dict | None = None) -> Path:
    """Write a fitted :class:`TopicModel` to ``out_dir`` (replaced atomically): the files of its
    :meth:`~topicstance.topics.model.TopicModel.get_state`, and their hashes in ``model.json``."""
    out_dir = Path(out_dir)
    state = model.get_state(chunk_ids, article_ids=article_ids, positions=positions,
                            embedding_meta=embedding_meta, extra=extra)
    with atomic_path(out_dir, is_dir=True) as tmp:
        tmp.mkdir(parents=True, exist_ok=True)
        for name, arr in state["arrays"].items():
            np.save(tmp / f"{name}.npy", arr, allow_pickle=False)
        state["chunks"].to_parquet(tmp / "chunks.parquet", index=False)
        meta = {"format": FORMAT, **state["meta"]}
        meta["files"] = {name: sha256_file(tmp / name) for name in (*ARRAYS, "chunks.parquet")}
        (tmp / "model.json").write_text(dumps_json(meta), encoding="utf-8")
    return out_dir


def _saved_layout(d: Path, names: list[str]) -> bool:
    """A model folder written before output markers existed: model.json and the files it lists."""
    try:
        meta = read_json(d / "model.json")
    except (OSError, ValueError):
        return False
    return meta.get("format") == FORMAT and set(names) <= {"model.json", *meta.get("files", {})}


recognise_layout("topics fit", _saved_layout)


@dataclass
class SavedTopicModel:
    """A loaded model: topics, hierarchy, predictor. No UMAP, no HDBSCAN."""

    path: Path
    meta: dict
    centroids: np.ndarray
    merges: np.ndarray
    reference_centroids: np.ndarray
    knn_vectors: np.ndarray
    knn_labels: np.ndarray
    _chunks: pd.DataFrame | None = None
    _predictor: KnnPredictor | None = None

    @property
    def topic_ids(self) -> list[int]:
        return [int(t["id"]) for t in self.meta["topics"]]

    @property
    def sizes(self) -> list[int]:
        return [int(t["size"]) for t in self.meta["topics"]]

    @property
    def n_topics(self) -> int:
        return len(self.meta["topics"])

    def label_of(self, t: int) -> str:
        t = int(t)
        if t == OUTLIER:
            return OUTLIER_LABEL
        for rec in self.meta["topics"]:
            if rec["id"] == t:
                return rec["label"]
        return f"topic {t}"

    @property
    def chunks(self) -> pd.DataFrame:
        if self._chunks is None:
            self._chunks = pd.read_parquet(self.path / "chunks.parquet")
        return self._chunks

    def predictor(self) -> KnnPredictor:
        if self._predictor is None:
            k = int(self.meta["params"].get("knn_k", 15))
            self._predictor = KnnPredictor(self.knn_vectors, self.knn_labels, k=k)
        return self._predictor

    def predict(self, embeddings) -> np.ndarray:
        return self.predictor().predict(embeddings)

    def predict_proba(self, embeddings) -> tuple[np.ndarray, np.ndarray]:
        p = self.predictor()
        return p.classes, p.predict_proba(embeddings)

    def cut(self, k: int) -> hierarchy.Cut:
        return hierarchy.cut(self.topic_ids, self.sizes, self.merges, k)

    def to_model(self):
        """The :class:`~topicstance.topics.model.TopicModel` estimator back (``from_state``)."""
        from .model import TopicModel

        arrays = {name[:-4]: getattr(self, name[:-4]) for name in ARRAYS}
        return TopicModel.from_state(self.meta, arrays, self.chunks)

    def reference(self):
        from .stable_ids import Reference

        return Reference(ids=np.asarray(self.meta["ids"]["reference_ids"], dtype=np.int64),
                         centroids=self.reference_centroids, next_id=int(self.meta["ids"]["next_id"]))


def load_model(path: str | Path, *, verify: bool = True, mmap: bool = True) -> SavedTopicModel:
    """Load a model directory written by :func:`save_model`; raise ModelFileError when it is not one."""
    d = Path(path)
    mj = d / "model.json"
    if not mj.exists():
        raise ModelFileError(f"{d}: not a topic model directory (no model.json)")
    try:
        meta = read_json(mj)
    except ValueError as exc:
        raise ModelFileError(f"{mj}: not valid JSON ({exc})") from None
    if meta.get("format") != FORMAT:
        raise ModelFileError(f"{mj}: format {meta.get('format')!r}, this version reads {FORMAT!r}; refit the topics")
    for name in (*ARRAYS, "chunks.parquet"):
        f = d / name
        if not f.exists():
            raise ModelFileError(f"{d}: missing {name}")
        if verify and sha256_file(f) != meta.get("files", {}).get(name):
            raise ModelFileError(f"{f}: changed since the model was saved (sha256 mismatch)")
    arrs = {}
    for name in ARRAYS:
        try:
            arrs[name[:-4]] = np.load(d / name, mmap_mode="r" if mmap else None, allow_pickle=False)
        except ValueError as exc:
            raise ModelFileError(f"{d / name}: not a plain NumPy array ({exc})") from None
    return SavedTopicModel(path=d, meta=meta, **arrs)
