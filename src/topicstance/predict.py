"""``topicstance.load("models").predict(texts)``: apply the saved models to new text.

``load`` verifies every file under ``models/`` against ``manifest.json`` before
it reads anything, then loads the topic predictor (arrays only: neither UMAP
nor HDBSCAN is imported) and the stance classifier (JSON/NumPy heads). Each
text is chunked like the corpus (``chunk.max_tokens``/``overlap_sentences`` from
the manifest's params), embedded with the same model and precision as the
pipeline, and gets:

* ``topic``/``topic_label``: its dominant topic (the topic holding most of its
  chunks, ties to the lower id) and ``topic_mix`` (share of chunks per topic);
* ``stance``: per target, the label and probabilities aggregated over its
  chunks by ``stance.article_rule`` (the rule used for articles), through the
  one prediction path (:mod:`topicstance.stance.predict`). A models folder
  without ``stance/`` (``topicstance run`` without ``--stance-model``) gives
  topics only, with one :class:`NoStanceModelWarning` at ``load``;
* ``chunks`` (with ``details=True``): each chunk's text, offsets, topic and stance.

Output keeps the input order and count; an empty text gets a record with
``n_chunks`` 0 and no topic or stance.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ModelFileError

_UNSET = object()


class NoStanceModelWarning(UserWarning):
    """The models folder holds a topic model only (``topicstance run`` without ``--stance-model``)."""


@dataclass
class LoadTimes:
    imports: float = 0.0
    verify: float = 0.0
    model_reads: float = 0.0

    def as_dict(self) -> dict:
        return {"imports": round(self.imports, 4), "verify": round(self.verify, 4),
                "model_reads": round(self.model_reads, 4)}


@dataclass
class Models:
    path: Path
    manifest: dict
    topics: object
    stance: object
    times: LoadTimes = field(default_factory=LoadTimes)
    cache_dir: object = _UNSET
    precision: str | None = None
    _embedder: object = None
    _tokenizer: object = None

    # ---------------------------------------------------------------- helpers
    @property
    def params(self) -> dict:
        return self.manifest["params"]

    @property
    def ingest(self):
        """The ``ingest`` params the models were built with (:class:`~topicstance.params.IngestParams`):
        among them the column map a table input is read with, the corpus's own column names. A key the
        manifest lacks (written before it existed) takes its default."""
        import dataclasses

        from .params import IngestParams

        raw = self.params.get("ingest") or {}
        known = {f.name for f in dataclasses.fields(IngestParams)}
        return IngestParams(**{k: v for k, v in raw.items() if k in known})

    @property
    def targets(self) -> list[str]:
        return list(self.params["stance"]["targets"])

    def embedder(self):
        if self._embedder is None:
            from .embed.encoder import Embedder

            e = self.manifest["embedding_model"]
            pe = self.params["embed"]
            cache = pe["cache_dir"] if self.cache_dir is _UNSET else self.cache_dir
            self._embedder = Embedder(model=pe["model"], precision=self.precision or e.get("precision", "auto"),
                                      batch_size=pe["batch_size"], cache_dir=cache, show_progress=False,
                                      device=pe.get("device", "auto"))
            if self._embedder.info.weights_sha256 != e["weights_sha256"]:
                raise ModelFileError(f"{self.path}: models were trained on embeddings of weights "
                                     f"{e['weights_sha256'][:12]}..., but {pe['model']!r} resolves to "
                                     f"{self._embedder.info.weights_sha256[:12]}...; rebuild with `dvc repro`")
        return self._embedder

    def tokenizer(self):
        if self._tokenizer is None:
            from .embed.model import load_tokenizer

            self._tokenizer = load_tokenizer(self.params["embed"]["model"])
        return self._tokenizer

    def chunk(self, texts: list[str]):
        """The chunks of ``texts`` at the manifest's ``chunk.max_tokens`` / ``overlap_sentences``
        (:func:`topicstance.stance.predict.chunk_texts`)."""
        from .stance.predict import chunk_texts

        pc = self.params["chunk"]
        return chunk_texts(texts, self.tokenizer(), pc["max_tokens"], pc["overlap_sentences"])

    # ---------------------------------------------------------------- predict
    def predict(self, texts, *, details: bool = False, targets: list[str] | None = None) -> list[dict]:
        """One record per text, in order (see the module doc)."""
        from .stance.predict import predict_stance

        if isinstance(texts, str):
            raise TypeError("predict takes a list of texts; wrap a single text in a list")
        texts = ["" if t is None else str(t) for t in texts]
        chunks = self.chunk(texts)
        owner = chunks["owner"].to_numpy(dtype=np.int64)
        vecs = self.embedder().encode(chunks["text"].tolist()) if len(chunks) else np.zeros((0, 1), dtype=np.float32)
        topics = self.topics.predict(vecs) if len(chunks) else np.zeros(0, dtype=np.int64)
        # text i owns the chunks bounds[i]:bounds[i + 1] (chunk_texts keeps the texts' order): one
        # pass, linear in texts plus chunks
        bounds = np.searchsorted(owner, np.arange(len(texts) + 1), side="left")
        per_chunk = per_text = None
        if self.stance is not None:
            targets = list(targets) if targets else self.targets
            frozen = None
            if self.stance.uses_frozen_embeddings and len(chunks):
                # the topics vectors serve the stance features only where they are the stance model's own
                frozen = self.stance.frozen_embeddings(chunks["text"].tolist(), given=vecs,
                                                       given_sha256=self.embedder().info.weights_sha256)
            per_chunk, per_text = predict_stance(self.stance, chunks, targets, rule=self.params["stance"]["article_rule"],
                                                 embeddings=frozen)
            per_text = {(int(r.owner), r.target): r for r in per_text.itertuples(index=False)}
            per_chunk = {(int(r.chunk_index), r.target): r for r in per_chunk.itertuples(index=False)}
        out = []
        for i, text in enumerate(texts):
            m = slice(int(bounds[i]), int(bounds[i + 1]))
            n_i = int(bounds[i + 1] - bounds[i])
            rec: dict = {"index": i, "n_chunks": n_i}
            if not n_i:
                rec.update({"topic": None, "topic_label": None, "topic_mix": {}, "stance": {},
                            "note": "empty text"})
                out.append(rec)
                continue
            t_i = topics[m]
            ids, counts = np.unique(t_i, return_counts=True)
            mix = {int(k): round(float(c) / n_i, 6) for k, c in zip(ids, counts)}
            real = [(c, -k) for k, c in zip(ids, counts) if k >= 0]
            dom = int(-max(real)[1]) if real else -1
            rec.update({"topic": dom, "topic_label": self.topics.label_of(dom), "topic_mix": mix})
            rec["stance"] = {} if per_text is None else {t: _stance_record(per_text[(i, t)]) for t in targets}
            if details:
                rows = []
                for j in range(m.start, m.stop):
                    c = chunks.iloc[j]
                    row = {"text": c["text"], "char_start": int(c["char_start"]), "char_end": int(c["char_end"]),
                           "n_tokens": int(c["n_tokens"]), "topic": int(topics[j]),
                           "topic_label": self.topics.label_of(int(topics[j])), "stance": {}}
                    if per_chunk is not None:
                        for t in targets:
                            row["stance"][t] = _stance_record(per_chunk[(int(j), t)])
                    rows.append(row)
                rec["chunks"] = rows
            out.append(rec)
        return out


def _stance_record(r) -> dict:
    return {"stance": r.stance, "p_favor": round(float(r.p_favor), 6), "p_against": round(float(r.p_against), 6),
            "p_none": round(float(r.p_none), 6)}


def load(path: str | Path = "models", *, cache_dir=_UNSET, precision: str | None = None) -> Models:
    """Verify and load a models folder (``models/`` of a project or of a ``topicstance run`` output)."""
    t0 = time.perf_counter()
    from . import manifest as mf
    from .stance.classifier import StanceClassifier
    from .topics.persistence import load_model as load_topics

    times = LoadTimes(imports=time.perf_counter() - t0)
    d = Path(path)
    t1 = time.perf_counter()
    m = mf.verify(d)
    times.verify = time.perf_counter() - t1
    t2 = time.perf_counter()
    if not (d / "topics").is_dir():
        raise ModelFileError(f"{d}: no topics/ model folder (run `dvc repro` or `topicstance run`)")
    topics = load_topics(d / "topics", verify=False)  # already verified against the manifest
    sc = m["params"]["embed"]["cache_dir"] if cache_dir is _UNSET else cache_dir
    stance = None
    if (d / "stance").is_dir():
        stance = StanceClassifier.load(d / "stance", cache_dir=sc, precision=precision)
    else:
        warnings.warn(f"{d}: no stance model (stance/); predictions hold topics only", NoStanceModelWarning,
                      stacklevel=2)
    times.model_reads = time.perf_counter() - t2
    return Models(path=d, manifest=m, topics=topics, stance=stance, times=times, cache_dir=cache_dir,
                  precision=precision)
