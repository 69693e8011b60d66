"""The :class:`Embedder`: cached, precision-aware sentence embeddings.

``Embedder(model, precision).encode(texts)`` returns float32, L2-normalised
vectors, one row per text, looking each text up in the content-addressed cache
first and encoding only the misses (sorted by length, in blocks that are
committed to the cache as they finish, so a killed run keeps its progress).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ParamsError
from ..params import EmbedParams
from .cache import EmbeddingCache, cache_key
from .fused import build as build_fused
from .fused import eager
from .light import BatchTokenizer, load_transformer, read_layout
from .model import ModelInfo, cpu_supports_bf16, load_sentence_transformer, read_model_info, resolve_device

# Texts for the precision parity check when a corpus gives too few of its own.
PROBE_TEXTS = [
    "The central bank raised interest rates by a quarter point on Wednesday.",
    "Troops withdrew from the city after weeks of heavy shelling.",
    "The striker scored twice in the second half to win the cup final.",
    "A new smartphone with a folding screen goes on sale next month.",
    "Parliament rejected the budget after a late-night debate.",
    "The film won three awards at the festival, including best director.",
    "Researchers found that the drug reduced symptoms in most patients.",
    "Drone strikes hit an oil depot near the border overnight.",
]


def cache_dir_from(param: str | None) -> Path | None:
    """``TOPICSTANCE_CACHE`` overrides ``embed.cache_dir``; 'off' disables the cache."""
    env = os.environ.get("TOPICSTANCE_CACHE")
    val = env if env is not None and env != "" else param
    if val is None or str(val).lower() in ("off", "none", "false", "0"):
        return None
    return Path(val)


@dataclass
class EncodeStats:
    n_texts: int = 0
    n_unique: int = 0
    hits: int = 0
    misses: int = 0
    encode_seconds: float = 0.0
    load_seconds: float = 0.0
    parity_min_cosine: float | None = None
    precision: str = ""
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d.update(d.pop("extra"))
        return d


class Embedder:
    """Cached sentence embeddings with a bfloat16 fast path.

    Parameters mirror the ``embed`` section of params.yaml.
    """

    def __init__(self, model: str = EmbedParams.model, precision: str = EmbedParams.precision,
                 batch_size: int = EmbedParams.batch_size, cache_dir: str | Path | None = EmbedParams.cache_dir,
                 parity_min_cosine: float = EmbedParams.parity_min_cosine,
                 parity_sample: int = EmbedParams.parity_sample, show_progress: bool | None = None,
                 block_size: int = 128, fused: bool = True, device: str = EmbedParams.device):
        if precision not in ("auto", "float32", "bfloat16"):
            raise ParamsError(f"parameter embed.precision: must be auto, float32 or bfloat16, got {precision!r}")
        self.model = model
        self.precision = precision
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.parity_min_cosine = parity_min_cosine
        self.parity_sample = parity_sample
        self.show_progress = show_progress
        self.block_size = block_size
        self.fused = fused
        self.device = device
        self._device: str | None = None
        self._st = None
        self._st_bf16 = None
        self._tf = None
        self._layout = None
        self._encoders: dict = {}
        self._parity_rows: dict[str, dict[str, np.ndarray]] = {}  # precision -> text -> row
        self._info: ModelInfo | None = None
        self._cache: EmbeddingCache | None = None
        self.stats = EncodeStats()

    # -- identity -------------------------------------------------------
    @property
    def device_(self) -> str:
        """The device ``device`` resolves to (``auto``: CUDA when torch sees one, else the CPU)."""
        if self._device is None:
            self._device = resolve_device(self.device)
            self.stats.extra["device"] = self._device
        return self._device

    @property
    def info(self) -> ModelInfo:
        if self._info is None:
            self._info = read_model_info(self.model)
        return self._info

    def config_hash(self, precision: str) -> str:
        i = self.info
        key = {"w": i.weights_sha256, "pool": i.pooling, "norm": True, "max_seq": i.max_seq_length,
               "precision": precision}
        if precision == "bfloat16" and self.fused and self.layout is not None:
            # embed/fused.py: "fused-jit-2" was a trace of embed/encoders.py; "fused-3" is that encoder run
            # eagerly with fused QKV, SDPA attention and oneDNN epilogues (vectors differ in the 4th decimal)
            key["kernel"] = "fused-3"
        if self.device_ != "cpu":
            key["device"] = self.device_  # CPU keys stay as they were
        ident = json.dumps(key, sort_keys=True)
        return hashlib.sha256(ident.encode()).hexdigest()

    @property
    def cache(self) -> EmbeddingCache:
        if self._cache is None:
            d = cache_dir_from(None if self.cache_dir is None else str(self.cache_dir))
            self._cache = EmbeddingCache(None if d is None else d / "embeddings.sqlite")
        return self._cache

    # -- model ----------------------------------------------------------
    @property
    def layout(self):
        """The Transformer -> Pooling [-> Normalize] layout (embed/light.py), or None: then the
        model runs through ``SentenceTransformer``."""
        if self._layout is None:
            self._layout = read_layout(self.info.path) or False
        return self._layout or None

    def _transformer(self):
        """The float32 transformer and the batch tokenizer, for a model of the common layout."""
        if self._tf is None:
            t0 = time.perf_counter()
            # threads: torch's own setting, i.e. OMP_NUM_THREADS or the user's torch.set_num_threads
            self._tf = (BatchTokenizer(self.layout), load_transformer(self.layout, device=self.device_))
            self.stats.load_seconds += time.perf_counter() - t0
        return self._tf

    def _model(self):
        """The ``SentenceTransformer``, for a model outside the common layout."""
        if self._st is None:
            t0 = time.perf_counter()
            self._st = load_sentence_transformer(self.model, device=self.device_)
            self._st.eval()
            self.stats.load_seconds += time.perf_counter() - t0
        return self._st

    def _model_bf16(self):
        """A bfloat16 copy of the SentenceTransformer: weights and activations in bf16."""
        if self._st_bf16 is None:
            import copy

            import torch

            self._st_bf16 = copy.deepcopy(self._model()).to(torch.bfloat16)
        return self._st_bf16

    @property
    def max_seq_length(self) -> int:
        return self.info.max_seq_length

    def _encoder(self, precision: str):
        """The encoder for ``precision`` of a common-layout model: float32 eager, bfloat16 fused (or
        eager bfloat16 when ``fused`` is off or the trace fails)."""
        if precision not in self._encoders:
            import copy

            import torch

            tok, model = self._transformer()
            mode = self.layout.pooling
            if precision == "float32":
                enc = eager(tok, model, mode)
            else:
                t0 = time.perf_counter()
                bf16 = copy.deepcopy(model).to(torch.bfloat16)
                enc = build_fused(tok, bf16, mode) if self.fused else None
                self.stats.extra["bf16_kernel"] = enc.kernel if enc is not None else "eager"
                if enc is None:
                    enc = eager(tok, bf16, mode)
                self.stats.extra["trace_seconds"] = round(time.perf_counter() - t0, 3)
            self._encoders[precision] = enc
        return self._encoders[precision]

    def _encode_raw(self, texts: list[str], precision: str) -> np.ndarray:
        import torch

        if self.layout is not None:
            return _l2(self._encoder(precision).encode(texts, batch_size=self.batch_size))
        st = self._model() if precision == "float32" else self._model_bf16()
        self.stats.extra["bf16_kernel"] = "encode"
        with torch.inference_mode():
            out = st.encode(texts, batch_size=self.batch_size, convert_to_numpy=False,
                            convert_to_tensor=True, normalize_embeddings=False,
                            show_progress_bar=False)
        v = out.float().cpu().numpy().astype(np.float32, copy=False)
        return _l2(v)

    def split_seconds(self) -> dict:
        """Where the time went: tokenising and the forward pass, per precision (parity check included)."""
        out = {}
        for prec, enc in self._encoders.items():
            out[f"tokenize_seconds_{prec}"] = round(enc.tokenize_seconds, 3)
            out[f"forward_seconds_{prec}"] = round(enc.forward_seconds, 3)
        return out

    def _decide_precision(self, sample: list[str]) -> str:
        if self.precision != "auto":
            return self.precision
        if self.device_ != "cpu":
            self.stats.extra["precision_reason"] = f"auto on {self.device_}: float32"
            return "float32"
        if not cpu_supports_bf16():
            self.stats.extra["precision_reason"] = "cpu has no native bfloat16"
            return "float32"
        texts = list(dict.fromkeys(sample))[: self.parity_sample]
        if len(texts) < min(8, self.parity_sample):
            texts = (texts + PROBE_TEXTS)[: max(len(texts), 8)]
        t0 = time.perf_counter()
        a = self._encode_raw(texts, "float32")
        t1 = time.perf_counter()
        if self.layout is not None:
            self._encoder("bfloat16")  # built (traced, for a transformers model) outside the timed encode
        t2 = time.perf_counter()
        b = self._encode_raw(texts, "bfloat16")
        t3 = time.perf_counter()
        self.stats.extra["parity_seconds"] = round(t3 - t0, 3)
        self.stats.extra["parity_float32_seconds"] = round(t1 - t0, 3)
        self.stats.extra["parity_bfloat16_seconds"] = round(t3 - t2, 3)
        cos = float(np.min(np.sum(a * b, axis=1)))
        self.stats.parity_min_cosine = cos
        # the check's rows are the same encoders' output: the encode uses them instead of encoding again
        self._parity_rows = {"float32": dict(zip(texts, a)), "bfloat16": dict(zip(texts, b))}
        if cos >= self.parity_min_cosine:
            self.stats.extra["precision_reason"] = f"bfloat16 parity {cos:.4f} >= {self.parity_min_cosine}"
            return "bfloat16"
        self.stats.extra["precision_reason"] = f"bfloat16 parity {cos:.4f} < {self.parity_min_cosine}"
        return "float32"

    # -- public ---------------------------------------------------------
    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts``; rows are float32 and L2-normalised."""
        texts = [str(t) for t in texts]
        self.stats.n_texts += len(texts)
        if not texts:
            return np.zeros((0, self.info.dimension), dtype=np.float32)
        uniq = list(dict.fromkeys(texts))
        self.stats.n_unique += len(uniq)
        precision, vecs, misses = self.resolve(uniq)
        self.stats.hits += len(uniq) - len(misses)
        self.stats.misses += len(misses)
        if misses:
            vecs.update(self._encode_misses(misses, precision))
        return np.stack([vecs[t] for t in texts]).astype(np.float32, copy=False)

    def resolve(self, uniq: list[str]) -> tuple[str, dict, list[str]]:
        """Decide the precision (parity check only when something must be encoded) and look up the cache.

        Returns ``(precision, cached vectors by text, texts still to encode)``.
        """
        precision = self._tentative_precision()
        vecs, misses = self._lookup(uniq, precision)
        if misses and self.precision == "auto" and precision == "bfloat16":
            decided = self._decide_precision(misses)
            if decided != precision:
                precision = decided
                vecs, misses = self._lookup(uniq, precision)
        elif self.precision == "auto" and precision == "bfloat16" and not misses:
            self.stats.extra["precision_reason"] = "all texts cached under bfloat16 (parity passed when stored)"
        self.stats.precision = precision
        return precision, vecs, misses

    def _tentative_precision(self) -> str:
        if self.precision != "auto":
            return self.precision
        return "bfloat16" if self.device_ == "cpu" and cpu_supports_bf16() else "float32"

    def _lookup(self, uniq: list[str], precision: str) -> tuple[dict, list[str]]:
        ch = self.config_hash(precision)
        keys = [cache_key(ch, t) for t in uniq]
        got = self.cache.get_many(keys)
        vecs = {t: got[k] for t, k in zip(uniq, keys) if k in got}
        misses = [t for t in uniq if t not in vecs]
        return vecs, misses

    def _encode_misses(self, misses: list[str], precision: str) -> dict:
        ch = self.config_hash(precision)
        order = sorted(range(len(misses)), key=lambda i: -len(misses[i]))
        out: dict[str, np.ndarray] = {}
        show = self.show_progress if self.show_progress is not None else sys.stderr.isatty() or True
        bar = None
        if show:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(misses), desc=f"embed ({precision})", unit="text", file=sys.stderr,
                       mininterval=1.0, disable=None)
        if self.layout is not None:
            self._encoder(precision)  # load and trace outside the encode time
        else:
            self._model()
        write = 0.0
        t0 = time.perf_counter()
        done = self._parity_rows.get(precision, {})
        reused = [t for t in misses if t in done]
        if reused:
            self.cache.put_many((cache_key(ch, t), done[t]) for t in reused)
            out.update((t, done[t]) for t in reused)
            order = [i for i in order if misses[i] not in done]
            self.stats.extra["rows_from_parity_check"] = len(reused)
            if bar is not None:
                bar.update(len(reused))
        self._parity_rows = {}
        try:
            for s in range(0, len(order), self.block_size):
                idx = order[s:s + self.block_size]
                block = [misses[i] for i in idx]
                v = self._encode_raw(block, precision)
                tw = time.perf_counter()
                self.cache.put_many((cache_key(ch, t), v[j]) for j, t in enumerate(block))
                write += time.perf_counter() - tw
                for j, t in enumerate(block):
                    out[t] = v[j]
                if bar is not None:
                    bar.update(len(block))
        finally:
            if bar is not None:
                bar.close()
        self.stats.encode_seconds += time.perf_counter() - t0 - write
        self.stats.extra["cache_write_seconds"] = round(self.stats.extra.get("cache_write_seconds", 0.0) + write, 3)
        self.stats.extra.update(self.split_seconds())
        return out


def _l2(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return (v / n).astype(np.float32, copy=False)
