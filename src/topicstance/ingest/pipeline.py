"""The ingest stage: corpus -> articles.parquet, duplicates.parquet, paragraphs.parquet, ingest.json."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .. import schema
from ..errors import InputError
from ..io import check_outputs, write_json, write_parquet, writes
from ..params import IngestParams
from . import dates
from .dedup import find_duplicates
from .read import RawDoc, ReadLog, read_corpus
from .segment import segment_page

PARAGRAPHS = ["source", "article_id", "index", "line", "fate", "reason", "text"]


def _truncate(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text.rfind("\n\n", 0, max_chars + 1)
    if cut < max_chars // 2:
        cut = text.rfind(" ", 0, max_chars + 1)
    if cut < max_chars // 2:
        cut = max_chars
    return text[:cut].rstrip()


class _DateLog:
    """How the dates of every scope (a table's date column, each page) were read, for the report."""

    def __init__(self, setting: str):
        self.setting = setting
        self.values = self.parsed = 0
        self.orders: list[dict] = []
        self.ambiguous: list[dict] = []
        self.unparseable: list[dict] = []

    def add(self, file: str, sd: dates.ScopeDates | None, scope: str | None = None) -> None:
        if sd is None:
            return
        scope = scope or sd.scope
        self.values += sum(1 for v in sd.iso if v is not None) + len(sd.ambiguous) + len(sd.unparseable)
        self.parsed += sum(1 for v in sd.iso if v is not None)
        if sd.n_numeric:  # the day/month order mattered here
            self.orders.append({"file": file, "scope": scope, "order": sd.order, "decided_by": sd.decided_by,
                                "numeric_values": sd.n_numeric, "ambiguous": len(sd.ambiguous)})
        self.ambiguous += [{"file": file, "scope": scope, **a} for a in sd.ambiguous]
        self.unparseable += [{"file": file, "scope": scope, **u} for u in sd.unparseable]

    def report(self) -> dict:
        return {"date_order": self.setting, "values": self.values, "parsed": self.parsed,
                "orders": self.orders, "ambiguous": self.ambiguous, "ambiguous_count": len(self.ambiguous),
                "unparseable": self.unparseable, "unparseable_count": len(self.unparseable)}


def _length_rule(kind: str, p: IngestParams) -> tuple[int, str, str]:
    """(minimum characters, parameter, what is skipped): table rows are documents however short
    (``min_table_row_chars``); ``min_article_chars`` applies to the articles of scraped pages."""
    if kind == "table":
        return p.min_table_row_chars, "ingest.min_table_row_chars", "row"
    return p.min_article_chars, "ingest.min_article_chars", "article"


def _table_dates(corpus: Path, docs: list[RawDoc], p: IngestParams) -> dates.ScopeDates:
    """The table's ``date`` column, read with one day/month order for the whole column."""
    return dates.read_scope("column date", [(f"{d.unit} {d.row}", d.date) for d in docs],
                            p.date_order)


def ingest_corpus(corpus: str | Path, p: IngestParams) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    """Read, clean, split and deduplicate a corpus; return (articles, duplicates, paragraphs, report)."""
    log = ReadLog()
    kind, docs = read_corpus(corpus, log, columns=p.columns, outlet_column=p.outlet_column)
    articles: list[dict] = []
    paragraphs: list[dict] = []
    truncated: list[dict] = []
    short: list[dict] = []
    date_log = _DateLog(p.date_order)
    min_chars, min_param, unit_name = _length_rule(kind, p)
    table_dates = None
    if kind == "table":
        table_dates = _table_dates(Path(corpus), docs, p)
        date_log.add(Path(corpus).name, table_dates)
    for n, doc in enumerate(docs):
        page = segment_page(doc.text, split_pages=p.split_pages and kind == "folder",
                            detect_title=kind == "folder" and doc.title is None,
                            date_order=p.date_order) if p.clean_boilerplate else None
        if page is None:  # cleaning off: the whole text is one article
            page = segment_page(doc.text, split_pages=False, detect_title=False, date_order=p.date_order)
            for para in page.paragraphs:
                para.fate, para.reason = "kept", ""
        if doc.row is None:
            date_log.add(doc.source, page.dates)
        else:  # date lines inside a table row's text: the row is its own scope
            date_log.add(Path(corpus).name, page.dates, scope=f"text of {doc.unit} {doc.row}")
        ids = _article_ids(doc, len(page.articles), kind)
        if not page.articles:
            short.append({"file": doc.source, "article_id": _article_ids(doc, 1, kind)[0], "chars": 0,
                          "reason": "no text left after cleaning (every paragraph is boilerplate or metadata)"})
        for k, art in enumerate(page.articles):
            aid = ids[k]
            text = art.text
            if len(text) > p.max_chars:
                new = _truncate(text, p.max_chars)
                truncated.append({"file": doc.source, "article_id": aid, "chars_before": len(text),
                                  "chars_after": len(new), "reason": f"longer than ingest.max_chars={p.max_chars}"})
                kept_len = 0
                for para in art.body:
                    if kept_len >= len(new):
                        para.fate, para.reason = "truncated", f"beyond ingest.max_chars={p.max_chars}"
                    kept_len += len(para.text) + 2
                text = new
            if len(text) < min_chars:
                short.append({"file": doc.source, "article_id": aid, "chars": len(text),
                              "reason": f"shorter than {min_param}={min_chars}"})
                for para in art.body:
                    para.fate, para.reason = "skipped", f"{unit_name} shorter than {min_param}"
                continue
            date = table_dates.iso[n] if table_dates is not None and doc.date else art.date
            row = {"article_id": aid, "source": doc.source, "outlet": doc.outlet, "title": doc.title or art.title,
                   "text": text, "date": date, "page_date": page.page_date, "tags": list(art.tags),
                   "summary": "\n".join(art.summary) if art.summary else None, "encoding": doc.encoding}
            for key, val in doc.extra.items():
                if key not in row or (key == "summary" and row[key] is None):  # a table's own summary column
                    row[key] = val
            articles.append(row)
        for para in page.paragraphs:
            aid = ids[para.article] if para.article is not None and para.article < len(ids) else None
            paragraphs.append({"source": doc.source, "article_id": aid, "index": para.index,
                               "line": para.line if doc.row is None else doc.row, "fate": para.fate,
                               "reason": para.reason, "text": para.text})
    if not articles and not docs:
        raise InputError(f"{corpus}: no readable documents "
                         f"({len(log.skipped)} skipped: {_reasons(log.skipped) or 'the corpus is empty'})")
    adf = pd.DataFrame(articles)
    if adf.empty:
        adf = pd.DataFrame(columns=list(schema.ARTICLES) + ["encoding"])
    dups = find_duplicates(adf["text"].tolist(), p.dedup_threshold, p.shingle_size, p.num_perm) if len(adf) else []
    drop_rows = []
    dup_rows = []
    for i, j, sim in dups:
        dup_rows.append({"article_id": adf["article_id"].iat[i], "duplicate_of": adf["article_id"].iat[j],
                         "similarity": float(sim)})
        drop_rows.append(i)
    ddf = pd.DataFrame(dup_rows, columns=list(schema.DUPLICATES)).astype({"similarity": "float64"})
    dropped_ids = dict(zip(ddf["article_id"], ddf["duplicate_of"]))
    pdf = pd.DataFrame(paragraphs, columns=PARAGRAPHS)
    if len(dropped_ids):
        mask = pdf["article_id"].isin(dropped_ids.keys()) & (pdf["fate"] == "kept")
        pdf.loc[mask, "fate"] = "duplicate"
        pdf.loc[mask, "reason"] = pdf.loc[mask, "article_id"].map(lambda a: f"article duplicates {dropped_ids[a]}")
    adf = adf.drop(index=drop_rows).reset_index(drop=True)
    schema.validate(adf, schema.ARTICLES, "articles", unique="article_id")
    src_of = dict(zip([r["article_id"] for r in articles], [r["source"] for r in articles]))
    fates = pdf["fate"].value_counts().to_dict()
    report = {
        "corpus": str(corpus),
        "kind": kind,
        "files_read": log.files_read,
        "rows_read": log.rows_read,
        "documents": len(docs),
        "articles_out": int(len(adf)),
        "articles_per_source": {k: int(v) for k, v in adf["source"].value_counts().sort_index().items()},
        "skipped": log.skipped,
        "skipped_count": len(log.skipped),
        "short_articles_skipped": short,
        "short_articles_skipped_count": len(short),
        "duplicates_dropped": [dict(r, file=src_of.get(r["article_id"])) for r in dup_rows],
        "duplicates_count": len(dup_rows),
        "exact_duplicates": sum(1 for r in dup_rows if r["similarity"] >= 1.0),
        "truncated": truncated,
        "truncated_count": len(truncated),
        "encodings": log.encodings,
        "encoding_fallbacks": log.fallbacks,
        "encoding_fallback_count": len(log.fallbacks),
        "unparseable_dates": len(date_log.unparseable),
        "ambiguous_dates": len(date_log.ambiguous),
        "dates": date_log.report(),
        "outlets": _outlet_report(adf, log),
        "articles_per_outlet": {k: int(v) for k, v in adf["outlet"].value_counts().sort_index().items()},
        "paragraph_fates": {k: int(v) for k, v in sorted(fates.items())},
        "paragraphs_total": int(len(pdf)),
    }
    return adf, ddf, pdf, report


def _outlet_report(adf: pd.DataFrame, log: ReadLog) -> dict:
    rep = {"from": log.outlet_from, "articles_without_outlet": int(adf["outlet"].isna().sum())}
    if log.outlet_map is not None:
        rep["unused_paths"] = log.outlet_map.unused()
    return rep


def _reasons(skipped: list[dict]) -> str:
    counts: dict[str, int] = {}
    for s in skipped:
        counts[s["reason"]] = counts.get(s["reason"], 0) + 1
    return ", ".join(f"{n} {r}" for r, n in counts.items())


def _article_ids(doc: RawDoc, n: int, kind: str) -> list[str]:
    if kind == "table":
        return [doc.article_id] * n  # rows are never split: n is 0 or 1
    if n == 1:
        return [doc.source]
    return [f"{doc.source}#{k + 1:03d}" for k in range(n)]


OUTPUT_FILES = ("articles.parquet", "duplicates.parquet", "paragraphs.parquet", "skipped.parquet")


@writes("ingest", inputs=("corpus",))
def write_ingest(corpus: str | Path, out_dir: str | Path, p: IngestParams, report_path: str | Path | None = None) -> dict:
    out = Path(out_dir)
    check_outputs(files=[out / n for n in OUTPUT_FILES] + [Path(report_path) if report_path else out / "ingest.json"])
    adf, ddf, pdf, report = ingest_corpus(corpus, p)
    write_parquet(out / "articles.parquet", adf)
    write_parquet(out / "duplicates.parquet", ddf)
    write_parquet(out / "paragraphs.parquet", pdf)
    write_parquet(out / "skipped.parquet", skipped_articles(report))
    write_json(Path(report_path) if report_path else out / "ingest.json", report)
    return report


def skipped_articles(report: dict) -> pd.DataFrame:
    """``skipped.parquet``: one row per input row or article that ingest skipped and that has an id
    (a table row with empty text, an article shorter than ``min_article_chars``), so later stages can
    still give it a result. Files skipped whole (unreadable) have no id; the report lists them."""
    rows = [{"article_id": str(s["id"]), "source": str(s.get("file", "")), "reason": str(s.get("reason", ""))}
            for s in report.get("skipped", []) if s.get("id") not in (None, "")]
    rows += [{"article_id": str(s["article_id"]), "source": str(s.get("file", "")), "reason": str(s["reason"])}
             for s in report.get("short_articles_skipped", [])]
    df = pd.DataFrame(rows, columns=list(schema.SKIPPED))
    return df.drop_duplicates("article_id").reset_index(drop=True)


def paragraph_units(paragraphs: pd.DataFrame) -> pd.DataFrame:
    """The stance annotation units: kept paragraphs of kept articles, keyed by a hash of their text."""
    import hashlib

    kept = paragraphs[paragraphs["fate"] == "kept"].copy()
    kept["unit_id"] = kept["text"].map(lambda t: hashlib.sha256(t.encode("utf-8")).hexdigest()[:16])
    kept = kept.drop_duplicates("unit_id")
    return kept[["unit_id", "article_id", "source", "text"]].reset_index(drop=True)


__all__ = ["ingest_corpus", "write_ingest", "paragraph_units", "skipped_articles", "json"]
