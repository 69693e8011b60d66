"""The common sentence-model layout loaded without sentence-transformers.

Most sentence embedding models, both packaged ones among them, are a Hugging Face
``Transformer`` followed by mean or CLS ``Pooling`` and an optional ``Normalize``
(``modules.json``). For that layout the embedder needs neither the
``sentence_transformers`` package (about 1.6 s of imports on this project's
machine) nor its tokenisation wrapper: the transformer comes from the installed
``transformers`` (``AutoModel``, local files only, no remote code), the tokens
from the folder's ``tokenizer.json`` through the ``tokenizers`` library with the
same truncation (``max_seq_length``) and padding (longest in the batch), and
pooling is a few tensor operations. ``tests/embed/test_light.py`` checks that the
token ids equal sentence-transformers' own and that the float32 vectors agree.

Any other layout returns ``None`` from :func:`read_layout` and the embedder keeps
``SentenceTransformer``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

POOLING_MODES = ("mean", "cls")


@dataclass(frozen=True)
class Layout:
    path: Path
    pooling: str  # 'mean' or 'cls'
    max_seq_length: int
    do_lower_case: bool
    normalize: bool


def read_layout(path: str | Path) -> Layout | None:
    """The folder's Transformer -> Pooling [-> Normalize] layout, or None when it is anything else."""
    path = Path(path)
    try:
        mods = json.loads((path / "modules.json").read_text())
        sb = json.loads((path / "sentence_bert_config.json").read_text())
    except (OSError, ValueError):
        return None
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in mods]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        return None
    if str(mods[0].get("path", "")) not in ("", "."):
        return None
    if not (path / "tokenizer.json").exists() or not (path / "config.json").exists():
        return None
    try:
        pc = json.loads((path / mods[1].get("path", "") / "config.json").read_text())
    except (OSError, ValueError):
        return None
    modes = [k[len("pooling_mode_"):].replace("_tokens", "").replace("_token", "")
             for k, v in pc.items() if k.startswith("pooling_mode_") and v is True]
    if isinstance(pc.get("pooling_mode"), str):  # newer configs: one string
        modes = [pc["pooling_mode"].replace("_tokens", "").replace("_token", "")]
    if len(modes) != 1 or modes[0] not in POOLING_MODES or not pc.get("include_prompt", True):
        return None
    return Layout(path=path, pooling=modes[0], max_seq_length=int(sb.get("max_seq_length", 512)),
                  do_lower_case=bool(sb.get("do_lower_case", False)), normalize="Normalize" in kinds)


class BatchTokenizer:
    """``tokenizer.json`` with truncation at the model's ``max_seq_length`` and padding to the longest
    text of the batch: the input ids, attention mask and token types sentence-transformers gives."""

    def __init__(self, layout: Layout):
        from tokenizers import Tokenizer

        self.layout = layout
        self._tok = Tokenizer.from_file(str(layout.path / "tokenizer.json"))
        cfg = {}
        tc = layout.path / "tokenizer_config.json"
        if tc.exists():
            cfg = json.loads(tc.read_text())
        pad_token = cfg.get("pad_token") or "[PAD]"
        if isinstance(pad_token, dict):
            pad_token = pad_token.get("content", "[PAD]")
        pad_id = self._tok.token_to_id(pad_token)
        self.pad_token_id = 0 if pad_id is None else int(pad_id)
        self._tok.enable_truncation(max_length=layout.max_seq_length)
        self._tok.no_padding()  # :meth:`pad` pads each batch

    def ids(self, texts: list[str]) -> list[list[int]]:
        """The token ids of each text, truncated at ``max_seq_length``, not padded."""
        if self.layout.do_lower_case:
            texts = [t.lower() for t in texts]
        return [e.ids for e in self._tok.encode_batch([str(t).strip() for t in texts])]

    def pad(self, ids: list[list[int]], length: int | None = None) -> dict:
        """Input ids, attention mask and (zero) token types of ``ids``, padded to ``length`` (default:
        the longest)."""
        import torch

        L = max(len(r) for r in ids) if length is None else length
        arr = np.full((len(ids), L), self.pad_token_id, dtype=np.int64)
        mask = np.zeros((len(ids), L), dtype=np.int64)
        for i, r in enumerate(ids):
            arr[i, :len(r)] = r
            mask[i, :len(r)] = 1
        return {"input_ids": torch.from_numpy(arr), "attention_mask": torch.from_numpy(mask),
                "token_type_ids": torch.zeros((len(ids), L), dtype=torch.int64)}

    def __call__(self, texts: list[str]) -> dict:
        return self.pad(self.ids(texts))


def load_transformer(layout: Layout, device: str = "cpu"):
    """The transformer, in eval mode: BERT and MPNet encoders by the project's own forward pass
    (embed/encoders.py: the weights file and config.json, no transformers import); any other
    architecture from the installed ``transformers`` (local files only, no remote code)."""
    from . import encoders

    if encoders.supported(layout.path):
        return encoders.load(layout.path).to(device).eval()
    from transformers import AutoModel

    # quiet or not as the command says (topicstance._env: TRANSFORMERS_VERBOSITY, progress bars)
    model = AutoModel.from_pretrained(str(layout.path), local_files_only=True, trust_remote_code=False)
    return model.to(device).eval()


def pooled_module(auto_model, mode: str, use_token_types: bool):
    """``forward(ids, mask, types) -> pooled float32 rows`` (not normalised); traceable."""
    import torch

    own = hasattr(auto_model, "takes_token_types")  # embed/encoders.py

    class Pooled(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, ids, mask, types):
            if own:
                h = self.m(ids, mask, types).float()
            else:
                kw = {"token_type_ids": types} if use_token_types else {}
                h = self.m(input_ids=ids, attention_mask=mask, **kw).last_hidden_state.float()
            if mode == "cls":
                return h[:, 0]
            w = mask.unsqueeze(-1).to(h.dtype)
            return (h * w).sum(1) / w.sum(1).clamp(min=1e-9)

    return Pooled(auto_model).eval()


def uses_token_types(auto_model) -> bool:
    """Whether the transformer takes token type ids (BERT does, MPNet does not)."""
    import inspect

    if hasattr(auto_model, "takes_token_types"):
        return bool(auto_model.takes_token_types)
    return "token_type_ids" in inspect.signature(auto_model.forward).parameters
