"""``topic_overrides.yaml``: user merges and renames, applied after every fit.

Format (ids are the ones in reports/topics.csv)::

    merge:            # each list becomes one topic with the list's first id
      - [3, 7, 12]
    rename:
      3: Energy prices

Because ids are stable across re-runs (see ``stable_ids``), the same file
keeps meaning the same topics. Ids that a fit no longer has are reported
and skipped, not an error. A missing file means no overrides.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from ..errors import ParamsError


@dataclass(frozen=True)
class Overrides:
    merges: tuple = ()           # tuple of tuples of ids; the first id is kept
    rename: dict = field(default_factory=dict)
    source: str = ""

    @property
    def empty(self) -> bool:
        return not self.merges and not self.rename

    def as_dict(self) -> dict:
        return {"source": self.source, "merge": [list(g) for g in self.merges],
                "rename": {str(k): v for k, v in self.rename.items()}}


def _as_id(v, where: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise ParamsError(f"{where}: topic id must be an integer, got {v!r}")
    try:
        t = int(v)
    except ValueError:
        raise ParamsError(f"{where}: topic id must be an integer, got {v!r}") from None
    if t < 0:
        raise ParamsError(f"{where}: topic id must be >= 0 (outliers cannot be merged or renamed), got {t}")
    return t


def parse(raw, where: str) -> Overrides:
    if raw is None:
        return Overrides(source=where)
    if not isinstance(raw, dict):
        raise ParamsError(f"{where}: top level must be a mapping with 'merge' and/or 'rename'")
    unknown = sorted(set(raw) - {"merge", "rename"})
    if unknown:
        raise ParamsError(f"{where}: unknown key {unknown[0]!r} (known: merge, rename)")
    merges, seen = [], {}
    for i, g in enumerate(raw.get("merge") or []):
        if not isinstance(g, (list, tuple)) or len(g) < 2:
            raise ParamsError(f"{where}: merge[{i}] must be a list of two or more topic ids, got {g!r}")
        ids = [_as_id(v, f"{where}: merge[{i}]") for v in g]
        for t in ids:
            if t in seen:
                raise ParamsError(f"{where}: merge[{i}]: topic {t} is already in merge[{seen[t]}]")
            seen[t] = i
        merges.append(tuple(ids))
    ren = raw.get("rename") or {}
    if not isinstance(ren, dict):
        raise ParamsError(f"{where}: rename must be a mapping of topic id to label")
    rename = {}
    for k, v in ren.items():
        t = _as_id(k, f"{where}: rename")
        if not isinstance(v, str) or not v.strip():
            raise ParamsError(f"{where}: rename[{t}] must be a non-empty string, got {v!r}")
        rename[t] = v.strip()
    return Overrides(tuple(merges), rename, where)


def load_overrides(path: str | Path | None) -> Overrides:
    """Read the overrides file; a missing file (or ``None``) means no overrides."""
    if path is None:
        return Overrides()
    p = Path(path)
    if not p.exists():
        return Overrides(source=f"{p} (missing: no overrides)")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParamsError(f"{p}: not valid YAML ({str(exc).splitlines()[0]})") from None
    return parse(raw, str(p))


def apply_merges(labels: np.ndarray, ov: Overrides, present: set[int]) -> tuple[np.ndarray, list[dict], list[str]]:
    """Relabel merged topics to each group's first id; report what happened and what was skipped."""
    labels = np.asarray(labels, dtype=np.int64).copy()
    done, skipped = [], []
    for g in ov.merges:
        have = [t for t in g if t in present]
        missing = [t for t in g if t not in present]
        if missing:
            skipped.append(f"merge {list(g)}: topic(s) {missing} not in this model")
        if len(have) < 1 or (len(have) == 1 and have[0] == g[0]):
            continue
        target = g[0]
        for t in have:
            labels[labels == t] = target
        done.append({"into": int(target), "topics": [int(t) for t in have]})
    return labels, done, skipped


def apply_renames(labels_txt: dict[int, str], ov: Overrides) -> tuple[dict[int, str], list[str]]:
    out = dict(labels_txt)
    skipped = []
    for t, name in ov.rename.items():
        if t in out:
            out[t] = name
        else:
            skipped.append(f"rename {t}: topic not in this model")
    return out, skipped

