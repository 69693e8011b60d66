"""Shortcut baselines: what a label would be if it followed the unit's provenance.

A stance model on the label pools counts only if it beats these, since each
pool's provenance already predicts much of its stance:

* ``kind`` on the propaganda diary: a ``claim`` (a pro-Kremlin excerpt) is
  FAVOR Russia and AGAINST Ukraine; a ``debunk`` (a fact-checker's reply) is
  AGAINST Russia and NONE for Ukraine.
* ``side`` on the press releases: a Kremlin release is FAVOR Russia and NONE
  for Ukraine; a release of the President of Ukraine is FAVOR Ukraine and
  AGAINST Russia.

Targets are matched by :func:`topicstance.stance.labels.target_key`; a cell
the rules do not name is NONE. These are baselines for evaluation only, never
a source of labels.
"""
from __future__ import annotations

import numpy as np

from .labels import target_key

RULES: dict[str, dict[tuple[str, str], dict[str, str]]] = {
    "kind": {
        ("propaganda_diary", "claim"): {"russia": "FAVOR", "ukraine": "AGAINST"},
        ("propaganda_diary", "debunk"): {"russia": "AGAINST"},
    },
    "side": {
        ("kremlin", ""): {"russia": "FAVOR"},
        ("president_of_ukraine", ""): {"ukraine": "FAVOR", "russia": "AGAINST"},
    },
}


def applies(name: str, sources) -> np.ndarray:
    """Rows whose source the shortcut ``name`` covers."""
    covered = {s for s, _ in RULES[name]}
    return np.array([s in covered for s in sources], dtype=bool)


def predict(name: str, sources, kinds, targets) -> np.ndarray:
    """The shortcut's stance for each row (NONE where its rules are silent)."""
    rules = RULES[name]
    out = []
    for s, k, t in zip(sources, kinds, targets):
        rule = rules.get((s, k)) or rules.get((s, "")) or {}
        out.append(rule.get(target_key(t), "NONE"))
    return np.array(out, dtype=object)
