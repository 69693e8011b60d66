"""Label pools beyond the seeds: units, the press-release sample, grouped splits.

Two real corpora feed the stance labels (``../shared/corpora``):

* the **propaganda diary** (``cases.csv``): a unit is one row, its ``text``
  stripped; its group is the case's ``fake`` heading, since up to 61 rows
  tell one story;
* the **presidential press releases** (``kremlin.csv``,
  ``president_of_ukraine.csv``): a unit is one chunk of a release, made by the
  project's chunker with the committed ``chunk`` params; its group is the
  release (``link``).

A unit's id is :func:`topicstance.stance.labels.unit_id` of its text, as for
the seeds. Everything here is deterministic given its seed, and the files it
feeds are written once, before labelling (``scripts/make_label_pools.py``).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .labels import unit_id

PRESS_SOURCES = {"kremlin": "kremlin.csv", "president_of_ukraine": "president_of_ukraine.csv"}


def mention_pattern(targets: dict[str, list[str]]) -> re.Pattern:
    """Whole-word match of any target name or alias (a sampling filter, never a label)."""
    words = sorted({w for t, al in targets.items() for w in [t, *al]}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b")


def propaganda_units(cases_csv: str | Path) -> pd.DataFrame:
    """One unit per row of ``cases.csv``: ``unit_id, source, group, kind, case_id, date, media, text``."""
    p = Path(cases_csv)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    text = df["text"].str.strip()
    out = pd.DataFrame({"unit_id": [unit_id(t) for t in text], "source": "propaganda_diary",
                        "group": df["fake"], "kind": df["kind"], "case_id": df["id"],
                        "date": df["date"], "media": df["media"], "text": text})
    dup = out["unit_id"].duplicated()
    return out.loc[~dup].reset_index(drop=True)


def press_release_chunks(folder: str | Path, tokenizer, max_tokens: int, overlap_sentences: int,
                         pattern: re.Pattern | None = None) -> pd.DataFrame:
    """Every chunk of every release (optionally only those matching ``pattern``), unique by ``unit_id``.

    Columns ``unit_id, source, group, headline, date, month, position, text``;
    the first occurrence of a repeated chunk text is kept.
    """
    from ..chunk import chunk_text

    rows = []
    for source, name in PRESS_SOURCES.items():
        p = Path(folder) / name
        if not p.exists():
            raise InputError(f"{p}: file not found")
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
        for link, head, date, body in zip(df["link"], df["headline"], df["date"], df["body"]):
            for pos, c in enumerate(chunk_text(body, tokenizer, max_tokens, overlap_sentences)):
                if pattern is not None and not pattern.search(c.text):
                    continue
                rows.append({"unit_id": unit_id(c.text), "source": source, "group": link, "headline": head,
                             "date": date, "month": date[:7], "position": pos, "text": c.text})
    out = pd.DataFrame(rows)
    return out.loc[~out["unit_id"].duplicated()].reset_index(drop=True)


def stratified_draw(units: pd.DataFrame, per_source: int, seed: int,
                    strata: tuple[str, ...] = ("source", "month")) -> pd.DataFrame:
    """``per_source`` units from each source, allocated to its strata in proportion to their size.

    Largest-remainder allocation; within a stratum a seeded random sample.
    """
    rng = np.random.default_rng(seed)
    picked = []
    for source, g in units.groupby("source", sort=True):
        if len(g) < per_source:
            raise InputError(f"source {source}: only {len(g)} units to draw {per_source} from")
        sizes = g.groupby(list(strata[1:]), sort=True).size()
        quota = sizes / sizes.sum() * per_source
        n = np.floor(quota).astype(int)
        rest = per_source - int(n.sum())
        order = np.argsort(-(quota - n).to_numpy(), kind="stable")
        n.iloc[order[:rest]] += 1
        for key, k in n.items():
            key = key if isinstance(key, tuple) else (key,)
            m = np.ones(len(g), dtype=bool)
            for col, val in zip(strata[1:], key):
                m &= (g[col] == val).to_numpy()
            cell = g.loc[m]
            take = rng.choice(len(cell), size=int(k), replace=False)
            picked.append(cell.iloc[np.sort(take)])
    return pd.concat(picked).sort_values(["source", "date", "group", "position"]).reset_index(drop=True)


def grouped_test_units(units: pd.DataFrame, strat_col: str, fraction: float, seed: int) -> list[str]:
    """Unit ids of a test split by group (``group`` column), stratified by ``strat_col``.

    scikit-learn's StratifiedGroupKFold with ``round(1 / fraction)`` folds; the
    fold whose unit share is closest to ``fraction`` is the test split. No group
    sits on both sides.
    """
    from sklearn.model_selection import StratifiedGroupKFold

    k = max(2, int(round(1 / fraction)))
    cv = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    best = None
    for _, te in cv.split(np.zeros(len(units)), units[strat_col].to_numpy(), units["group"].to_numpy()):
        gap = abs(len(te) / len(units) - fraction)
        if best is None or gap < best[0]:
            best = (gap, te)
    return sorted(units["unit_id"].iloc[best[1]].tolist())


def second_annotation_sample(units: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    """A seeded random ``share`` of the units of each source (rounded up), for the blind second annotator."""
    rng = np.random.default_rng(seed)
    parts = []
    for _, g in units.groupby("source", sort=True):
        k = int(np.ceil(share * len(g)))
        parts.append(g.iloc[np.sort(rng.choice(len(g), size=k, replace=False))])
    return pd.concat(parts).reset_index(drop=True)
