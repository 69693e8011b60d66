"""Topic shares per outlet, and crossed with time (the outlet and time views)."""
import json

import pandas as pd
import pytest

from topicstance.topics import articles as art


def _at(mixes):
    return pd.DataFrame({"article_id": list(mixes), "topic": [max(m, key=m.get) for m in mixes.values()],
                         "topic_label": [f"T{max(m, key=m.get)}" for m in mixes.values()],
                         "topic_mix": [json.dumps({str(k): v for k, v in m.items()}) for m in mixes.values()],
                         "duplicate_of": [None] * len(mixes), "skipped": [None] * len(mixes)})


MIXES = {"a": {0: 1.0}, "b": {0: 0.5, 1: 0.5}, "c": {1: 1.0}, "d": {1: 1.0}}
ARTICLES = pd.DataFrame({"article_id": ["a", "b", "c", "d"], "source": ["f.csv"] * 4,
                         "outlet": ["kremlin", "kremlin", "kyiv", None],
                         "date": ["2022-02-01", "2022-03-05", "2022-03-09", "2022-03-10"]})


def label_of(t):
    return f"T{t}"


def test_shares_per_outlet_leave_out_articles_without_an_outlet():
    s = art.shares_per_outlet(_at(MIXES), ARTICLES, label_of)
    assert s.set_index(["outlet", "topic"])["share"].to_dict() == {("kremlin", 0): 0.75, ("kremlin", 1): 0.25,
                                                                  ("kyiv", 1): 1.0}


def test_shares_by_outlet_and_period_sum_to_one_in_each_cell():
    s = art.shares_by(_at(MIXES), ARTICLES, ["outlet", "period"])
    assert list(s.columns[:2]) == ["outlet", "period"]
    assert s.groupby(["outlet", "period"])["share"].sum().to_dict() == pytest.approx(
        {("kremlin", "2022-02"): 1.0, ("kremlin", "2022-03"): 1.0, ("kyiv", "2022-03"): 1.0})
    assert s["topic_label"].tolist() == ["T0", "T0", "T1", "T1"]  # labels taken from article_topics
