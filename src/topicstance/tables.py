"""The one reader of user tables: corpus tables, stance labels, prediction inputs.

``read_table(path)`` reads a ``.csv``, ``.jsonl`` or ``.parquet`` file by its
suffix, with the same rules for every caller:

* **Cells are text.** Every value comes back as ``str``, or ``None`` when it is
  missing: an empty CSV cell, a JSON ``null``, a Parquet null or NaN. Nothing
  else is missing: ``NA``, ``None`` or ``null`` written in a cell are text
  (``NONE`` is a stance label). JSON numbers and booleans are written as JSON
  writes them (``1``, ``2.5``, ``true``), lists and objects as JSON.
* **Line numbers.** A CSV is parsed with Python's ``csv`` module, so a quoted
  field may span lines; each record is numbered by the line it starts on (the
  header is line 1) and messages say ``line N``, the line an editor shows. A
  JSONL record is its line. A Parquet row is ``row N`` (counted from 0).
* **Bad input.** A malformed CSV (broken quoting, more fields than the header,
  a duplicate column name) is an error naming the file and the line. A JSONL
  line that is not a JSON object is skipped and reported in ``Table.skipped``
  (``file``, ``row`` = its line, ``reason``); blank lines are ignored.
* **Encoding.** UTF-8 (a BOM is dropped); a CSV or JSONL that is not valid
  UTF-8 is read as cp1252 (else latin-1), and ``Table.encoding`` says so.
* **Column map.** ``columns={"text": "body"}`` reads the user's ``body``
  column as ``text`` (the CLI's ``--text-col``, ``--id-col``, ``--date-col``
  and ``ingest.text_column``, ``ingest.id_column``, ``ingest.date_column``).
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import InputError

SUFFIXES = (".csv", ".jsonl", ".parquet")


@dataclass
class Table:
    """A user table: ``df`` (text cells, canonical column names), the ``line`` (CSV/JSONL) or
    ``row`` (Parquet) of each record, JSONL lines skipped, and the encoding read."""

    path: Path
    df: pd.DataFrame
    lines: list[int]
    unit: str
    skipped: list[dict] = field(default_factory=list)
    encoding: str = "utf-8"

    def where(self, i: int) -> str:
        """``FILE: line N`` for record ``i`` (0-based position in ``df``)."""
        return f"{self.path}: {self.unit} {self.lines[i]}"


def _text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, float) and math.isnan(v):
        return None
    try:
        if pd.isna(v) is True:
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(v, (bool, int, float)):
        return json.dumps(v)
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v, ensure_ascii=False, default=str)
    if hasattr(v, "tolist"):  # numpy arrays and scalars
        return _text(v.tolist())
    return str(v)


def _decode(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _read_csv(p: Path, text: str) -> tuple[list[str], list[list], list[int]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows, lines = [], []
    end = 0
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))  # an article may be longer than the 128 KiB default
    try:
        for rec in reader:
            start, end = end + 1, reader.line_num
            if not rec:  # a blank line
                continue
            if header is None:
                header = [c.strip() or f"unnamed_{i}" for i, c in enumerate(rec)]
                dup = next((c for i, c in enumerate(header) if c in header[:i]), None)
                if dup is not None:
                    raise InputError(f"{p}: line {start}: duplicate column name {dup!r}")
                continue
            if len(rec) > len(header):
                raise InputError(f"{p}: line {start}: malformed CSV ({len(rec)} fields, the header has "
                                 f"{len(header)}; quote fields that hold a comma)")
            rows.append([v if v != "" else None for v in rec] + [None] * (len(header) - len(rec)))
            lines.append(start)
    except csv.Error as exc:
        raise InputError(f"{p}: line {end + 1}: malformed CSV ({exc})") from None
    finally:
        csv.field_size_limit(limit)
    if header is None:
        raise InputError(f"{p}: empty table (no header line)")
    return header, rows, lines


def _read_jsonl(p: Path, text: str) -> tuple[list[dict], list[int], list[dict]]:
    records, lines, skipped = [], [], []
    for no, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            skipped.append({"file": p.name, "row": no, "reason": f"bad JSON line ({exc.__class__.__name__})"})
            continue
        if not isinstance(obj, dict):
            skipped.append({"file": p.name, "row": no, "reason": "JSON line is not an object"})
            continue
        records.append({str(k): _text(v) for k, v in obj.items()})
        lines.append(no)
    return records, lines, skipped


def _apply_columns(p: Path, df: pd.DataFrame, columns: dict | None) -> pd.DataFrame:
    ren = {}
    for canonical, user in (columns or {}).items():
        if not user or user == canonical:
            continue
        if user not in df.columns:
            raise InputError(f"{p}: no {user!r} column to read as {canonical!r} "
                             f"(columns: {', '.join(map(str, df.columns)) or 'none'})")
        if canonical in df.columns:
            raise InputError(f"{p}: {user!r} is read as {canonical!r}, but the table also has a {canonical!r} "
                             "column; rename one of them")
        ren[user] = canonical
    return df.rename(columns=ren) if ren else df


def read_table(path: str | Path, *, columns: dict | None = None, require: tuple[str, ...] = ()) -> Table:
    """Read a user table (see the module doc); ``require`` names columns that must be present
    (after the column map)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    if p.is_dir():
        raise InputError(f"{p}: is a folder, not a table")
    suf = p.suffix.lower()
    skipped: list[dict] = []
    encoding = "utf-8"
    if suf == ".parquet":
        try:
            raw = pd.read_parquet(p)
        except Exception as exc:  # noqa: BLE001 - any reader failure is a bad input file
            raise InputError(f"{p}: not a readable Parquet file ({type(exc).__name__})") from None
        df = pd.DataFrame({str(c): [_text(v) for v in raw[c].tolist()] for c in raw.columns}, dtype=object)
        lines, unit = list(range(len(df))), "row"
    elif suf in (".csv", ".jsonl"):
        text, encoding = _decode(p.read_bytes())
        if suf == ".csv":
            header, rows, lines = _read_csv(p, text)
            df = pd.DataFrame(rows, columns=header, dtype=object)
        else:
            records, lines, skipped = _read_jsonl(p, text)
            df = pd.DataFrame(records, dtype=object)
            df = df.astype(object).where(df.notna(), None) if len(df) else df
        unit = "line"
    else:
        raise InputError(f"{p}: unsupported table type {suf or '(none)'}; use .csv, .jsonl or .parquet")
    df = _apply_columns(p, df, columns)
    for col in require:
        if col not in df.columns:
            raise InputError(f"{p}: no {col!r} column (columns: {', '.join(map(str, df.columns)) or 'none'})")
    return Table(path=p, df=df.reset_index(drop=True), lines=lines, unit=unit, skipped=skipped, encoding=encoding)
