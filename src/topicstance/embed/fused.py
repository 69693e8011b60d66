"""A fused bfloat16 forward pass for the common sentence-model layout.

For a ``Transformer -> Pooling [-> Normalize]`` model (embed/light.py) the bfloat16
path runs matrix products, attention and activations as fused oneDNN kernels
instead of one PyTorch operator at a time:

- the project's own BERT / MPNet encoder (embed/encoders.py) is fused by
  construction (one QKV product, ``scaled_dot_product_attention``, GELU and the
  residual adds in the matrix products' epilogue) and runs as it is, with no trace
  (``kernel`` ``"fused-eager"``);
- any other transformer is traced once into a frozen TorchScript graph with oneDNN
  graph fusion on (``"fused-jit"``).

The same pooled module in float32 is the float32 path (:class:`EagerEncoder`).

Batches are padded to a multiple of ``pad_multiple`` tokens so only a handful of
shapes reach the fuser (each new shape costs one short compilation). Pooling sums in
float32. A trace that fails returns ``None`` from :func:`build` and the caller keeps
the eager path; the parity check against float32 runs on whichever path is used.

Each encoder keeps the seconds it spends tokenising (``tokenize_seconds``) and in
the forward pass (``forward_seconds``), for the embed report's split.
"""
from __future__ import annotations

import time
import warnings
from contextlib import contextmanager

import numpy as np

from .light import POOLING_MODES, BatchTokenizer, pooled_module, uses_token_types

SUPPORTED_POOLING = POOLING_MODES


class EagerEncoder:
    """Tokenise, run the pooled module as it is (float32, or bfloat16 unfused), return rows not normalised."""

    def __init__(self, tokenizer: BatchTokenizer, module, use_token_types: bool, pad_multiple: int = 1):
        self.tokenizer = tokenizer
        self.module = module
        self.use_token_types = use_token_types
        self.pad_multiple = pad_multiple
        self.tokenize_seconds = 0.0
        self.forward_seconds = 0.0

    def _padded(self, ids: list[list[int]]):
        L = max(len(r) for r in ids)
        target = min(-(-L // self.pad_multiple) * self.pad_multiple, max(L, self.tokenizer.layout.max_seq_length))
        f = self.tokenizer.pad(ids, target)
        return f["input_ids"], f["attention_mask"], f["token_type_ids"]

    def _features(self, texts: list[str]):
        return self._padded(self.tokenizer.ids(texts))

    def _forward(self, ids, mask, types):
        return self.module(ids, mask, types)

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Rows of ``texts`` in order. The texts are tokenised once, then batched by token count (so a
        batch pads little) and padded to a multiple of ``pad_multiple``."""
        import torch

        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        t0 = time.perf_counter()
        ids = self.tokenizer.ids(texts)
        self.tokenize_seconds += time.perf_counter() - t0
        order = np.argsort([-len(r) for r in ids], kind="stable")
        rows = []
        with torch.inference_mode():
            for s in range(0, len(texts), batch_size):
                t0 = time.perf_counter()
                feats = self._padded([ids[i] for i in order[s:s + batch_size]])
                t1 = time.perf_counter()
                rows.append(self._forward(*feats).float().numpy())
                self.forward_seconds += time.perf_counter() - t1
                self.tokenize_seconds += t1 - t0
        v = np.concatenate(rows)
        out = np.empty_like(v)
        out[order] = v
        return out


class FusedEncoder(EagerEncoder):
    """Encode texts with a fused bfloat16 module (``kernel``: ``"fused-eager"`` or ``"fused-jit"``);
    rows are not normalised."""

    def __init__(self, tokenizer: BatchTokenizer, graph, use_token_types: bool, pad_multiple: int,
                 kernel: str = "fused-jit"):
        super().__init__(tokenizer, graph, use_token_types, pad_multiple)
        self.graph = graph
        self.kernel = kernel


def eager(tokenizer: BatchTokenizer, auto_model, mode: str) -> EagerEncoder:
    use_types = uses_token_types(auto_model)
    return EagerEncoder(tokenizer, pooled_module(auto_model, mode, use_types), use_types)


@contextmanager
def _quiet_transformers():
    """Tracing walks the model's attributes, and transformers logs a note about the unused training
    ``loss_type`` on the way; it means nothing for inference, so its logger is quieted while tracing."""
    import sys

    if "transformers" not in sys.modules:  # the project's own encoder (embed/encoders.py): nothing to quiet
        yield
        return
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)


def build(tokenizer: BatchTokenizer, auto_model_bf16, mode: str, pad_multiple: int = 16) -> FusedEncoder | None:
    """A :class:`FusedEncoder` for a bfloat16 transformer, or None when tracing fails.

    Batches are padded to a multiple of ``pad_multiple`` tokens on both kinds: oneDNN makes one
    kernel per shape, and padding to the exact longest text instead was 25% slower (1,000 BBC chunks,
    AMX Xeon)."""
    if mode not in SUPPORTED_POOLING:
        return None
    if hasattr(auto_model_bf16, "takes_token_types"):  # embed/encoders.py: fused as it is, no trace
        use_types = uses_token_types(auto_model_bf16)
        return FusedEncoder(tokenizer, pooled_module(auto_model_bf16, mode, use_types), use_types, pad_multiple,
                            kernel="fused-eager")
    try:
        import torch

        cfg = getattr(auto_model_bf16, "config", None)
        if cfg is not None and hasattr(cfg, "_attn_implementation"):
            cfg._attn_implementation = "eager"  # traceable; the fuser handles the softmax
        probe = tokenizer(["a short probe sentence", "another one, a little longer than the first"])
        use_types = uses_token_types(auto_model_bf16)
        module = pooled_module(auto_model_bf16, mode, use_types)
        torch.jit.enable_onednn_fusion(True)
        with torch.inference_mode(), warnings.catch_warnings(), _quiet_transformers():
            warnings.simplefilter("ignore")
            graph = torch.jit.freeze(torch.jit.trace(
                module, (probe["input_ids"], probe["attention_mask"], probe["token_type_ids"]),
                check_trace=False, strict=False))
        return FusedEncoder(tokenizer, graph, use_types, pad_multiple, kernel="fused-jit")
    except Exception as exc:  # noqa: BLE001 - any tracing failure falls back to the eager path
        warnings.warn(f"fused bfloat16 path unavailable ({type(exc).__name__}: {exc}); using the eager path")
        return None
