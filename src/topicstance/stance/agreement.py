"""Inter-annotator agreement of a blind second annotation (docs/annotation.md, step 3).

The first annotator's labels are not kept as a file of their own: the final
labels (``stance.csv``) are the first labels with the adjudicated disagreements
resolved, and ``adjudication.csv`` records each disagreement's ``first``,
``blind`` and ``final`` label. So the first labels are rebuilt as the final ones
with ``first`` put back wherever an adjudication row says so, and compared with
the blind labels (``unit_id, target, stance``) unit by unit, per target:
Cohen's kappa, raw agreement and the number of disagreements, over all
sources and, by the labels' ``source`` column, per source with the share of
its units that were double-annotated.

A blind row whose (unit, target) has no final label is an error naming the row,
and so is a blind label that disagrees with the rebuilt first label without an
adjudication row: nothing is matched silently.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError
from .labels import target_key


def _read(path, cols) -> pd.DataFrame:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(f"{p}: missing column {missing[0]!r}")
    return df


def cohen_kappa(a: list[str], b: list[str]) -> float:
    """Cohen's kappa of two label lists (scikit-learn's), 1.0 when both use one and the same label
    throughout (where scikit-learn's is undefined)."""
    from sklearn.metrics import cohen_kappa_score

    if len(a) != len(b) or not a:
        raise ValueError("cohen_kappa needs two non-empty lists of equal length")
    if len(set(a) | set(b)) == 1:
        return 1.0
    return float(cohen_kappa_score(a, b))


def agreement(labels_path, blind_path, adjudication_path=None) -> dict:
    """Per-target agreement between the rebuilt first labels and the blind second labels."""
    final = _read(labels_path, ["unit_id", "target", "stance"])
    blind = _read(blind_path, ["unit_id", "target", "stance"])
    adj = _read(adjudication_path, ["unit_id", "target", "first", "blind", "final"]) if adjudication_path else None
    first = {(u, target_key(t)): s.upper() for u, t, s in zip(final["unit_id"], final["target"], final["stance"])}
    adjudicated = set()
    if adj is not None:
        for i, r in enumerate(adj.itertuples(index=False), start=2):
            key = (r.unit_id, target_key(r.target))
            if key not in first:
                raise InputError(f"{adjudication_path}: row {i}: unit {r.unit_id} / {r.target} has no final label")
            if first[key] != r.final.upper():
                raise InputError(f"{adjudication_path}: row {i}: final {r.final} differs from the label in "
                                 f"{labels_path} ({first[key]})")
            first[key] = r.first.upper()
            adjudicated.add(key)
    source = {u: (str(src).strip() or "labels") for u, src in
              zip(final["unit_id"], final["source"] if "source" in final.columns else [""] * len(final))}
    rows: list[tuple[str, str, str, str, str]] = []  # (source, target key, target name, first, blind)
    for i, r in enumerate(blind.itertuples(index=False), start=2):
        key = (r.unit_id, target_key(r.target))
        if key not in first:
            raise InputError(f"{blind_path}: row {i}: unit {r.unit_id} / {r.target} has no label in {labels_path}")
        b = r.stance.upper()
        if b != first[key] and key not in adjudicated:
            raise InputError(f"{blind_path}: row {i}: blind {b} differs from the first label {first[key]} "
                             f"but no adjudication row records how it was resolved")
        rows.append((source[r.unit_id], key[1], r.target, first[key], b))
    units_of = {}
    for u, src in source.items():
        units_of.setdefault(src, set()).add(u)
    blind_units = {}
    for u in blind["unit_id"]:
        blind_units.setdefault(source[u], set()).add(u)
    out = {"n_units_double_annotated": int(blind["unit_id"].nunique()), "per_target": _per_target(rows),
           "per_source": {}}
    for src in sorted(blind_units):
        out["per_source"][src] = {
            "n_units": len(units_of[src]), "n_units_double_annotated": len(blind_units[src]),
            "share_double_annotated": round(len(blind_units[src]) / len(units_of[src]), 4),
            "per_target": _per_target([r for r in rows if r[0] == src])}
    return out


def _per_target(rows) -> dict:
    per: dict[str, dict] = {}
    names: dict[str, str] = {}
    for _, k, name, a, b in rows:
        names.setdefault(k, name)
        per.setdefault(k, {"first": [], "blind": []})
        per[k]["first"].append(a)
        per[k]["blind"].append(b)
    out = {}
    for k, v in sorted(per.items()):
        n = len(v["first"])
        agree = sum(x == y for x, y in zip(v["first"], v["blind"]))
        out[names[k]] = {"cohen_kappa": round(cohen_kappa(v["first"], v["blind"]), 4),
                         "raw_agreement": round(agree / n, 4), "n": n, "disagreements": n - agree}
    return out
