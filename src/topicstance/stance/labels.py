"""Read and check a labelled stance table.

Columns: ``text``, ``target``, ``stance`` (FAVOR/AGAINST/NONE, case-insensitive),
optional ``split`` (train/test), ``unit_id`` (sha256 of the text, first 16
hex digits; computed with :func:`unit_id` when absent), ``source`` (where the
unit comes from: ``seed``, ``bbc``, ``propaganda_diary``, ...; default
``labels``), ``group`` (units that must stay on one side of a split and are
resampled together: a story, a release; default the unit itself) and ``kind``
(a source's own sub-type, e.g. ``claim``/``debunk``; default empty). The file is
read by :func:`topicstance.tables.read_table` (CSV, JSONL or Parquet; every cell
text, only an empty cell missing), and messages name the line a record starts
on, as an editor shows it (the header is line 1).

Problems are errors naming the file and the row: a missing column, an empty
text or target, an unknown stance, an unknown split value, and the same
(text, target) labelled twice with different stances. Exact duplicate rows are
the one documented skip: they are dropped and counted in ``df.attrs``.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

import pandas as pd

from ..errors import InputError
from . import CLASSES

SPLITS = ("train", "test")


def normalise_text(text: str) -> str:
    """NFC, whitespace collapsed, stripped: the form that unit ids hash."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(text))).strip()


