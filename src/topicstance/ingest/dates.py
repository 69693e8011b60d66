"""Dates, for table cells and for the date lines of scraped pages: one parser.

A value is recognised whole. Around the date itself it may carry a label
(``Published:``, ``Updated on``, ``Date:``), a weekday (``Tue,``), a byline
(``By Jane Doe |``, date lines only) and a time with a zone (``10:32 GMT``,
``T17:30:00Z``, ``+0000``). The date is one of:

* **ISO**, year first: ``2023-03-14``, ``2023-03-14T10:00:00Z``, ``2023/03/14``.
  Read first, and always as year-month-day.
* **a named month**: ``14 March 2023``, ``14-Mar-2023``, ``March 14, 2023``.
  Never ambiguous.
* **numeric**, year last: ``03/04/2022``, ``3.4.2022``, ``03-04-22``. The order
  of day and month is decided **once per table column or per page file**
  (:func:`decide_order`): a value whose first field is above 12 makes the scope
  day-first (``dmy``), one whose second field is above 12 makes it month-first
  (``mdy``). ``ingest.date_order`` (``dmy``, ``mdy``) overrides the decision.
  When nothing decides (or the scope holds evidence for both orders), a value
  that reads the same both ways (``05/05/2022``) or can be read only one way
  (``25/12/2022``) is still read; any other is **ambiguous**: its date stays
  empty and it is counted in the ingest report.

Two-digit years (``03/04/22``; not with dots, ``1.2.10`` is a section number) are
2000-2068 for 00-68 and 1969-1999 for 69-99, as ``strptime`` reads them.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

ORDERS = ("auto", "dmy", "mdy")

_MONTH_NAMES = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_MONTH = r"(?P<mon>" + "|".join(sorted(_MONTH_NAMES, key=len, reverse=True)) + r")\.?"
_ORD = r"(?:st|nd|rd|th)?"
_LABEL = re.compile(r"^(?:(?:last\s+)?(?:published|updated|posted|modified|dated|date)(?:\s+on)?\s*:?\s*)",
                    re.IGNORECASE)
_WEEKDAY = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", re.IGNORECASE)
_TIME = re.compile(r"(?:[,\s]+|\s*T)(?:at\s+)?\d{1,2}[:.]\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[ap]\.?m\.?)?"
                   r"(?:\s*(?:Z|[+-]\d{2}:?\d{2}|\(?[A-Z]{2,5}\)?(?:\s*[+-]\d{1,2}(?::?\d{2})?)?))?\s*$",
                   re.IGNORECASE)
_BYLINE_HEAD = re.compile(r"^by\s+[^|•·—–\d]{2,60}?\s*[|•·—–,]\s*", re.IGNORECASE)
_BYLINE_TAIL = re.compile(r"\s*[|•·—–]\s*by\s+[^|•·—–\d]{2,60}$", re.IGNORECASE)

_ISO = re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$")
_DAY_MONTH = re.compile(r"^(?P<d>\d{1,2})" + _ORD + r"(?:[-/.\s]+|\s+of\s+)" + _MONTH + r"[-/.,\s]+(?P<y>\d{4})$",
                        re.IGNORECASE)
_MONTH_DAY = re.compile(r"^" + _MONTH + r"[-/.\s]+(?P<d>\d{1,2})" + _ORD + r",?[-/.\s]+(?P<y>\d{4})$", re.IGNORECASE)
_NUMERIC = re.compile(r"^(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})$")


@dataclass(frozen=True)
class DateValue:
    """A recognised date. For ``numeric`` values ``first`` and ``second`` are the two fields in the
    order written and the day/month order is still open; otherwise they are month and day."""

    year: int
    first: int
    second: int
    numeric: bool
    text: str

    def iso(self, order: str | None) -> str | None:
        """The ISO date under ``order`` (``dmy``, ``mdy``, or None: undecided), or None when it
        is not a valid date that way or (undecided) could be either of two dates."""
        if not self.numeric:
            return _valid(self.year, self.first, self.second)
        as_dmy = _valid(self.year, self.second, self.first)
        as_mdy = _valid(self.year, self.first, self.second)
        if order == "dmy":
            return as_dmy
        if order == "mdy":
            return as_mdy
        if as_dmy and as_mdy and as_dmy != as_mdy:
            return None
        return as_dmy or as_mdy

    def ambiguous(self, order: str | None) -> bool:
        """True when the value reads as two different valid dates and ``order`` does not choose."""
        if not self.numeric or order in ("dmy", "mdy"):
            return False
        a, b = _valid(self.year, self.second, self.first), _valid(self.year, self.first, self.second)
        return bool(a and b and a != b)


def _valid(y: int, m: int, d: int) -> str | None:
    try:
        return _dt.date(y, m, d).isoformat()
    except ValueError:
        return None


def _year(s: str) -> int:
    y = int(s)
    if len(s) == 2:
        y += 2000 if y <= 68 else 1900
    return y


def _strip(s: str) -> str:
    s = re.sub(r"\s+", " ", s.replace("\u00a0", " ")).strip()
    s = _LABEL.sub("", s)
    s = _WEEKDAY.sub("", s)
    return _TIME.sub("", s).strip(" ,")


def parse(value) -> DateValue | None:
    """The date a table cell or a line holds, if it is only a date (see the module doc); else None.
    A value that is no valid date under any order (``31/02/2022``) is None too."""
    if value is None:
        return None
    s = _strip(str(value))
    if not s or len(s) > 40:
        return None
    m = _ISO.match(s)
    if m:
        v = DateValue(int(m["y"]), int(m["m"]), int(m["d"]), False, str(value))
    elif (m := _DAY_MONTH.match(s) or _MONTH_DAY.match(s)):
        v = DateValue(int(m["y"]), _MONTH_NAMES[m["mon"].lower()], int(m["d"]), False, str(value))
    elif (m := _NUMERIC.match(s)) and not (m["sep"] == "." and len(m["y"]) == 2):  # 1.2.10: a section number
        v = DateValue(_year(m["y"]), int(m["a"]), int(m["b"]), True, str(value))
    else:
        return None
    if v.numeric:
        return v if (v.iso("dmy") or v.iso("mdy")) else None
    return v if v.iso(None) else None


def parse_dateline(line: str) -> DateValue | None:
    """A page line that is a dateline: a date (as :func:`parse`), optionally with a byline
    (``By Jane Doe | 14 March 2023``, ``March 14, 2023 · By Jane Doe``)."""
    s = line.strip()
    if not s or len(s) > 120:
        return None
    v = parse(s)
    if v is not None:
        return v
    core = _BYLINE_TAIL.sub("", _BYLINE_HEAD.sub("", s))
    if core == s:
        return None
    v = parse(core)
    return None if v is None else DateValue(v.year, v.first, v.second, v.numeric, s)


def decide_order(values, setting: str = "auto") -> tuple[str | None, str]:
    """The day/month order for one scope (a table column, a page file).

    ``values``: ``(where, DateValue)`` pairs. Returns ``(order, decided_by)``: ``dmy`` or ``mdy``
    with the first value that decides it, the override from ``ingest.date_order``, or None with
    the reason (no numeric value, nothing above 12, or evidence for both orders)."""
    if setting in ("dmy", "mdy"):
        return setting, "ingest.date_order"
    dmy = mdy = None
    n_numeric = 0
    for where, v in values:
        if v is None or not v.numeric:
            continue
        n_numeric += 1
        if dmy is None and v.first > 12 >= v.second:
            dmy = f"{where}: {v.text!r}"
        elif mdy is None and v.second > 12 >= v.first:
            mdy = f"{where}: {v.text!r}"
    if dmy and mdy:
        return None, f"evidence for both orders ({dmy}; {mdy})"
    if dmy:
        return "dmy", dmy
    if mdy:
        return "mdy", mdy
    return None, "no numeric dates" if n_numeric == 0 else "no field above 12"


@dataclass
class ScopeDates:
    """The dates of one scope, read with one order."""

    scope: str  # "t.csv: column date" or a page's file name
    order: str | None
    decided_by: str
    iso: list  # ISO date or None, one per input value
    ambiguous: list  # {"where", "value"}
    unparseable: list  # {"where", "value"}
    n_numeric: int

    def summary(self) -> dict:
        return {"scope": self.scope, "order": self.order, "decided_by": self.decided_by,
                "numeric_values": self.n_numeric, "ambiguous": len(self.ambiguous),
                "unparseable": len(self.unparseable)}


def read_scope(scope: str, values, setting: str = "auto") -> ScopeDates:
    """Parse every value of one scope (``(where, raw)`` pairs; raw None = no date) with one order.

    The raw values may be strings (table cells, parsed with :func:`parse`) or already parsed
    :class:`DateValue` (page date lines)."""
    if setting not in ORDERS:
        raise ValueError(f"date order must be one of {', '.join(ORDERS)}, got {setting!r}")
    parsed = []
    unparseable = []
    for where, raw in values:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            parsed.append((where, None, raw))
            continue
        v = raw if isinstance(raw, DateValue) else parse(raw)
        if v is None:
            unparseable.append({"where": where, "value": str(raw)})
        parsed.append((where, v, raw))
    order, why = decide_order([(w, v) for w, v, _ in parsed], setting)
    iso, ambiguous = [], []
    for where, v, raw in parsed:
        if v is None:
            iso.append(None)
            continue
        if v.ambiguous(order):
            ambiguous.append({"where": where, "value": v.text})
            iso.append(None)
            continue
        out = v.iso(order)
        if out is None:  # impossible under the chosen order (e.g. 12/25/2022 with date_order dmy)
            unparseable.append({"where": where, "value": v.text})
        iso.append(out)
    n_num = sum(1 for _, v, _ in parsed if v is not None and v.numeric)
    return ScopeDates(scope, order, why, iso, ambiguous, unparseable, n_num)
