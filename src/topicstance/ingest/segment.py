"""A scraped page -> paragraphs with a recorded fate -> one or more articles.

Every input paragraph ends with exactly one fate:

* ``kept``: part of an article's text;
* ``merged``: joined into another paragraph (a subheading into the paragraph it
  heads, or a hard-wrapped line into its paragraph);
* ``boilerplate``: site furniture, with the rule that matched;
* ``duplicate``: a repeat of a paragraph already in the same article;
* ``metadata``: moved to a column (title, tag, bullet summary, date).

Pages that list several items (headline, short tag line, then bullets or a
teaser paragraph) are split into one article per item.

Date lines (a line that is only a date, optionally with a label, weekday,
time or byline; :mod:`.dates`) are read with one day/month order per page:
those before any text are the page's date (``page_date``), one under an
article's headline is that article's ``date``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import clean, dates


@dataclass
class Para:
    index: int
    line: int
    text: str
    fate: str = "kept"
    reason: str = ""
    kind: str = "text"  # text | bullet | date | boilerplate
    article: int | None = None
    more_marker: bool = False  # a trailing "Read more" was stripped
    date_value: dates.DateValue | None = None  # a date line's date, order not yet decided
    date_iso: str | None = None  # ... and read with the page's order


@dataclass
class Article:
    title: str | None = None
    tags: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    date: str | None = None
    body: list[Para] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.body)


@dataclass
class Page:
    paragraphs: list[Para]
    articles: list[Article]
    page_date: str | None = None
    dates: dates.ScopeDates | None = None  # how the page's date lines were read


def _blocks(text: str) -> list[list[tuple[int, str]]]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks, cur = [], []
    for no, raw in enumerate(lines, start=1):
        if not raw.strip() or not raw.replace("\u00a0", " ").strip():
            if cur:
                blocks.append(cur)
                cur = []
            continue
        cur.append((no, raw.replace("\u00a0", " ").strip()))
    if cur:
        blocks.append(cur)
    return blocks


def _is_hard_wrapped(block: list[tuple[int, str]]) -> bool:
    if len(block) < 2:
        return False
    body = [s for _, s in block]
    if any(clean.is_bullet(s) for s in body):
        return False
    return all(len(s) >= 40 and not clean.ends_sentence(s) for s in body[:-1]) and any(
        s[:1].islower() for s in body[1:])


def to_paragraphs(text: str) -> list[Para]:
    paras: list[Para] = []
    for block in _blocks(text):
        if _is_hard_wrapped(block):
            first = Para(len(paras), block[0][0], " ".join(s for _, s in block))
            paras.append(first)
            for no, s in block[1:]:
                paras.append(Para(len(paras), no, s, fate="merged", reason=f"hard-wrapped line of paragraph {first.index}"))
            continue
        for no, s in block:
            paras.append(Para(len(paras), no, s))
    return paras


def classify(paras: list[Para]) -> None:
    live = [p for p in paras if p.fate == "kept"]
    for p in live:
        if clean.is_boilerplate(p.text):
            p.kind, p.fate, p.reason = "boilerplate", "boilerplate", "boilerplate line"
            continue
        stripped, changed = clean.strip_inline(p.text)
        if changed:
            p.more_marker = bool(re.search(r"read more|continue reading|»", p.text[len(stripped):], re.I))
            p.text = stripped
            if not stripped.strip() or clean.is_boilerplate(stripped):
                p.kind, p.fate, p.reason = "boilerplate", "boilerplate", "shortcode or link only"
                continue
        if clean.is_bullet(p.text):
            p.kind = "bullet"
        elif (v := dates.parse_dateline(p.text)) is not None:
            p.kind, p.date_value = "date", v
    # author boxes: near the end of the page
    texts = [p for p in live if p.fate == "kept"]
    for p in texts[-4:]:
        if clean.is_author_box(p.text):
            p.kind, p.fate, p.reason = "boilerplate", "boilerplate", "author box"


def _item_starts(c: list[Para]) -> list[int]:
    """Indexes into ``c`` where a listing item starts: headline, tag, then bullets or a long paragraph."""
    starts = []
    for i in range(len(c) - 2):
        h, t, nxt = c[i], c[i + 1], c[i + 2]
        if h.kind != "text" or t.kind != "text":
            continue
        if not clean.is_heading_like(h.text) or not clean.is_tag_like(t.text):
            continue
        if clean.normalize_par(h.text) == clean.normalize_par(t.text):
            continue
        if clean.words(h.text) < 3:
            continue
        if not (nxt.kind == "bullet" or (nxt.kind == "text" and len(nxt.text) >= 100)):
            continue
        starts.append(i)
    return starts


def segment_page(text: str, *, split_pages: bool = True, detect_title: bool = True,
                 date_order: str = "auto") -> Page:
    paras = to_paragraphs(text)
    classify(paras)
    content = [p for p in paras if p.fate == "kept"]
    date_lines = [p for p in content if p.kind == "date"]
    page_dates = dates.read_scope("page", [(f"line {p.line}", p.date_value) for p in date_lines], date_order)
    for p, iso in zip(date_lines, page_dates.iso):
        p.date_iso = iso
    page_date = None
    # dates before any text belong to the page, not to an article
    lead = 0
    while lead < len(content) and content[lead].kind == "date":
        p = content[lead]
        page_date = page_date or p.date_iso
        p.fate, p.reason = "metadata", "page_date"
        lead += 1
    content = content[lead:]

    groups: list[tuple[list[Para], bool]] = []  # (paragraphs, is_listing_item)
    starts = _item_starts(content) if split_pages else []
    if len(starts) >= 2:
        if starts[0] > 0:
            groups.append((content[: starts[0]], False))
        for k, s in enumerate(starts):
            e = starts[k + 1] if k + 1 < len(starts) else len(content)
            groups.append((content[s:e], True))
    else:
        groups.append((content, False))

    articles = []
    for members, is_item in groups:
        art = _build_article(members, is_item, detect_title)
        if art is not None:
            for p in members:
                p.article = len(articles)
            articles.append(art)
        else:
            for p in members:
                if p.fate == "kept":
                    p.fate, p.reason = "boilerplate", "no article body"
    return Page(paras, articles, page_date, page_dates)


def _build_article(members: list[Para], is_item: bool, detect_title: bool) -> Article | None:
    art = Article()
    rest = list(members)
    if is_item:
        h, t = rest[0], rest[1]
        art.title, art.tags = h.text, [t.text]
        h.fate, h.reason = "metadata", "title"
        t.fate, t.reason = "metadata", "tag"
        rest = rest[2:]
    elif detect_title and len(rest) >= 2 and rest[0].kind == "text" and clean.is_heading_like(rest[0].text, 25):
        follow = [p for p in rest[1:] if p.kind == "text"]
        if follow and max(len(p.text) for p in follow) > len(rest[0].text):
            art.title = rest[0].text
            rest[0].fate, rest[0].reason = "metadata", "title"
            rest = rest[1:]
    seen: dict[str, int] = {}
    if art.title:
        seen[clean.normalize_par(art.title)] = -1
    body: list[Para] = []
    pending_heading: Para | None = None
    for k, p in enumerate(rest):
        if p.kind == "bullet":
            p.fate, p.reason = "metadata", "summary bullet"
            art.summary.append(clean.strip_bullet(p.text))
            continue
        if p.kind == "date":
            p.fate, p.reason = "metadata", "date"
            art.date = art.date or p.date_iso
            continue
        if art.title:
            p.text = _strip_title_echo(p.text, art.title)
        key = clean.normalize_par(p.text)
        if key in seen:
            p.fate = "duplicate"
            p.reason = "repeats the title" if seen[key] == -1 else f"repeats paragraph {seen[key]}"
            continue
        seen[key] = p.index
        nxt = next((q for q in rest[k + 1:] if q.kind == "text"), None)
        if (body or pending_heading is None) and nxt is not None and _is_subheading(p) and len(nxt.text) > len(p.text):
            pending_heading = p
            continue
        if pending_heading is not None:
            pending_heading.fate, pending_heading.reason = "merged", f"subheading of paragraph {p.index}"
            p.text = pending_heading.text + "\n" + p.text
            pending_heading = None
        body.append(p)
    if pending_heading is not None:
        body.append(pending_heading)
    art.body = body
    if not body:
        return None
    return art


def _is_subheading(p: Para) -> bool:
    s = p.text.strip()
    if s.isupper() and clean.words(s) <= 10:
        return True
    return 0 < clean.words(s) <= 10 and not clean.ends_sentence(s) and not s.startswith(("“", "\""))


def _strip_title_echo(text: str, title: str) -> str:
    """Drop a repeat of the headline glued to the end of a paragraph (a share-widget echo)."""
    t = title.strip()
    s = text.rstrip()
    if len(s) > len(t) + 20 and s.endswith(t):
        head = s[: -len(t)].rstrip(" \t“\"'‘")
        if head:
            return head
    return text
