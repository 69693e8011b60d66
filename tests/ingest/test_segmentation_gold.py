"""The splitter against the hand-made gold in tests/data/seed_segmentation.json."""
import json
import re

import pytest

from topicstance.ingest import ingest_corpus
from topicstance.ingest.clean import parse_date
from topicstance.params import IngestParams

from tests.conftest import ROOT, SEEDS

GOLD = json.loads((ROOT / "tests" / "data" / "seed_segmentation.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_ingest():
    return ingest_corpus(SEEDS, IngestParams())


def _articles_of(articles, fname):
    return articles[articles["source"] == fname].sort_values("article_id")


def test_article_counts_per_file_match_gold(seed_ingest):
    articles = seed_ingest[0]
    got = {f: int((articles["source"] == f).sum()) for f in GOLD}
    want = {f: len(g["articles"]) for f, g in GOLD.items()}
    assert got == want


def test_titles_match_gold(seed_ingest):
    articles = seed_ingest[0]
    for fname, g in GOLD.items():
        got = _articles_of(articles, fname)["title"].tolist()
        want = [a["title"] for a in g["articles"]]
        assert [t if isinstance(t, str) else None for t in got] == want, fname


def test_bodies_start_with_gold_first_words(seed_ingest):
    articles = seed_ingest[0]
    for fname, g in GOLD.items():
        texts = _articles_of(articles, fname)["text"].tolist()
        for text, a in zip(texts, g["articles"]):
            first = a["first_words"]
            # a merged subheading may precede the first paragraph; the first words must open the body
            assert re.sub(r"\s+", " ", text).startswith(first), (fname, first, text[:80])


def test_tags_and_bullet_summaries_match_gold(seed_ingest):
    articles = seed_ingest[0]
    for fname, g in GOLD.items():
        rows = _articles_of(articles, fname)
        for (_, row), a in zip(rows.iterrows(), g["articles"]):
            tags = list(row["tags"]) if row["tags"] is not None else []
            assert tags == ([a["tag"]] if a["tag"] else []), (fname, a["title"])
            n = len(row["summary"].split("\n")) if isinstance(row["summary"], str) else 0
            assert n == a["n_bullets"], (fname, a["title"])


def test_page_date_is_not_the_article_date(seed_ingest):
    articles = seed_ingest[0]
    for fname, g in GOLD.items():
        rows = _articles_of(articles, fname)
        want = parse_date(g["page_date"]) if g["page_date"] else None
        assert set(rows["page_date"].map(lambda v: v if isinstance(v, str) else None)) == {want}
        assert rows["date"].isna().all()


BOILERPLATE_PATTERNS = [
    r"(?im)^\s*read more\s*$", r"\[embedpost", r"(?i)related articles", r"(?i)back to top",
    r"(?i)total views", r"(?i)views today", r"(?im)^see also:", r"(?i)continue to read more",
    r"(?i)\bI (don't )?like it\b", r"(?i)you can get in touch", r"»", r"…\s*read more",
]


def test_no_boilerplate_survives(seed_ingest):
    articles = seed_ingest[0]
    for _, row in articles.iterrows():
        for pat in BOILERPLATE_PATTERNS:
            assert not re.search(pat, row["text"]), (row["article_id"], pat)


def test_repeated_paragraphs_kept_once(seed_ingest):
    articles = seed_ingest[0]
    for _, row in articles.iterrows():
        paras = [p.strip() for p in row["text"].split("\n\n")]
        assert len(paras) == len(set(paras)), row["article_id"]


def test_every_paragraph_has_one_recorded_fate(seed_ingest):
    _, _, paragraphs, report = seed_ingest
    fates = {"kept", "merged", "boilerplate", "duplicate", "metadata", "truncated", "skipped"}
    assert set(paragraphs["fate"]) <= fates
    assert sum(report["paragraph_fates"].values()) == report["paragraphs_total"] == len(paragraphs)
    # every non-blank input line is one paragraph of the seed files (none is hard-wrapped)
    n_lines = sum(1 for f in SEEDS.glob("*.txt") for ln in f.read_text(encoding="utf-8").splitlines()
                  if ln.replace("\u00a0", " ").strip())
    assert len(paragraphs) == n_lines


def test_kept_paragraphs_make_up_the_article_texts(seed_ingest):
    articles, _, paragraphs, _ = seed_ingest
    kept = paragraphs[paragraphs["fate"] == "kept"]
    for _, row in articles.iterrows():
        mine = kept[kept["article_id"] == row["article_id"]].sort_values("index")["text"].tolist()
        assert "\n\n".join(mine) == row["text"]
