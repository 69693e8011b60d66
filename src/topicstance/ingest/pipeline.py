"""The ingest stage: corpus -> articles.parquet, duplicates.parquet, paragraphs.parquet, ingest.json."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .. import schema
from ..errors import InputError
from ..io import check_outputs, write_json, write_parquet, writes
from ..params import IngestParams
from . import clean
from .dedup import find_duplicates
from .read import RawDoc, ReadLog, read_corpus
from .segment import segment_page

PARAGRAPHS = ["source", "article_id", "index", "line", "fate", "reason", "text"]


def _iso_date(s: str | None) -> str | None:
    if not s:
        return None
    iso = clean.parse_date(s)
    if iso:
        return iso
    try:
        ts = pd.to_datetime(s, errors="raise", utc=False)
        return ts.date().isoformat()
    except (ValueError, TypeError, OverflowError):
        return None


def _truncate(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text.rfind("\n\n", 0, max_chars + 1)
    if cut < max_chars // 2:
        cut = text.rfind(" ", 0, max_chars + 1)
    if cut < max_chars // 2:
        cut = max_chars
    return text[:cut].rstrip()


def ingest_corpus(corpus: str | Path, p: IngestParams) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    """Read, clean, split and deduplicate a corpus; return (articles, duplicates, paragraphs, report)."""
    log = ReadLog()
    kind, docs = read_corpus(corpus, log, columns=p.columns)
    articles: list[dict] = []
    paragraphs: list[dict] = []
    truncated: list[dict] = []
    short: list[dict] = []
    bad_dates = 0
    for doc in docs:
        page = segment_page(doc.text, split_pages=p.split_pages and kind == "folder",
                            detect_title=kind == "folder" and doc.title is None) if p.clean_boilerplate else None
        if page is None:  # cleaning off: the whole text is one article
            page = segment_page(doc.text, split_pages=False, detect_title=False)
            for para in page.paragraphs:
                para.fate, para.reason = "kept", ""
        ids = _article_ids(doc, len(page.articles), kind)
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
            if len(text) < p.min_article_chars:
                short.append({"file": doc.source, "article_id": aid, "chars": len(text),
                              "reason": f"shorter than ingest.min_article_chars={p.min_article_chars}"})
                for para in art.body:
                    para.fate, para.reason = "skipped", "article shorter than ingest.min_article_chars"
                continue
            date = _iso_date(doc.date) if doc.date else art.date
            if doc.date and date is None:
                bad_dates += 1
            row = {"article_id": aid, "source": doc.source, "title": doc.title or art.title, "text": text,
                   "date": date, "page_date": page.page_date, "tags": list(art.tags),
                   "summary": "\n".join(art.summary) if art.summary else None, "encoding": doc.encoding}
            for key, val in doc.extra.items():
                if key not in row:
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
        "duplicates_dropped": [dict(r, file=src_of.get(r["article_id"])) for r in dup_rows],
        "duplicates_count": len(dup_rows),
        "exact_duplicates": sum(1 for r in dup_rows if r["similarity"] >= 1.0),
        "truncated": truncated,
        "truncated_count": len(truncated),
        "encodings": log.encodings,
        "encoding_fallbacks": log.fallbacks,
        "encoding_fallback_count": len(log.fallbacks),
        "unparseable_dates": bad_dates,
        "paragraph_fates": {k: int(v) for k, v in sorted(fates.items())},
        "paragraphs_total": int(len(pdf)),
    }
    return adf, ddf, pdf, report


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
