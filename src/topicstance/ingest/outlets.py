"""The outlet of each document: who published it (a newspaper, a site, a ministry).

``outlet`` is kept apart from ``source`` (the input path or the table's ``source``
column). It comes from one of two places:

* a table: the column named by ``ingest.outlet_column`` (default ``outlet``;
  ``--outlet-col`` on ``ingest`` and ``run``);
* a folder: the sidecar ``outlets.csv`` at the corpus root, with columns
  ``path,outlet``. ``path`` is a file or a folder relative to the root
  (``kremlin/`` covers every file below it, ``.`` the whole corpus); the
  longest matching path wins. The sidecar itself is not read as a document.

Documents no entry covers have no outlet (null).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputError

SIDECAR = "outlets.csv"
DEFAULT_COLUMN = "outlet"


def _norm(path: str) -> str:
    s = path.strip().replace("\\", "/")
    while s.startswith("./"):
        s = s[2:]
    s = s.strip("/")
    return "" if s == "." else s


@dataclass
class OutletMap:
    """``path -> outlet`` entries of a sidecar file; records which entries were used."""

    file: str
    entries: dict[str, tuple[str, int]]  # normalised path -> (outlet, line)
    used: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, path: Path) -> "OutletMap":
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: unreadable outlet map ({type(exc).__name__})") from None
        except pd.errors.EmptyDataError:
            raise InputError(f"{path}: empty outlet map (expected columns path,outlet)") from None
        missing = [c for c in ("path", "outlet") if c not in df.columns]
        if missing:
            raise InputError(f"{path}: no {missing[0]!r} column (an outlet map has columns path,outlet; "
                             f"has: {', '.join(map(str, df.columns))})")
        entries: dict[str, tuple[str, int]] = {}
        for i, (p, o) in enumerate(zip(df["path"], df["outlet"])):
            line = i + 2
            if not str(o).strip():
                raise InputError(f"{path}: line {line}: empty outlet for path {p!r}")
            key = _norm(str(p))
            if not str(p).strip():
                raise InputError(f"{path}: line {line}: empty path (use '.' for the whole corpus)")
            if key in entries:
                raise InputError(f"{path}: line {line}: path {p!r} is listed twice (first at line {entries[key][1]})")
            entries[key] = (str(o).strip(), line)
        return cls(path.name, entries)

    def outlet_of(self, rel: str) -> str | None:
        """The outlet of the file at ``rel`` (relative to the corpus root), or None."""
        rel = _norm(rel)
        parts = rel.split("/")
        for k in range(len(parts), -1, -1):
            key = "/".join(parts[:k])
            if key in self.entries:
                self.used.add(key)
                return self.entries[key][0]
        return None

    def unused(self) -> list[str]:
        """Entries that matched no document (a typo in a path is easy to make)."""
        return [p or "." for p in self.entries if p not in self.used]


def folder_outlets(root: Path) -> OutletMap | None:
    """The sidecar of a corpus folder, or None when it has none."""
    f = root / SIDECAR
    return OutletMap.read(f) if f.is_file() else None
