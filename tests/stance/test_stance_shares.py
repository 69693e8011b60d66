"""Grouping an applied stance output and marking the texts the model was trained on."""
import numpy as np
import pandas as pd

from topicstance.stance.labels import unit_id
from topicstance.stance.prevalence import StancePrevalence
from topicstance.stance.shares import seen_chunks, shares_table, unit_table


def _data(d, texts: dict[str, str], chunk_spans: list[tuple[str, int, int]], topics: list[int]):
    d.mkdir()
    pd.DataFrame({"article_id": list(texts), "source": "s", "outlet": None, "title": None, "text": list(texts.values()), "date": None,
                  "page_date": None, "tags": [[] for _ in texts], "summary": None}).to_parquet(d / "articles.parquet")
    ids = [f"c{i}" for i in range(len(chunk_spans))]
    pd.DataFrame({"chunk_id": ids, "article_id": [a for a, _, _ in chunk_spans], "position": 0,
                  "char_start": [s for _, s, _ in chunk_spans], "char_end": [e for _, _, e in chunk_spans],
                  "n_tokens": 5, "text": "t"}).to_parquet(d / "chunks.parquet")
    pd.DataFrame({"chunk_id": ids, "topic_raw": topics, "topic": topics, "probability": 1.0}).to_parquet(
        d / "topics.parquet")
    P = np.tile([0.2, 0.2, 0.6], (len(ids), 1))
    pd.DataFrame({"chunk_id": ids, "article_id": [a for a, _, _ in chunk_spans], "target": "Russia", "stance": "NONE",
                  "p_favor": P[:, 0], "p_against": P[:, 1], "p_none": P[:, 2]}).to_parquet(d / "stance.parquet")
    return d


def test_a_chunk_overlapping_a_training_paragraph_is_seen_and_its_group_flagged(tmp_path):
    a = "First paragraph, labelled in training.\n\nSecond paragraph, never labelled."
    b = "A third paragraph from another article."
    cut = a.index("\n\n")
    d = _data(tmp_path / "data", {"A": a, "B": b},
              [("A", 0, cut), ("A", cut + 2, len(a)), ("B", 0, len(b))], topics=[0, 1, 1])
    trained = {unit_id("First paragraph, labelled in training.")}
    chunks, arts = pd.read_parquet(d / "chunks.parquet"), pd.read_parquet(d / "articles.parquet")
    assert seen_chunks(chunks, arts, trained).tolist() == [True, False, False]
    units, info = unit_table(d, trained=trained)
    assert info["chunks_seen_in_training"] == 1
    y = np.repeat(["FAVOR", "AGAINST", "NONE"], 30)
    P = np.eye(3)[np.repeat(np.arange(3), 30)] * 0.7 + 0.1  # a perfect classifier
    est = StancePrevalence(n_bootstrap=100, min_units=1, sources=()).fit(y, P, ["Russia"] * 90)
    table, _ = shares_table(est, units, ["topic"], "chunk")
    flags = table.drop_duplicates("group").set_index("group")["flags"]
    assert "seen_in_training" in flags["0"] and "seen_in_training" not in flags["1"]
    assert table.set_index("group")["seen"].loc["0"].tolist() == [1.0, 1.0, 1.0]
