"""Target masking: the text is rewritten relative to the target before any feature is made.

For the row's target, every mention (the target's name and its aliases, such
as ``Moscow``, ``Kremlin``, ``Putin`` for Russia) becomes ``TARGET``; a mention
of any other known target becomes ``OTHER``. "Russia's invasion has failed"
toward Russia reads "TARGET's invasion has failed", and "Moscow called Kyiv's
government a terrorist regime" toward Ukraine reads "OTHER called TARGET's
government a terrorist regime". The classifier then learns what is said about
*the target* rather than about one country, so AGAINST-Russia examples can
teach AGAINST-Ukraine (which the seeds hardly have). Off by default: on the
seed labels and on SemEval it measured as a wash (docs/stance.md).

Matching is by whole words, case-insensitive, longest alias first; a plural
``s`` is part of the mention (``Russians``), a possessive ``'s`` stays. The state is the alias table (plain JSON in the
model's config). A target not seen in training is masked by its own name only.
"""
from __future__ import annotations

import re

from .labels import target_key

TARGET, OTHER = "TARGET", "OTHER"


def _pattern(words: list[str]) -> re.Pattern | None:
    words = sorted({w.strip() for w in words if w and w.strip()}, key=lambda w: (-len(w), w))
    if not words:
        return None
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in words) + r")s?(?!\w)", re.IGNORECASE)


class TargetMasker:
    """``fit(targets)`` then ``transform(texts, targets)``; see the module docstring."""

    def __init__(self, aliases: dict | None = None):
        self.aliases = aliases

    def fit(self, targets: list[str]) -> "TargetMasker":
        extra = {target_key(k): [str(w) for w in v] for k, v in (self.aliases or {}).items()}
        table = {}
        for t in list(targets) + list((self.aliases or {}).keys()):
            k = target_key(t)
            table.setdefault(k, {"name": t, "words": [t] + extra.get(k, [])})
        self.table_ = {k: sorted(set(v["words"]), key=str.casefold) for k, v in sorted(table.items())}
        self.patterns_ = {k: _pattern(v) for k, v in self.table_.items()}
        return self

    @classmethod
    def from_table(cls, table: dict) -> "TargetMasker":
        """The fitted masker whose alias table is ``table`` (as saved in a model's config)."""
        m = cls(None)
        m.table_ = {str(k): [str(w) for w in v] for k, v in table.items()}
        m.patterns_ = {k: _pattern(v) for k, v in m.table_.items()}
        return m

    def words(self, target: str) -> list[str]:
        return self.table_.get(target_key(target), [target])

    def transform(self, texts: list[str], targets: list[str]) -> list[str]:
        out = []
        cache: dict[str, tuple] = {}
        for text, target in zip(texts, targets):
            k = target_key(target)
            if k not in cache:
                own = self.patterns_.get(k) or _pattern([target])
                others = [p for kk, p in self.patterns_.items() if kk != k and p is not None]
                cache[k] = (own, others)
            own, others = cache[k]
            s = own.sub(TARGET, text) if own is not None else text
            for p in others:
                s = p.sub(OTHER, s)
            out.append(s)
        return out
