"""The one output mechanism: atomic writes that never touch a file another command wrote.

**Atomic.** Every file and folder is written under a temporary name beside the
target and renamed into place, so a stage that fails or is killed never leaves
a partial file under the final name for the next stage or run to read.

**Owned.** Every write happens on behalf of an *owner*, the command the user
ran (``ingest``, ``embed``, ``stance train``, ...): :func:`writing` sets it, and
the :func:`writes` decorator gives each stage function its own when it is
called from Python. The outermost owner wins, so everything ``topicstance run``
writes belongs to ``run``. Each folder written into gets a small marker,
``.topicstance-outputs.json``, recording which owner wrote which of its
entries. Then:

* a file may be written when it does not exist yet, or when the marker of its
  folder says this owner wrote it;
* a folder (the embeddings folder, a model folder) may be replaced whole only
  when it does not exist, is empty, or holds nothing but what its marker says
  this owner wrote (a model folder written before markers existed is recognised
  by the manifest the owner wrote into it, which lists its files, see
  :func:`recognise_layout`; file names alone never make a folder one's own);
* an output is never one of the owner's inputs, never inside an input folder,
  and a replaced folder never holds an input.

Anything else is an :class:`~topicstance.errors.OutputError`: one line naming
the path and what to do. :func:`check_outputs` runs the same checks up front,
so a command refuses before it computes anything. Writes made with no owner set
(scripts, tests building fixtures) are atomic but unchecked.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from .errors import OutputError

MARKER = ".topicstance-outputs.json"
MARKER_FORMAT = 1


@dataclass(frozen=True)
class Owner:
    """Who is writing: a command name, its inputs (absolute path, as given) and the files it may
    rewrite in place because the user asked for exactly that (``stance split --in-place``)."""

    name: str
    inputs: tuple[tuple[Path, str], ...] = ()
    in_place: frozenset = frozenset()


_OWNER: contextvars.ContextVar[Owner | None] = contextvars.ContextVar("topicstance_owner", default=None)
_LAYOUTS: dict[str, Callable[[Path, list[str]], bool]] = {}


def _abs(p) -> Path:
    return Path(os.path.abspath(os.path.expanduser(os.fspath(p))))


def _path_args(values: Iterable) -> list[tuple[Path, str]]:
    out = []
    for v in values:
        if v is None or v is False:
            continue
        if isinstance(v, (list, tuple, set, frozenset)):
            out += _path_args(v)
        elif isinstance(v, (str, os.PathLike)) and os.fspath(v) not in ("", "-"):
            out.append((_abs(v), os.fspath(v)))
    return out


def current_owner() -> Owner | None:
    return _OWNER.get()


@contextlib.contextmanager
def writing(owner: str, inputs: Iterable = (), *, in_place: Iterable = ()) -> Iterator[Owner]:
    """Write on behalf of ``owner`` reading ``inputs`` (paths; lists, None and ``-`` allowed).

    Nested calls add their inputs; the outer owner's name is kept."""
    outer = _OWNER.get()
    name = outer.name if outer is not None else owner
    ins = (outer.inputs if outer else ()) + tuple(_path_args(list(inputs)))
    allow = (outer.in_place if outer else frozenset()) | frozenset(p for p, _ in _path_args(list(in_place)))
    token = _OWNER.set(Owner(name, ins, allow))
    try:
        yield _OWNER.get()
    finally:
        _OWNER.reset(token)


def writes(owner: str, inputs: tuple[str, ...] = ()):
    """Decorator: run the function under :func:`writing` (``owner``, the arguments named in ``inputs``)."""
    def deco(fn):
        sig = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            bound = sig.bind_partial(*args, **kwargs)
            with writing(owner, [bound.arguments.get(n) for n in inputs]):
                return fn(*args, **kwargs)
        return wrapper
    return deco