def unit_id(text: str) -> str:
    """Content key of a unit, as docs/annotation.md defines it: the first 16 hex
    digits of the sha256 of the paragraph text (UTF-8), so labels survive re-chunking."""
    return hashlib.sha256(str(text).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def target_key(target: str) -> str:
    """Targets match case-insensitively and ignoring surrounding space."""
    return normalise_text(target).casefold()


def read_table_any(path: str | Path, columns: dict | None = None) -> pd.DataFrame:
    """The table's cells (:func:`topicstance.tables.read_table`); missing cells are ``""``."""
    from ..tables import read_table

    t = read_table(path, columns=columns)
    df = t.df.where(t.df.notna(), "") if len(t.df.columns) else t.df
    df.attrs["lines"] = list(t.lines)
    df.attrs["unit"] = t.unit
    df.attrs["skipped"] = list(t.skipped)
    return df


def _where(df: pd.DataFrame, path, i: int) -> str:
    """``FILE: line N`` of record ``i`` (as read by :func:`read_table_any`)."""
    lines = df.attrs.get("lines")
    return f"{path}: {df.attrs.get('unit', 'line')} {lines[i] if lines else i + 2}"


def check_columns(df: pd.DataFrame, cols: tuple[str, ...], where) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(f"{where}: missing column {missing[0]!r} (has: {', '.join(map(str, df.columns))})")


def check_texts(df: pd.DataFrame, where, cols: tuple[str, ...] = ("text",)) -> None:
    for col in cols:
        vals = df[col]
        for i, v in enumerate(vals.tolist()):
            if v is None or (isinstance(v, float) and v != v) or not str(v).strip():
                raise InputError(f"{_where(df, where, i)}: column {col!r} is empty")


def parse_stance(value, where, i: int, df: pd.DataFrame | None = None) -> str:
    s = str(value).strip().upper() if value is not None else ""
    if s not in CLASSES:
        at = _where(df, where, i) if df is not None else f"{where}: line {i + 2}"
        raise InputError(f"{at}: unknown stance {value!r} (expected FAVOR, AGAINST or NONE)")
    return s


def read_labels(path: str | Path, *, split: str | None = None, require_split: bool = False,
                on_conflict: str = "error") -> pd.DataFrame:
    """Validated labels; with ``split`` only the rows whose ``split`` equals it.

    Returns columns ``unit_id, text, target, stance, source, group, kind`` (+
    ``split`` when present), the line (row for Parquet) each record starts on in
    ``row``; ``df.attrs['n_duplicates_dropped']`` counts the exact duplicate rows
    skipped and ``df.attrs['skipped']`` lists the JSONL lines that could not be read.
    A (text, target) pair labelled with different stances is an error naming
    the rows, or with ``on_conflict="drop"`` every row of such a pair is dropped
    (published data sets hold such rows) and ``df.attrs['conflicts_dropped']``
    counts the pairs and rows.
    """
    if on_conflict not in ("error", "drop"):
        raise ValueError(f"on_conflict must be 'error' or 'drop', got {on_conflict!r}")
    p = Path(path)
    df = read_table_any(p)
    check_columns(df, ("text", "target", "stance"), p)
    if (split is not None or require_split) and "split" not in df.columns:
        raise InputError(f"{p}: missing column 'split' (assign one with `topicstance stance split {p}`)")
    if len(df) == 0:
        raise InputError(f"{p}: no labelled rows")
    check_texts(df, p, ("text", "target"))
    lines, unit = df.attrs["lines"], df.attrs["unit"]
    out = pd.DataFrame({
        "row": list(lines),
        "text": df["text"].astype(str).tolist(),
        "target": [normalise_text(t) for t in df["target"]],
        "stance": [parse_stance(v, p, i, df) for i, v in enumerate(df["stance"].tolist())],
    })
    if "unit_id" in df.columns and df["unit_id"].astype(str).str.strip().ne("").all():
        out.insert(0, "unit_id", df["unit_id"].astype(str).str.strip().tolist())
    else:
        out.insert(0, "unit_id", [unit_id(t) for t in out["text"]])
    for col in ("source", "group", "kind"):
        vals = [str(v).strip() for v in df[col]] if col in df.columns else [""] * len(df)
        if col == "source":
            vals = [v or "labels" for v in vals]
        elif col == "group":
            vals = [v or u for v, u in zip(vals, out["unit_id"])]
        out[col] = vals
    if "split" in df.columns:
        sp = [str(s).strip().lower() for s in df["split"]]
        for i, s in enumerate(sp):
            if s not in SPLITS and not (s == "" and not require_split and split is None):
                raise InputError(f"{_where(df, p, i)}: unknown split {df['split'].iloc[i]!r} (expected train or test)")
        out["split"] = sp
    # duplicates: identical rows are skipped (counted); conflicting labels are an error
    key = out["text"].map(normalise_text) + "\0" + out["target"].map(target_key)
    dup_exact = pd.Series(list(zip(key, out["stance"]))).duplicated().to_numpy()
    n_dup = int(dup_exact.sum())
    out = out.loc[~dup_exact].reset_index(drop=True)
    key = key.loc[~dup_exact].reset_index(drop=True)
    conflict = key.duplicated(keep=False)
    dropped = {"pairs": 0, "rows": 0}
    if conflict.any() and on_conflict == "drop":
        dropped = {"pairs": int(key[conflict].nunique()), "rows": int(conflict.sum()),
                   "first_rows": out.loc[conflict, "row"].tolist()[:5]}
        out = out.loc[~conflict.to_numpy()].reset_index(drop=True)
        key = key.loc[~conflict.to_numpy()].reset_index(drop=True)
    elif conflict.any():
        rows = out.loc[conflict, "row"].tolist()
        k = key[conflict].iloc[0]
        same = out.loc[key == k, "row"].tolist()
        raise InputError(f"{p}: {unit}s {same[0]} and {same[1]}: the same text and target are labelled "
                         f"{out.loc[key == k, 'stance'].iloc[0]} and {out.loc[key == k, 'stance'].iloc[1]}"
                         f" ({len(rows)} conflicting rows in all; without --strict, `stance train` drops them)")
    if split is not None:
        out = out.loc[out["split"] == split].reset_index(drop=True)
        if len(out) == 0:
            raise InputError(f"{p}: no rows with split == {split!r}")
    out.attrs["n_duplicates_dropped"] = n_dup
    out.attrs["conflicts_dropped"] = dropped
    out.attrs["path"] = str(p)
    out.attrs["skipped"] = list(df.attrs.get("skipped", []))
    return out


def check_trainable(df: pd.DataFrame, where) -> list[str]:
    """Refuse data no classifier can learn from; return warnings for weak targets."""
    classes = sorted(set(df["stance"]))
    if len(classes) < 2:
        raise InputError(f"{where}: all {len(df)} labelled rows are {classes[0]}: need at least two stance classes")
    warnings = []
    for t, g in df.groupby(df["target"].map(target_key), sort=True):
        cls = sorted(set(g["stance"]))
        if len(cls) < 2:
            warnings.append(f"{where}: target {g['target'].iloc[0]!r} has a single class ({cls[0]}, "
                            f"{len(g)} rows): its own weights learn only that class; the shared weights still "
                            "learn from its rows")
    return warnings
