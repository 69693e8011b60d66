"""Line-level rules for scraped news pages: boilerplate, bullets, date lines, headings.

The rules describe kinds of boilerplate found on news sites (share and like
counters, "Read more" links, embed shortcodes, related-article blocks, view
counters, "SEE ALSO:" cross-links, author boxes), not the exact lines of any
one file.
"""
from __future__ import annotations

import re

from . import dates

_BP_LINE = [
    r"read (the )?(full story|more|article)( here)?[.!:]?",
    r"continue (to )?read(ing)?( more)?( the)?( latest)?( news| article| story)?[.!:]?",
    r"related (articles?|posts?|stories|news|content)[.:]?",
    r"(you may|you might) also like[.:]?",
    r"(more|latest) (news|stories)( from .{1,40})?[.:]?",
    r"back to top( button)?",
    r"(share|tweet|email|print|comment)( (this|on|via) .{0,30})?",
    r"(share|like|follow)( us)?( on)? (facebook|twitter|x|linkedin|whatsapp|telegram)[.!]?",
    r"advertisement|sponsored( content)?|subscribe( now)?|sign up( for .{0,40})?",
    r"\d[\d,.]*\s*(i )?(don'?t |do not )?like( it|s)?",
    r"\d[\d,.]*\s*(total )?views?,?(\s*\d[\d,.]*\s*views? today)?",
    r"\d[\d,.]*\s*(comments?|shares?|likes?|reactions?)",
    r"(»|›|>>)?\s*…?",
    r"\[/?[a-z_]+[^\]]*\]",  # an embed/shortcode alone on a line: [embedpost slug=...]
    r"(photo|image|video|credit|source)s?:.{0,80}",
    r"tags?:.{0,200}",
    r"skip to (main )?content",
]
BOILERPLATE_RE = re.compile(r"^\s*(?:" + "|".join(_BP_LINE) + r")\s*$", re.IGNORECASE)
SEE_ALSO_RE = re.compile(r"^\s*(see also|also read|read also|related|watch|listen)\s*:\s*\S.*$", re.IGNORECASE)
SHORTCODE_RE = re.compile(r"\[(embedpost|embed|caption|gallery|related|video|audio|tweet)\b[^\]]*\]", re.IGNORECASE)
TRAILING_MORE_RE = re.compile(r"\s*(?:»\s*)?(?:…|\.\.\.)?\s*(?:read more|continue reading|more)\s*(?:»|›)?\s*$",
                              re.IGNORECASE)
TRAILING_ELLIPSIS_RE = re.compile(r"\s*»\s*…\s*$")
BULLET_RE = re.compile(r"^\s*[•●▪◦‣∙·\-\*–]\s+(?=\S)")
AUTHOR_BOX_RE = re.compile(
    r"^[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3} is (?:a|an|the) .{0,120}?"
    r"\b(?i:reporter|journalist|correspondent|editor|writer|columnist|contributor|producer|analyst)\b",
)
AUTHOR_HINT_RE = re.compile(r"(get in touch|joined .{0,60} in (19|20)\d\d|graduate of|follow (him|her|them) on|"
                            r"his focus is|her focus is|their focus is|covered .{0,40} extensively)", re.IGNORECASE)

def is_boilerplate(line: str) -> bool:
    s = line.strip()
    if not s:
        return False
    return bool(BOILERPLATE_RE.match(s) or SEE_ALSO_RE.match(s))


def is_author_box(par: str) -> bool:
    return bool(AUTHOR_BOX_RE.match(par.strip())) and bool(AUTHOR_HINT_RE.search(par))


def strip_inline(line: str) -> tuple[str, bool]:
    """Remove inline shortcodes and trailing 'Read more' / '» …' markers; report if changed."""
    s = SHORTCODE_RE.sub("", line)
    s2 = TRAILING_MORE_RE.sub("", s) if len(s) > 60 else s
    s2 = TRAILING_ELLIPSIS_RE.sub("", s2)
    changed = s2 != line
    return s2.rstrip(), changed


def is_bullet(line: str) -> bool:
    return bool(BULLET_RE.match(line))


def strip_bullet(line: str) -> str:
    return BULLET_RE.sub("", line, count=1).strip()


def parse_date(line: str) -> str | None:
    """ISO date if ``line`` is only a date line (see :mod:`.dates`) that reads as one date, else None."""
    v = dates.parse_dateline(line)
    return v.iso(None) if v is not None else None


def words(s: str) -> int:
    return len(s.split())


def ends_sentence(s: str) -> bool:
    return s.rstrip().endswith((".", "!", "?", "…", ".”", "!”", "?”", ".\"", "”", "\"", ":", ";"))


def is_heading_like(s: str, max_words: int = 20) -> bool:
    """A short line with no sentence-ending punctuation (a headline or subheading)."""
    s = s.strip()
    return 0 < words(s) <= max_words and len(s) <= 200 and not s.rstrip().endswith((".", ",", ";", ":"))


def is_tag_like(s: str) -> bool:
    s = s.strip()
    return 0 < words(s) <= 5 and len(s) <= 40 and not s.endswith((".", ",", ";", ":", "?", "!", "”", "\""))


def normalize_par(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().lower()
