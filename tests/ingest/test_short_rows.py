"""Short table rows (headlines, tweets) are documents; min_article_chars applies to scraped pages."""
import pandas as pd

from topicstance.ingest import ingest_corpus
from topicstance.params import IngestParams

HEADLINES = ["Kyiv hit by drones overnight", "Fed holds rates", "Cup final goes to penalties",
             "Kremlin denies talks", "Grain deal extended"]


def test_every_headline_of_a_table_is_an_article(tmp_path):
    pd.DataFrame({"id": [f"h{i}" for i in range(5)], "text": HEADLINES}).to_csv(tmp_path / "h.csv", index=False)
    arts, _, _, rep = ingest_corpus(tmp_path / "h.csv", IngestParams())
    assert arts["text"].tolist() == HEADLINES  # all shorter than min_article_chars (40)
    assert rep["short_articles_skipped_count"] == 0


def test_only_the_empty_row_of_a_table_is_skipped_and_counted(tmp_path):
    pd.DataFrame({"id": ["h0", "empty", "h1"], "text": [HEADLINES[0], "", HEADLINES[1]]}).to_csv(
        tmp_path / "h.csv", index=False)
    arts, _, _, rep = ingest_corpus(tmp_path / "h.csv", IngestParams())
    assert arts["article_id"].tolist() == ["h0", "h1"]
    assert rep["skipped_count"] == 1 and rep["skipped"][0]["id"] == "empty"


def test_a_row_left_empty_by_cleaning_is_skipped_with_the_reason(tmp_path):
    pd.DataFrame({"id": ["h0", "bp"], "text": [HEADLINES[0], "Read more"]}).to_csv(tmp_path / "h.csv", index=False)
    arts, _, _, rep = ingest_corpus(tmp_path / "h.csv", IngestParams())
    assert arts["article_id"].tolist() == ["h0"]
    assert [(s["article_id"], s["reason"].split(" (")[0]) for s in rep["short_articles_skipped"]] == [
        ("bp", "no text left after cleaning")]


def test_min_article_chars_still_applies_to_scraped_pages(tmp_path):
    (tmp_path / "short.txt").write_text(HEADLINES[0])
    (tmp_path / "long.txt").write_text("The parliament approved the new budget on Tuesday after a long debate.")
    arts, _, _, rep = ingest_corpus(tmp_path, IngestParams())
    assert arts["source"].tolist() == ["long.txt"]
    assert rep["short_articles_skipped"][0]["reason"] == "shorter than ingest.min_article_chars=40"


def test_every_row_of_a_table_without_ids_gets_a_result(tmp_path):
    from topicstance.ingest import write_ingest

    texts = [HEADLINES[0], "12 March 2024", "", "Photo: AP", HEADLINES[0], "Tue, 21-Oct-2025", "   ", HEADLINES[1]]
    pd.DataFrame({"text": texts}).to_csv(tmp_path / "h.csv", index=False)  # one line per row: row-2 .. row-9
    write_ingest(tmp_path / "h.csv", tmp_path / "out", IngestParams())
    kept = pd.read_parquet(tmp_path / "out" / "articles.parquet")["article_id"].tolist()
    dup = pd.read_parquet(tmp_path / "out" / "duplicates.parquet")["article_id"].tolist()
    sk = pd.read_parquet(tmp_path / "out" / "skipped.parquet").set_index("article_id")["reason"]
    assert sorted(kept + dup + sk.index.tolist()) == sorted(f"row-{n}" for n in range(2, 10))
    assert kept == ["row-2", "row-9"] and dup == ["row-6"]
    assert sk["row-3"].startswith("no text left after cleaning")  # a date line: page metadata
    assert sk["row-4"] == sk["row-8"] == "empty or missing text"
