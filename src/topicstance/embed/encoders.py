"""The forward pass of BERT- and MPNet-style encoders in plain PyTorch.

Sentence models of the common layout (embed/light.py) are, for the two packaged
ones and most others, a BERT encoder (all-MiniLM-L6-v2) or an MPNet encoder
(all-mpnet-base-v2). Importing their ``transformers`` classes costs about 3 to 4 s
of every process on this project's 2-core machine (transformers' model utilities,
integrations and activations), longer than encoding a small corpus. This module
computes the same function from the same weights (``model.safetensors`` read by
``safetensors``, ``config.json`` read as JSON) with a few tensor operations: token,
position (and token-type) embeddings with LayerNorm; per layer, multi-head
self-attention (MPNet adds its bucketed relative-position bias to the scores) with
a residual LayerNorm, then the GELU feed-forward block with a residual LayerNorm.

It runs no code from the model folder. Architectures other than ``bert`` and
``mpnet`` are loaded from the installed ``transformers`` (embed/light.py).
``tests/embed/test_encoders.py`` checks the hidden states against transformers'
own, float32, on both packaged models.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

SUPPORTED = ("bert", "mpnet")


def supported(path: str | Path) -> bool:
    try:
        cfg = json.loads((Path(path) / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return (cfg.get("model_type") in SUPPORTED and cfg.get("hidden_act", "gelu") == "gelu"
            and cfg.get("position_embedding_type", "absolute") == "absolute"
            and (Path(path) / "model.safetensors").exists())


def _fused_linear_ops():
    """oneDNN's linear with the activation or the residual add done on the accumulator
    (``mkldnn::_linear_pointwise``), or None where it cannot run bfloat16: a torch build without
    oneDNN, or a CPU that oneDNN's bfloat16 check refuses (one without AVX-512 BW/VL/DQ, where the
    op raises); the layer then runs the same arithmetic as separate operators."""
    import torch

    try:
        if not (torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()):
            return None
        op = torch.ops.mkldnn._linear_pointwise
        x, w = torch.ones(2, 8, dtype=torch.bfloat16), torch.ones(4, 8, dtype=torch.bfloat16)
        op(x, w, None, "gelu", [], "none")
        op.binary(x, torch.ones(2, 4, dtype=torch.bfloat16), w, None, "add")
        return op
    except (AttributeError, RuntimeError):
        return None


def _module_class():
    import torch
    from torch import nn
    from torch.nn import functional as F

    pointwise = _fused_linear_ops()

    class Layer(nn.Module):
        """One encoder layer. The query, key and value projections are one ``H -> 3H`` product
        (``qkv``: :func:`_rename` stacks the three weight matrices); attention is
        ``scaled_dot_product_attention`` (one fused kernel, no score matrix kept). In bfloat16 on
        the CPU the GELU and the residual adds run in the epilogue of oneDNN's matrix product, on
        its float32 accumulator, so each is one pass over memory instead of three."""

        def __init__(self, H: int, F_: int, heads: int, eps: float):
            super().__init__()
            self.heads, self.hd = heads, H // heads
            self.qkv, self.o = nn.Linear(H, 3 * H), nn.Linear(H, H)
            self.ln1 = nn.LayerNorm(H, eps=eps)
            self.fc1, self.fc2 = nn.Linear(H, F_), nn.Linear(F_, H)
            self.ln2 = nn.LayerNorm(H, eps=eps)

        def forward(self, h, bias):
            B, L, H = h.shape
            fused = pointwise is not None and h.dtype == torch.bfloat16 and h.device.type == "cpu"
            qkv = self.qkv(h).view(B, L, 3, self.heads, self.hd).permute(2, 0, 3, 1, 4)
            c = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=bias)
            c = c.transpose(1, 2).reshape(B, L, H)
            if fused:
                a = self.ln1(pointwise.binary(c, h, self.o.weight, self.o.bias, "add"))
                g = pointwise(a, self.fc1.weight, self.fc1.bias, "gelu", [], "none")  # erf GELU
                return self.ln2(pointwise.binary(g, a, self.fc2.weight, self.fc2.bias, "add"))
            a = self.ln1(self.o(c) + h)
            return self.ln2(self.fc2(F.gelu(self.fc1(a))) + a)

    class Encoder(nn.Module):
        """``forward(input_ids, attention_mask, token_type_ids) -> last hidden states``."""

        def __init__(self, cfg: dict):
            super().__init__()
            self.kind = cfg["model_type"]
            H, F, n = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
            eps = cfg.get("layer_norm_eps", 1e-12)
            self.pad_id = int(cfg.get("pad_token_id", 1 if self.kind == "mpnet" else 0))
            self.word = nn.Embedding(cfg["vocab_size"], H)
            self.pos = nn.Embedding(cfg["max_position_embeddings"], H)
            self.takes_token_types = self.kind == "bert"
            if self.takes_token_types:
                self.types = nn.Embedding(cfg.get("type_vocab_size", 2), H)
            else:
                self.buckets = int(cfg.get("relative_attention_num_buckets", 32))
                self.rel = nn.Embedding(self.buckets, cfg["num_attention_heads"])
            self.ln = nn.LayerNorm(H, eps=eps)
            self.layers = nn.ModuleList(Layer(H, F, cfg["num_attention_heads"], eps) for _ in range(n))

        def _relative_bias(self, L: int):
            """MPNet's bucketed relative-position bias, (1, heads, L, L)."""
            pos = torch.arange(L)
            rel = pos[None, :] - pos[:, None]  # memory - context
            n = -rel
            half = self.buckets // 2
            ret = (n < 0).long() * half
            n = n.abs()
            exact = half // 2
            large = exact + (torch.log(n.float().clamp(min=1) / exact) / math.log(128 / exact)
                             * (half - exact)).long()
            large = torch.clamp(large, max=half - 1)
            ret = ret + torch.where(n < exact, n, large)
            return self.rel(ret).permute(2, 0, 1).unsqueeze(0)

        def forward(self, input_ids, attention_mask, token_type_ids):
            L = input_ids.shape[1]
            if self.kind == "mpnet":
                m = input_ids.ne(self.pad_id).long()
                positions = torch.cumsum(m, dim=1) * m + self.pad_id
                h = self.word(input_ids) + self.pos(positions)
            else:
                h = self.word(input_ids) + self.pos(torch.arange(L)[None, :]) + self.types(token_type_ids)
            h = self.ln(h)
            bias = (1.0 - attention_mask[:, None, None, :].to(h.dtype)) * torch.finfo(h.dtype).min
            if self.kind == "mpnet":
                # sliced from the table made at load time: the traced graph holds no bucketing ops, whose
                # fusion made the second call of a traced MPNet take 88 s
                bias = bias + self.rel_table[:, :, :L, :L]
            for layer in self.layers:
                h = layer(h, bias)
            return h

    return Encoder


