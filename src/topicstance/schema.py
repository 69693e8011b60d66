"""The data contract (see docs/schema.md), checked at every stage boundary.

Each table has required columns with a dtype family; ``validate`` raises
:class:`InputError` naming the file and the first offending column or row.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .errors import InputError

# column -> dtype family: "str", "int", "float", "str?" (nullable string), "any"
ARTICLES = {
    "article_id": "str",
    "source": "str",
    "outlet": "str?",
    "title": "str?",
    "text": "str",
    "date": "str?",
    "page_date": "str?",
    "tags": "any",
    "summary": "str?",
}
DUPLICATES = {"article_id": "str", "duplicate_of": "str", "similarity": "float"}
SKIPPED = {"article_id": "str", "source": "str", "reason": "str"}
CHUNKS = {
    "chunk_id": "str",
    "article_id": "str",
    "position": "int",
    "char_start": "int",
    "char_end": "int",
    "n_tokens": "int",
    "text": "str",
}
TOPICS = {"chunk_id": "str", "topic_raw": "int", "topic": "int", "probability": "float"}
ARTICLE_TOPICS = {"article_id": "str", "topic": "int", "topic_label": "str", "topic_mix": "str",
                  "duplicate_of": "str?", "skipped": "str?"}
STANCE = {"chunk_id": "str", "article_id": "str", "target": "str", "stance": "str",
          "p_favor": "float", "p_against": "float", "p_none": "float"}
LABELS = {"text": "str", "target": "str", "stance": "str"}
STANCE_LABELS = ("FAVOR", "AGAINST", "NONE")

UNIQUE = {"articles": "article_id", "chunks": "chunk_id"}


def _family_ok(series: pd.Series, fam: str) -> bool:
    if fam == "any":
        return True
    if fam == "int":
        return pd.api.types.is_integer_dtype(series)
    if fam == "float":
        return pd.api.types.is_float_dtype(series) or pd.api.types.is_integer_dtype(series)
    nonnull = series.dropna()
    if fam == "str":
        if series.isna().any():
            return False
    return bool(nonnull.map(lambda v: isinstance(v, str)).all())


def validate(df: pd.DataFrame, contract: dict, where: str | Path, *, unique: str | None = None) -> pd.DataFrame:
    """Check columns and dtypes; return ``df`` unchanged when it conforms."""
    missing = [c for c in contract if c not in df.columns]
    if missing:
        raise InputError(f"{where}: missing column {missing[0]!r} (has: {', '.join(map(str, df.columns))})")
    for col, fam in contract.items():
        if not _family_ok(df[col], fam):
            bad = df[col]
            if fam == "str" and bad.isna().any():
                row = int(bad.isna().to_numpy().nonzero()[0][0])
                raise InputError(f"{where}: row {row}: column {col!r} is empty")
            raise InputError(f"{where}: column {col!r} should be {fam.rstrip('?')}, got {bad.dtype}")
    if unique is not None and df[unique].duplicated().any():
        row = int(df[unique].duplicated().to_numpy().nonzero()[0][0])
        raise InputError(f"{where}: row {row}: duplicate {unique} {df[unique].iloc[row]!r}")
    return df


def read_table(path: str | Path, contract: dict, *, unique: str | None = None) -> pd.DataFrame:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    try:
        df = pd.read_parquet(p)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad input file
        raise InputError(f"{p}: not a readable Parquet file ({type(exc).__name__})") from None
    return validate(df, contract, p, unique=unique)