def recognise_layout(owner: str, test: Callable[[Path, list[str]], bool]) -> None:
    """Register how to recognise a folder ``owner`` wrote before markers existed: ``test(folder,
    entries)`` is True when the entries are exactly what the manifest ``owner`` wrote there
    describes (the files it lists, with its format); never by file names alone."""
    _LAYOUTS[owner] = test


def read_marker(folder: str | Path) -> dict[str, str]:
    """``{entry name: owner}`` from a folder's marker; empty when there is none or it is unreadable."""
    try:
        raw = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
        files = raw.get("files", {})
        return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def _write_marker(folder: Path, files: dict[str, str]) -> None:
    body = json.dumps({"format": MARKER_FORMAT, "written_by": "topicstance",
                       "files": dict(sorted(files.items()))}, indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f"{MARKER}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, folder / MARKER)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _record(folder: Path, name: str, owner: str) -> None:
    files = read_marker(folder)
    if files.get(name) != owner:
        files[name] = owner
        _write_marker(folder, files)


def _inside(child: Path, parent: Path) -> bool:
    return child != parent and parent in child.parents


def _check_not_input(target: Path, shown: str, w: Owner, is_dir: bool) -> None:
    for inp, inp_shown in w.inputs:
        if target == inp:
            raise OutputError(f"{shown}: is an input of topicstance {w.name}, and an input is never an output; "
                              "give another output path")
        if _inside(target, inp):
            raise OutputError(f"{shown}: is inside the input folder {inp_shown}; write the output elsewhere")
        if is_dir and _inside(inp, target):
            raise OutputError(f"{shown}: holds the input {inp_shown}; give an empty or new output folder")


def _ours_in_flight(name: str) -> bool:
    """Temporary names this module makes beside a target (``.NAME.XXXX.tmp``, ``.NAME.old-PID``),
    which a killed run leaves behind; :func:`check_tree` passes over them (it deletes nothing)."""
    return name.startswith(".") and (name.endswith(".tmp") or ".old-" in name)


def _foreign(folder: Path, owner: str) -> list[str]:
    entries = sorted(e for e in os.listdir(folder) if e != MARKER)
    mine = {k for k, v in read_marker(folder).items() if v == owner}
    foreign = [e for e in entries if e not in mine]
    if foreign and not (folder / MARKER).exists() and owner in _LAYOUTS and _LAYOUTS[owner](folder, entries):
        return []  # written by this owner before markers existed
    return foreign


def _names(items: list[str]) -> str:
    return ", ".join(items[:3]) + (f" and {len(items) - 3} more" if len(items) > 3 else "")


def check_file(path: str | Path, owner: Owner | None = None) -> None:
    """Refuse (OutputError) when the current owner may not write the file ``path``."""
    w = owner or _OWNER.get()
    if w is None:
        return
    p, shown = _abs(path), os.fspath(path)
    if p in w.in_place:
        return
    _check_not_input(p, shown, w, is_dir=False)
    if p.is_dir():
        raise OutputError(f"{shown}: is a folder; give a file name for this output")
    if (p.exists() or p.is_symlink()) and read_marker(p.parent).get(p.name) != w.name:
        raise OutputError(f"{shown}: exists and was not written by topicstance {w.name}; "
                          "move it away or give another output path")


def _existing_output_folder(path: str | Path, owner: Owner | None):
    """``(owner, path, shown)`` of an output folder that exists and must be checked; None when there is
    no current owner or nothing there yet. Refuses an input, and a file where a folder is wanted."""
    w = owner or _OWNER.get()
    if w is None:
        return None
    p, shown = _abs(path), os.fspath(path)
    _check_not_input(p, shown, w, is_dir=True)
    if not p.exists():
        return None
    if not p.is_dir():
        raise OutputError(f"{shown}: is a file, not a folder; give an empty or new folder")
    return w, p, shown


def check_folder(path: str | Path, owner: Owner | None = None) -> None:
    """Refuse (OutputError) when the current owner may not replace the folder ``path``."""
    found = _existing_output_folder(path, owner)
    if found is None:
        return
    w, p, shown = found
    foreign = _foreign(p, w.name)
    if foreign:
        raise OutputError(f"{shown}: holds {_names(foreign)}, which topicstance {w.name} did not write; "
                          "give an empty or new folder")


def check_tree(path: str | Path, owner: Owner | None = None) -> None:
    """Refuse when the folder ``path`` holds, at any depth, a file the current owner did not write
    (``topicstance run --out DIR`` writes a whole tree of its own)."""
    found = _existing_output_folder(path, owner)
    if found is None:
        return
    w, p, shown = found
    foreign: list[str] = []
    for d, dirs, files in os.walk(p):
        d = Path(d)
        mine = {k for k, v in read_marker(d).items() if v == w.name}
        foreign += [(d / f).relative_to(p).as_posix() for f in sorted(files)
                    if f != MARKER and f not in mine and not _ours_in_flight(f)]
        dirs[:] = sorted(x for x in dirs if x not in mine and not _ours_in_flight(x))  # a folder listed as its own was replaced whole
    if foreign:
        raise OutputError(f"{shown}: holds {_names(foreign)}, which topicstance {w.name} did not write; "
                          "give an empty or new folder")


def check_outputs(files: Iterable = (), folders: Iterable = ()) -> None:
    """Run the checks of :func:`atomic_path` up front, before any work (no-op without an owner)."""
    for _, shown in _path_args(list(files)):
        check_file(shown)
    for _, shown in _path_args(list(folders)):
        check_folder(shown)


@contextlib.contextmanager
def atomic_path(path: str | Path, *, is_dir: bool = False) -> Iterator[Path]:
    """Yield a temporary path; on success it replaces ``path`` in one rename.

    With an owner set (:func:`writing`) the target is checked first and recorded in the marker
    after (see the module doc)."""
    w = _OWNER.get()
    if w is not None:
        (check_folder if is_dir else check_file)(path, w)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; give the folder the usual permissions
    target_tmp = tmp if is_dir else tmp / path.name
    try:
        yield target_tmp
        if is_dir:
            if w is not None:
                target_tmp.mkdir(parents=True, exist_ok=True)
                _write_marker(target_tmp, {e: w.name for e in os.listdir(target_tmp) if e != MARKER})
            if path.exists():
                old = path.with_name(f".{path.name}.old-{os.getpid()}")
                os.replace(path, old)
                os.replace(tmp, path)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, path)
        else:
            _fsync_file(target_tmp)
            os.replace(target_tmp, path)
            if w is not None and _abs(path) not in w.in_place:
                _record(path.parent, path.name, w.name)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_file(p: Path) -> None:
    try:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def _json_default(o: Any):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def dumps_json(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, default=_json_default, allow_nan=False) + "\n"


def write_json(path: str | Path, obj: Any) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(dumps_json(obj), encoding="utf-8")
    return Path(path)


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_parquet(path: str | Path, df, metadata: dict[str, str] | None = None) -> Path:
    """Write ``df``; ``metadata`` adds file-level key/value pairs to the Parquet schema."""
    with atomic_path(path) as tmp:
        if metadata:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(df, preserve_index=False)
            extra = {k.encode(): v.encode() for k, v in metadata.items()}
            pq.write_table(table.replace_schema_metadata({**(table.schema.metadata or {}), **extra}), tmp)
        else:
            df.to_parquet(tmp, index=False)
    return Path(path)


def parquet_metadata(path: str | Path, key: str) -> str | None:
    """One file-level metadata value of a Parquet file, or None when the file has no such key."""
    import pyarrow.parquet as pq

    raw = (pq.read_schema(path).metadata or {}).get(key.encode())
    return None if raw is None else raw.decode()


def write_text(path: str | Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_npy(path: str | Path, arr: np.ndarray) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, arr)
    return Path(path)


def sha256_file(path: str | Path, bufsize: int = 1 << 20) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while True:
            b = fh.read(bufsize)
            if not b:
                break
            h.update(b)
    return h.hexdigest()