def _rename(kind: str, sd: dict) -> dict:
    """transformers' weight names -> this module's (query, key and value stacked into ``qkv``)."""
    import torch

    out = {}
    for k, v in sd.items():
        for pre in ("bert.", "mpnet."):
            if k.startswith(pre):
                k = k[len(pre):]
        if k.startswith("pooler.") or k.endswith("position_ids"):
            continue
        k = (k.replace("embeddings.word_embeddings", "word").replace("embeddings.position_embeddings", "pos")
             .replace("embeddings.token_type_embeddings", "types").replace("embeddings.LayerNorm", "ln")
             .replace("encoder.relative_attention_bias", "rel").replace("encoder.layer.", "layers."))
        if kind == "bert":
            k = (k.replace("attention.self.query", "q").replace("attention.self.key", "k")
                 .replace("attention.self.value", "v").replace("attention.output.dense", "o")
                 .replace("attention.output.LayerNorm", "ln1"))
        else:
            k = (k.replace("attention.attn.q", "q").replace("attention.attn.k", "k")
                 .replace("attention.attn.v", "v").replace("attention.attn.o", "o")
                 .replace("attention.LayerNorm", "ln1"))
        k = (k.replace("intermediate.dense", "fc1").replace("output.dense", "fc2")
             .replace("output.LayerNorm", "ln2"))
        out[k] = v
    for k in [k for k in out if ".q." in k]:  # layers.N.q.weight and .bias: one product with k and v
        out[k.replace(".q.", ".qkv.")] = torch.cat([out.pop(k.replace(".q.", f".{p}.")) for p in "qkv"])
    return out


def load(path: str | Path):
    """The encoder of the model folder ``path`` (``supported(path)`` must hold), float32, eval mode."""
    from safetensors.torch import load_file

    path = Path(path)
    cfg = json.loads((path / "config.json").read_text())
    model = _module_class()(cfg)
    sd = _rename(cfg["model_type"], load_file(str(path / "model.safetensors")))
    missing, unexpected = model.load_state_dict(sd, strict=False)
    if missing or unexpected:
        raise ValueError(f"{path}: weights do not fit a {cfg['model_type']} encoder "
                         f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
    if model.kind == "mpnet":
        import torch

        with torch.no_grad():
            n = int(cfg.get("max_position_embeddings", 514))
            model.register_buffer("rel_table", model._relative_bias(n).contiguous(), persistent=False)
    return model.eval()
