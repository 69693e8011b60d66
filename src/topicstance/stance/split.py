"""The frozen, stratified test split.

The unit of splitting is the labelled unit (``unit_id``, one paragraph), so
the labels of one paragraph for different targets never straddle train and
test. The first call picks the test units and writes their ids, one per line,
to a frozen file (default ``seeds/labels/test_split.txt``); every later call
only reads it. A unit is in test if and only if its id is in that file, so
labels added afterwards always go to train and the test set never changes
under a trained model.

Choosing the test units (deterministic, no random state): every
(target, stance) cell must get at least ``ceil(fraction * cell size)`` of its
units into test. Cells are served rarest first; within a cell, units are taken
in the order of ``sha256("topicstance-test-split\\0" + unit_id)``, and units
already chosen for another cell count toward this one. Each cell of two or
more units keeps at least one unit in train. The overall test share is
therefore >= ``fraction`` in every cell, a little above it overall.
"""
from __future__ import annotations

import hashlib
import math
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ..errors import InputError, ParamsError
from ..io import write_text, writes, writing
from .labels import target_key

HEADER = "# topicstance frozen test split: one unit_id per line; units not listed are train."


def _order(uid: str) -> str:
    return hashlib.sha256(f"topicstance-test-split\0{uid}".encode()).hexdigest()


def choose_test_units(labels: pd.DataFrame, fraction: float = 0.25) -> list[str]:
    """Pick the test unit ids, stratified by target x stance (see module doc)."""
    if not 0.0 < fraction < 1.0:
        raise ParamsError(f"parameter stance.test_fraction: must be in (0, 1), got {fraction}")
    cells: dict[tuple[str, str], list[str]] = {}
    for uid, tgt, st in zip(labels["unit_id"], labels["target"], labels["stance"]):
        cells.setdefault((target_key(tgt), st), []).append(uid)
    chosen: set[str] = set()
    for cell in sorted(cells, key=lambda c: (len(set(cells[c])), c)):
        units = sorted(set(cells[cell]), key=_order)
        quota = math.ceil(fraction * len(units))
        if len(units) >= 2:
            quota = min(quota, len(units) - 1)
        have = sum(u in chosen for u in units)
        for u in units:
            if have >= quota:
                break
            if u not in chosen:
                chosen.add(u)
                have += 1
    return sorted(chosen)


def read_frozen(path: str | Path) -> list[str]:
    p = Path(path)
    ids = []
    for line in p.read_text(encoding="utf-8").splitlines():
        s = line.strip()
        if s and not s.startswith("#"):
            ids.append(s)
    if not ids:
        raise InputError(f"{p}: frozen test split lists no unit ids")
    return ids


def write_frozen(path: str | Path, ids: list[str], *, source: str, fraction: float) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    body = "\n".join([HEADER, f"# created {stamp} from {source}: {len(ids)} units, fraction {fraction}",
                      *sorted(ids)]) + "\n"
    return write_text(path, body)


def read_named_splits(frozen: str | Path | dict) -> dict[str, set[str]]:
    """{split name: test unit ids} from ``stance.test_split`` (one file, or a mapping name -> file).

    Every file of a mapping must exist (a split of a labelled pool is drawn by
    group before labelling, not here); a unit listed in two splits is an error.
    """
    from ..params import test_split_files

    files = test_split_files(str(frozen) if isinstance(frozen, Path) else frozen)
    out: dict[str, set[str]] = {}
    seen: dict[str, str] = {}
    for name, f in files.items():
        fp = Path(f)
        if not fp.exists():
            raise InputError(f"{fp}: test split file {name!r} not found (parameter stance.test_split)")
        ids = set(read_frozen(fp))
        for u in ids:
            if u in seen:
                raise InputError(f"{fp}: unit {u} is also in test split {seen[u]!r}")
            seen[u] = name
        out[name] = ids
    return out


def split_of_units(unit_ids, named: dict[str, set[str]]) -> list[str]:
    """The test split name of each unit, or ``""`` for a train unit."""
    where = {u: n for n, ids in named.items() for u in ids}
    return [where.get(u, "") for u in unit_ids]


def assign_split(labels: pd.DataFrame, frozen: str | Path | dict, fraction: float = 0.25,
                 *, source: str = "labels") -> tuple[pd.DataFrame, dict]:
    """Return ``labels`` with ``split`` set from the frozen file(s) and a summary.

    A single frozen file that does not exist yet is created (stratified, see the
    module doc); a mapping of several files is read only.
    """
    created = False
    if isinstance(frozen, dict):
        test_ids = set().union(*read_named_splits(frozen).values())
        fp = Path(next(iter(frozen.values())))
    else:
        fp = Path(frozen)
        if fp.exists():
            test_ids = set(read_frozen(fp))
        else:
            test_ids = set(choose_test_units(labels, fraction))
            write_frozen(fp, sorted(test_ids), source=source, fraction=fraction)
            created = True
    out = labels.copy()
    out["split"] = ["test" if u in test_ids else "train" for u in out["unit_id"]]
    n_test_units = int(out.loc[out["split"] == "test", "unit_id"].nunique())
    summary = {
        "frozen_file": ", ".join(map(str, frozen.values())) if isinstance(frozen, dict) else str(fp),
        "created": created,
        "units": int(out["unit_id"].nunique()), "test_units": n_test_units,
        "rows_train": int((out["split"] == "train").sum()), "rows_test": int((out["split"] == "test").sum()),
        "frozen_ids_missing_from_labels": int(len(test_ids - set(out["unit_id"]))),
        "cells": {f"{t}/{s}": {"train": int(((g["split"] == "train")).sum()), "test": int((g["split"] == "test").sum())}
                  for (t, s), g in out.groupby(["target", "stance"], sort=True)},
    }
    return out, summary


@writes("stance split", inputs=("path",))
def split_labels_file(path: str | Path, frozen: str | Path | dict, fraction: float = 0.25,
                      out: str | Path | None = None) -> dict:
    """Write the ``split`` column of a labels CSV (in place unless ``out``), keeping every other column."""
    from .labels import read_labels, read_table_any, unit_id

    p = Path(path)
    checked = read_labels(p)  # validates stances, texts, conflicts
    raw = read_table_any(p)
    if "unit_id" not in raw.columns or raw["unit_id"].astype(str).str.strip().eq("").any():
        raw["unit_id"] = [unit_id(t) for t in raw["text"]]
    _, summary = assign_split(checked, frozen, fraction, source=p.name)
    test_ids = set().union(*read_named_splits(frozen).values())
    raw["split"] = ["test" if str(u).strip() in test_ids else "train" for u in raw["unit_id"]]
    dest = Path(out) if out else p
    with writing("stance split", in_place=[] if out else [p]):  # in place: the user asked for exactly this file
        write_text(dest, raw.to_csv(index=False))
    summary["written"] = str(dest)
    return summary
