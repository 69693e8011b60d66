"""Resolve, load and run the sentence-transformers model, offline.

``all-MiniLM-L6-v2`` and ``all-mpnet-base-v2`` resolve to copies shipped in PyPI
packages (embed/packaged.py: the registry, assembly and verification); any
local folder holding a sentence-transformers model works too. Nothing is
downloaded: an unknown name fails at once and says how to give a local path.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import ParamsError
from . import packaged


def resolve_model_path(name: str) -> Path:
    """Map a model name or local path to a folder on disk (a packaged model is verified first)."""
    p = Path(name).expanduser()
    if p.is_dir():
        if not (p / "modules.json").exists() and not (p / "config.json").exists():
            raise ParamsError(
                f"embed.model: {p} is a folder but holds no sentence-transformers model "
                "(no modules.json or config.json)"
            )
        return p.resolve()
    found = packaged.resolve(name)
    if found is not None:
        return found
    raise ParamsError(
        f"embed.model: unknown model {name!r}. Models are not downloaded (HF_HUB_OFFLINE=1): "
        "give the path of a local sentence-transformers folder, or use 'all-MiniLM-L6-v2' or 'all-mpnet-base-v2'"
    )


def weights_file(path: Path) -> Path:
    for cand in ("model.safetensors", "pytorch_model.bin"):
        if (path / cand).exists():
            return path / cand
    found = sorted(path.rglob("*.safetensors"))
    if found:
        return found[0]
    raise ParamsError(f"embed.model: no weights file (model.safetensors) in {path}")


def weights_sha256(path: Path) -> str:
    """sha256 of the weights file, memoised by inode, size and mtime (packaged.file_sha256)."""
    return packaged.file_sha256(weights_file(path))


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: str
    weights_sha256: str
    max_seq_length: int
    dimension: int
    pooling: str
    normalize: bool

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def read_model_info(name: str) -> ModelInfo:
    """Model identity read from its config files, without loading torch."""
    path = resolve_model_path(name)
    max_seq, dim, pooling, normalize = 512, 0, "mean", False
    sb = path / "sentence_bert_config.json"
    if sb.exists():
        max_seq = int(json.loads(sb.read_text()).get("max_seq_length", max_seq))
    mods = path / "modules.json"
    if mods.exists():
        for m in json.loads(mods.read_text()):
            t = m.get("type", "")
            if t.endswith("Normalize"):
                normalize = True
            if t.endswith("Pooling"):
                pc = path / m.get("path", "") / "config.json"
                if pc.exists():
                    cfg = json.loads(pc.read_text())
                    dim = int(cfg.get("word_embedding_dimension", dim))
                    modes = [k.replace("pooling_mode_", "").replace("_tokens", "")
                             for k, v in cfg.items() if k.startswith("pooling_mode_") and v]
                    pooling = "+".join(sorted(modes)) or pooling
    if dim == 0:
        cfg = path / "config.json"
        if cfg.exists():
            dim = int(json.loads(cfg.read_text()).get("hidden_size", 0))
    return ModelInfo(name=name, path=str(path), weights_sha256=weights_sha256(path),
                     max_seq_length=max_seq, dimension=dim, pooling=pooling, normalize=normalize)


class RustTokenizer:
    """The model's ``tokenizer.json`` through the ``tokenizers`` library, called like a Hugging Face
    fast tokenizer for what chunking needs (``input_ids``, ``offset_mapping``, special tokens on or
    off, no truncation, no padding). It gives the same tokens as ``AutoTokenizer`` (the same file
    drives both) without importing transformers and torch, which took 2 of the chunk stage's 3 s."""

    def __init__(self, path: Path):
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(path))
        self._tok.no_truncation()
        self._tok.no_padding()

    def __call__(self, text, add_special_tokens: bool = True, truncation: bool = False,
                 return_offsets_mapping: bool = False, verbose: bool = False, **_ignored) -> dict:
        if truncation:
            raise ValueError("RustTokenizer counts tokens; it never truncates")
        single = isinstance(text, str)
        encs = self._tok.encode_batch([text] if single else list(text), add_special_tokens=add_special_tokens)
        out = {"input_ids": [e.ids for e in encs]}
        if return_offsets_mapping:
            out["offset_mapping"] = [e.offsets for e in encs]
        return {k: v[0] for k, v in out.items()} if single else out


def load_tokenizer(name: str):
    """The model's own fast tokenizer, used to measure chunk budgets: its ``tokenizer.json`` read by
    the ``tokenizers`` library when the folder has one (:class:`RustTokenizer`), else ``AutoTokenizer``."""
    path = resolve_model_path(name)
    if (path / "tokenizer.json").exists():
        return RustTokenizer(path / "tokenizer.json")
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path), local_files_only=True)


def cpu_supports_bf16() -> bool:
    """True when the CPU has native bfloat16 matrix units (AMX or AVX512-BF16)."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split("flags", 2)[1].split("\n", 1)[0]
    except (OSError, IndexError):
        flags = ""
    if "amx_bf16" in flags or "avx512_bf16" in flags:
        return True
    try:
        import torch

        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()) and "avx512" in flags
    except Exception:  # noqa: BLE001
        return False


DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str = "auto") -> str:
    """``embed.device``: ``cpu``; ``cuda`` (an error when torch sees no CUDA GPU); ``auto``: CUDA
    when torch sees a GPU, else the CPU."""
    if device not in DEVICES:
        raise ParamsError(f"parameter embed.device: must be auto, cpu or cuda, got {device!r}")
    if device == "cpu":
        return "cpu"
    import torch

    has_cuda = bool(torch.cuda.is_available())
    if device == "cuda" and not has_cuda:
        raise ParamsError(f"parameter embed.device: cuda, but torch {torch.__version__} sees no CUDA GPU; "
                          "use auto or cpu")
    return "cuda" if has_cuda else "cpu"


def load_sentence_transformer(name: str, device: str = "cpu"):
    from sentence_transformers import SentenceTransformer

    path = resolve_model_path(name)
    return SentenceTransformer(str(path), device=device, local_files_only=True, trust_remote_code=False)
