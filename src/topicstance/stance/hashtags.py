"""Hashtags rewritten as words for the sentence encoder (``stance.hashtags: split``).

A sentence model reads ``#WakeUpAmerica`` or ``#uniteblue`` as a few odd word pieces. Written
out as words (``Wake Up America``, ``unite blue``) the same tag reads as the phrase it is, which
is what the frozen stance features should see. Only the encoder's input changes: the n-gram
features keep the text as written, where the tag itself is a strong, exact token.

Rules, for a ``#`` followed by a tag with at least one letter (``#1`` stays as it is):

* a tag with a lower-to-upper case change (``HillaryClinton``), or all in capitals
  (``SCOTUS``, ``CFCC15``), is split at its case and digit boundaries;
* any other tag (``uniteblue``, ``womensrights``, ``GOPdebate``) is split into the most likely
  English words by ``wordsegment`` (unigram and bigram counts of a large web corpus; lower case);
* the ``#`` itself is dropped (a space takes its place after a letter or digit);
* tags longer than :data:`MAX_TAG` characters are left whole.

Measured on SemEval-2016 (docs/stance.md, "Hashtags"): 5-fold CV F_avg on its train split
0.7145 -> 0.7210 and validation 0.7609 -> 0.7666 with the default model. News paragraphs rarely hold a hashtag, so
there the rewrite changes nothing.
"""
from __future__ import annotations

import re

__all__ = ["encoder_texts", "split_hashtags", "split_tag"]
MAX_TAG = 60
_TAG = re.compile(r"(?<![&#])#(\w*[^\W\d_]\w*)")  # not an HTML entity (&#x27;), not ##
_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b)|[A-Z]?[a-z]+|\d+|[A-Z]+")
_SEGMENTER = None


def _segment(word: str) -> list[str]:
    global _SEGMENTER
    if _SEGMENTER is None:
        import wordsegment

        wordsegment.load()
        _SEGMENTER = wordsegment.segment
    return _SEGMENTER(word)


def split_tag(tag: str) -> str:
    """The words of one hashtag (without its ``#``)."""
    if len(tag) > MAX_TAG:
        return tag
    if re.search(r"[a-z][A-Z]", tag) or tag.isupper():
        parts = _PARTS.findall(tag)
    else:
        parts = _segment(tag)
    return " ".join(parts) if parts else tag


def split_hashtags(text: str) -> str:
    """``text`` with every hashtag written out as words (see the module doc); a text without one
    is returned unchanged."""
    if "#" not in text:
        return text

    def words(m: re.Match) -> str:
        glued = m.start() > 0 and text[m.start() - 1].isalnum()  # "it#HaveYourSay": keep the words apart
        return (" " if glued else "") + split_tag(m.group(1))

    return _TAG.sub(words, text)


def encoder_texts(texts: list[str], mode: str) -> list[str]:
    """The texts the sentence encoder reads under ``stance.hashtags`` = ``mode``."""
    if mode == "keep":
        return list(texts)
    if mode == "split":
        return [split_hashtags(t) for t in texts]
    raise ValueError(f"unknown hashtags mode {mode!r}")
