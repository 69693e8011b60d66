import json

import numpy as np
import pandas as pd
import pytest

from topicstance.errors import InputError
from topicstance.topics import articles as art


def _tables():
    chunks = pd.DataFrame({"chunk_id": [f"c{i}" for i in range(7)],
                           "article_id": ["A", "A", "A", "B", "B", "C", "D"],
                           "position": [0, 1, 2, 1, 0, 0, 0]})
    topic = np.array([1, 2, 2, -1, -1, 3, 3])
    articles = pd.DataFrame({"article_id": ["A", "B", "C", "D", "E"], "source": ["x", "x", "y", "y", "y"],
                             "date": ["2024-01-03", "2024-01-20", None, "2024-02-01T10:00:00Z", "2024-02-02"],
                             "page_date": ["1999-01-01"] * 5})
    dups = pd.DataFrame({"article_id": ["F", "G"], "duplicate_of": ["A", "F"], "similarity": [1.0, 0.9]})
    return chunks, topic, articles, dups


def label_of(t):
    return "outliers" if t == -1 else f"T{t}"


def test_mix_dominant_and_duplicates():
    chunks, topic, articles, dups = _tables()
    at = art.article_topics(chunks, topic, label_of, articles, dups).set_index("article_id")
    assert list(at.index) == ["A", "B", "C", "D", "E", "F", "G"]  # every input row gets a result
    assert json.loads(at.loc["A", "topic_mix"]) == pytest.approx({"1": 1 / 3, "2": 2 / 3}, abs=1e-6)
    assert at.loc["A", "topic"] == 2 and at.loc["A", "topic_label"] == "T2"
    assert at.loc["B", "topic"] == -1 and at.loc["B", "topic_label"] == "outliers"
    assert at.loc["E", "topic"] == -1 and at.loc["E", "topic_mix"] == "{}"  # no chunks
    assert at.loc["F", "topic"] == 2 and at.loc["F", "duplicate_of"] == "A"
    assert at.loc["G", "topic"] == 2 and at.loc["G", "duplicate_of"] == "A"  # chain resolved to the kept twin
    assert pd.isna(at.loc["A", "duplicate_of"])


def test_dominant_prefers_real_topics_and_breaks_ties_by_earliest_chunk():
    assert art._dominant(np.array([-1, -1, 4])) == 4
    assert art._dominant(np.array([5, 4, 4, 5])) == 5


def test_shares_over_time_use_date_never_page_date():
    chunks, topic, articles, dups = _tables()
    at = art.article_topics(chunks, topic, label_of, articles, dups)
    st, info = art.shares_over_time(at, articles, "month", label_of)
    assert set(st["period"]) == {"2024-01", "2024-02"}
    assert info["articles_without_date"] == 1
    for _, g in st.groupby("period"):
        assert g["share"].sum() == pytest.approx(1.0, abs=1e-5)
    jan = st[st["period"] == "2024-01"].set_index("topic")["share"]
    assert jan[2] == pytest.approx((2 / 3) / 2, abs=1e-5)  # A's mix share over A and B
    # duplicates are not counted twice
    assert st["n_articles"].sum() == 3


def test_shares_per_source_sum_to_one():
    chunks, topic, articles, dups = _tables()
    at = art.article_topics(chunks, topic, label_of, articles, dups)
    ss = art.shares_per_source(at, articles, label_of)
    assert set(ss["source"]) == {"x", "y"}
    assert ss.groupby("source")["share"].sum().round(5).tolist() == [1.0, 1.0]


def test_unknown_article_and_dangling_duplicate_are_named():
    chunks, topic, articles, dups = _tables()
    with pytest.raises(InputError, match=r"chunks.parquet: row 0: article_id 'A'"):
        art.article_topics(chunks, topic, label_of, articles[articles.article_id != "A"], dups,
                           where_chunks="chunks.parquet")
    bad = pd.DataFrame({"article_id": ["Z"], "duplicate_of": ["nope"], "similarity": [1.0]})
    with pytest.raises(InputError, match=r"dups: row 0: duplicate_of 'nope'"):
        art.article_topics(chunks, topic, label_of, articles, bad, where_dups="dups")


def test_rows_skipped_at_ingest_get_a_result_row_with_their_reason():
    chunks, topic, articles, dups = _tables()
    at = art.article_topics(chunks, topic, label_of, articles, dups)
    skipped = pd.DataFrame({"article_id": ["S1", "S2"], "source": ["t.csv", "t.csv"],
                            "reason": ["empty or missing text", "shorter than ingest.min_article_chars=40"]})
    full = art.with_skipped(at, skipped).set_index("article_id")
    assert list(full.index) == ["A", "B", "C", "D", "E", "F", "G", "S1", "S2"]
    assert full.loc["S1", "topic"] == -1 and full.loc["S1", "topic_mix"] == "{}"
    assert full.loc["S2", "skipped"].startswith("shorter than")
    assert full.loc["A", "skipped"] is None and pd.isna(full.loc["S1", "duplicate_of"])


def test_a_tie_goes_to_the_topic_most_similar_to_the_article():
    # article T: one chunk in topic 1 (first), one in topic 2; T's vector leans to topic 2's centroid
    chunks = pd.DataFrame({"chunk_id": list("abcde"), "article_id": ["T", "T", "U", "V", "W"],
                           "position": [0, 1, 0, 0, 0]})
    topic = np.array([1, 2, 1, 2, 2])
    X = np.array([[1, 0.2], [0.1, 1], [1, 0], [0, 1], [0.2, 1]], dtype=np.float32)
    articles = pd.DataFrame({"article_id": list("TUVW"), "source": "s", "date": None, "page_date": None})
    no_dups = pd.DataFrame({"article_id": [], "duplicate_of": [], "similarity": []})
    at = art.article_topics(chunks, topic, label_of, articles, no_dups, embeddings=X).set_index("article_id")
    assert at.loc["T", "topic"] == 2 and at.loc["U", "topic"] == 1
    # without embeddings, the earliest chunk decides
    assert art.article_topics(chunks, topic, label_of, articles, no_dups).set_index("article_id").loc["T", "topic"] == 1
