"""Read a corpus: a folder of .txt/.md files, or a CSV/JSONL/Parquet table.

Yields raw records and records every skipped file or row with its reason.
Symlinks that lead outside the corpus folder are never followed. Tables are
read by :func:`topicstance.tables.read_table` (the rules every user table follows).
Each record carries its outlet (see :mod:`.outlets`): a table's outlet column, or
the folder's ``outlets.csv`` sidecar.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputError
from .decode import Skip, decode_bytes
from .outlets import DEFAULT_COLUMN, SIDECAR, OutletMap, folder_outlets

TEXT_SUFFIXES = {".txt", ".md"}
TABLE_SUFFIXES = {".csv", ".jsonl", ".parquet"}


@dataclass
class RawDoc:
    source: str
    text: str
    encoding: str = "utf-8"
    article_id: str | None = None  # tables: the input id
    title: str | None = None
    date: str | None = None
    extra: dict = field(default_factory=dict)
    row: int | None = None
    unit: str = "line"  # what ``row`` counts: "line" (CSV, JSONL) or "row" (Parquet)
    outlet: str | None = None


@dataclass
class ReadLog:
    files_read: int = 0
    rows_read: int = 0
    skipped: list = field(default_factory=list)  # {"file", "row"?, "reason"}
    encodings: dict = field(default_factory=dict)  # encoding -> count
    fallbacks: list = field(default_factory=list)  # files decoded as cp1252/latin-1
    outlet_from: str | None = None  # "column 'media'", "outlets.csv", or None
    outlet_map: OutletMap | None = None


def read_corpus(corpus: str | Path, log: ReadLog, columns: dict | None = None,
                outlet_column: str = DEFAULT_COLUMN) -> tuple[str, list[RawDoc]]:
    """Return ``(kind, docs)`` where kind is 'folder' or 'table'; ``columns`` maps a table's own
    column names (``{"text": "body"}``, see :mod:`topicstance.tables`); ``outlet_column``: the table
    column that holds the outlet (a column named other than the default must exist)."""
    p = Path(corpus)
    if not p.exists() and not p.is_symlink():
        raise InputError(f"{p}: corpus not found (give a folder of .txt/.md files or a .csv/.jsonl/.parquet table)")
    if p.is_dir():
        return "folder", list(_read_folder(p, log))
    suf = p.suffix.lower()
    if suf in TABLE_SUFFIXES:
        return "table", _read_table(p, log, columns, outlet_column)
    if suf in TEXT_SUFFIXES:
        return "folder", list(_read_files(p.parent, [p], log))
    raise InputError(f"{p}: unsupported corpus file type {suf or '(none)'}; "
                     "use a folder, .txt, .md, .csv, .jsonl or .parquet")


def _read_folder(root: Path, log: ReadLog):
    root_res = root.resolve()
    log.outlet_map = folder_outlets(root)
    if log.outlet_map is not None:
        log.outlet_from = SIDECAR
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dpath = Path(dirpath)
        for d in sorted(dirnames):
            if (dpath / d).is_symlink():
                log.skipped.append({"file": _rel(dpath / d, root), "reason": "symlinked folder not followed"})
        dirnames[:] = sorted(d for d in dirnames if not (dpath / d).is_symlink() and not d.startswith("."))
        for f in sorted(filenames):
            if log.outlet_map is not None and dpath == root and f == SIDECAR:
                continue  # the outlet map is metadata, not a document
            files.append(dpath / f)
    yield from _read_files(root, files, log, root_res)


def _read_files(root: Path, files: list[Path], log: ReadLog, root_res: Path | None = None):
    root_res = root_res or root.resolve()
    for f in files:
        rel = _rel(f, root)
        if f.name.startswith("."):
            log.skipped.append({"file": rel, "reason": "hidden file"})
            continue
        if f.suffix.lower() not in TEXT_SUFFIXES:
            log.skipped.append({"file": rel, "reason": f"unsupported file type {f.suffix or '(none)'}"})
            continue
        if f.is_symlink():
            target = f.resolve()
            if not _inside(target, root_res):
                log.skipped.append({"file": rel, "reason": "symlink leading outside the corpus folder"})
                continue
        if not f.is_file():
            log.skipped.append({"file": rel, "reason": "not a regular file"})
            continue
        try:
            data = f.read_bytes()
        except OSError as exc:
            log.skipped.append({"file": rel, "reason": f"unreadable: {exc.strerror or exc}"})
            continue
        log.files_read += 1
        try:
            text, enc = decode_bytes(data)
        except Skip as exc:
            log.skipped.append({"file": rel, "reason": str(exc)})
            continue
        log.encodings[enc] = log.encodings.get(enc, 0) + 1
        if enc in ("cp1252", "latin-1"):
            log.fallbacks.append({"file": rel, "encoding": enc})
        outlet = log.outlet_map.outlet_of(rel) if log.outlet_map is not None else None
        yield RawDoc(source=rel, text=text, encoding=enc, outlet=outlet)


def _rel(f: Path, root: Path) -> str:
    try:
        return f.relative_to(root).as_posix()
    except ValueError:
        return f.name


def _inside(target: Path, root: Path) -> bool:
    try:
        target.relative_to(root)
        return True
    except ValueError:
        return False


def _read_table(p: Path, log: ReadLog, columns: dict | None = None, outlet_column: str = DEFAULT_COLUMN) -> list[RawDoc]:
    from ..tables import read_table

    log.files_read += 1
    t = read_table(p, columns=columns, require=("text",))
    if t.encoding != "utf-8":
        log.fallbacks.append({"file": p.name, "encoding": t.encoding})
    rows, unit, df = list(zip(t.lines, t.df.to_dict("records"))), t.unit, t.df
    has_id = "id" in df.columns
    # a skipped line of a table without ids keeps the id its row would have had (row-N), so
    # skipped.parquet gives it a result; with an id column, an unreadable line has no id to key it
    log.skipped += [s if has_id else {**s, "id": f"row-{s['row']}"} for s in t.skipped]
    has_outlet = outlet_column in df.columns
    if not has_outlet and outlet_column != DEFAULT_COLUMN:
        raise InputError(f"{p}: no {outlet_column!r} column for the outlet (ingest.outlet_column / --outlet-col; "
                         f"columns: {', '.join(map(str, df.columns))})")
    if has_outlet:
        log.outlet_from = f"column {outlet_column!r}"
    docs: list[RawDoc] = []
    seen_ids: dict[str, int] = {}
    for no, r in rows:
        log.rows_read += 1
        text = r.get("text")
        rid = _cell(r.get("id")) if has_id else None
        if has_id and rid is None:
            raise InputError(f"{p}: {unit} {no}: empty id")
        if rid is not None:
            if rid in seen_ids:
                raise InputError(f"{p}: {unit} {no}: duplicate id {rid!r} (first at {unit} {seen_ids[rid]})")
            seen_ids[rid] = no
        if not isinstance(text, str) or not text.strip():
            log.skipped.append({"file": p.name, "row": no, "id": rid or f"row-{no}", "reason": "empty or missing text"})
            continue
        extra = {k: _cell(v) for k, v in r.items() if k not in ("id", "text", "title", "date", "source", "outlet")}
        docs.append(RawDoc(source=_cell(r.get("source")) or p.name, text=text, article_id=rid or f"row-{no}",
                           title=_cell(r.get("title")), date=_cell(r.get("date")), extra=extra, row=no, unit=unit,
                           outlet=_cell(r.get(outlet_column)) if has_outlet else None))
    return docs


def _cell(v):
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    s = str(v).strip()
    return s or None
