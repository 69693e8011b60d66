"""A rule-based English sentence splitter that needs no downloaded data.

Sentences end at ``.``, ``!``, ``?`` or ``…`` (with any closing quotes or
brackets) followed by whitespace and a plausible sentence start, and always at
a line break. Common abbreviations (Mr., Gen., U.S., e.g.) and initials do not
end a sentence. Returns character spans so callers keep exact offsets.
"""
from __future__ import annotations

import re

ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "brig", "col", "lt", "maj", "capt", "cpt", "sgt", "cmdr",
    "adm", "gov", "sen", "rep", "rev", "st", "jr", "sr", "hon", "pres", "supt", "insp", "det",
    "vs", "etc", "e.g", "i.e", "cf", "al", "approx", "est", "no", "nos", "vol", "fig", "pp", "ch",
    "inc", "ltd", "co", "corp", "plc", "llc", "dept", "univ", "assn", "bros",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "u.s", "u.k", "u.n", "e.u", "a.m", "p.m", "d.c", "ph.d", "u.s.a",
}

_CLOSERS = "\"'”’)]»"
_OPENERS = "\"'“‘([«"
# candidate boundary: terminal punctuation + optional closers, then whitespace
_BOUNDARY = re.compile(r"([.!?…]+)([" + re.escape(_CLOSERS) + r"]*)(\s+)")


def _prev_word(text: str, end: int) -> str:
    """The word ending just before the terminal punctuation at ``end``."""
    start = end
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in _OPENERS:
        start -= 1
    return text[start:end]


def _is_abbreviation(word: str) -> bool:
    w = word.lower().rstrip(".")
    if not w:
        return False
    if w in ABBREVIATIONS:
        return True
    if len(w) == 1 and w.isalpha():  # an initial: "J. Smith"
        return True
    if re.fullmatch(r"(?:[a-z]\.)+[a-z]", w):  # dotted acronym: U.S, e.g
        return True
    return False


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` spans of the sentences in ``text`` (whitespace excluded)."""
    spans: list[tuple[int, int]] = []
    n = len(text)
    cuts: list[int] = []
    for m in _BOUNDARY.finditer(text):
        punct_start = m.start(1)
        end = m.end(2)
        ws = m.group(3)
        nxt = m.end(3)
        if "\n" in ws:
            cuts.append(end)
            continue
        if nxt >= n:
            continue
        c = text[nxt]
        if not (c.isupper() or c.isdigit() or c in _OPENERS or c in "-–—•"):
            continue
        if m.group(1) == "." and _is_abbreviation(_prev_word(text, punct_start) + "."):
            continue
        cuts.append(end)
    # line breaks always end a sentence
    for m in re.finditer(r"\n", text):
        cuts.append(m.start())
    cuts = sorted(set(cuts))
    pos = 0
    for cut in cuts + [n]:
        seg_start, seg_end = pos, cut
        # trim whitespace
        while seg_start < seg_end and text[seg_start].isspace():
            seg_start += 1
        while seg_end > seg_start and text[seg_end - 1].isspace():
            seg_end -= 1
        if seg_end > seg_start:
            spans.append((seg_start, seg_end))
        pos = max(pos, cut)
    return spans
