"""The time and outlet views: stance shares per group, and the four figures from tiny tables."""
import json

import pandas as pd
import pytest

from topicstance.params import ReportParams
from topicstance.report import views
from topicstance.report.build import _time_outlet_figures

PNG = b"\x89PNG"


def _articles(dated=True, outlets=True):
    return pd.DataFrame({"article_id": ["a", "b", "c", "d"], "source": ["t.csv"] * 4,
                         "outlet": ["kremlin", "kremlin", "kyiv", "kyiv"] if outlets else [None] * 4,
                         "date": ["2022-02-01", "2022-03-05", "2022-02-09", "2022-03-10"] if dated else [None] * 4})


def _stance():
    rows = [("a", "Russia", "FAVOR"), ("b", "Russia", "FAVOR"), ("c", "Russia", "AGAINST"), ("d", "Russia", "NONE"),
            ("a", "Ukraine", "AGAINST"), ("b", "Ukraine", "NONE"), ("c", "Ukraine", "FAVOR"), ("d", "Ukraine", "FAVOR")]
    return pd.DataFrame(rows, columns=["article_id", "target", "stance"])


def test_stance_shares_per_outlet_count_every_stance_with_intervals():
    s = views.stance_shares(_stance(), _articles(), ["outlet"])
    ru = s[(s["outlet"] == "kremlin") & (s["target"] == "Russia")].set_index("stance")
    assert ru["n_articles"].to_dict() == {"FAVOR": 2, "AGAINST": 0, "NONE": 0}  # absent stances are 0 rows
    assert ru.loc["FAVOR", "share"] == 1.0 and ru.loc["FAVOR", "n_group"] == 2
    assert 0 < ru.loc["FAVOR", "lo"] < 1 == ru.loc["FAVOR", "hi"]  # Wilson: not zero-width at 2 of 2


def test_stance_shares_over_time_leave_out_undated_articles():
    arts = _articles()
    arts.loc[3, "date"] = None
    s = views.stance_shares(_stance(), arts, ["period"])
    assert s.groupby("period")["n_articles"].sum().to_dict() == {"2022-02": 4, "2022-03": 2}  # 2 targets each


def _data_dir(tmp_path, **kw):
    d = tmp_path / "data"
    d.mkdir()
    _articles(**kw).to_parquet(d / "articles.parquet")
    mixes = {"a": {"0": 1.0}, "b": {"0": 0.5, "1": 0.5}, "c": {"1": 1.0}, "d": {"1": 1.0}}
    pd.DataFrame({"article_id": list(mixes), "topic": [0, 0, 1, 1], "topic_label": ["war", "war", "grain", "grain"],
                  "topic_mix": [json.dumps(m) for m in mixes.values()], "duplicate_of": [None] * 4,
                  "skipped": [None] * 4}).to_parquet(d / "article_topics.parquet")
    _stance().to_parquet(d / "article_stance.parquet")
    return d


def test_report_draws_the_four_time_and_outlet_views(tmp_path):
    not_drawn = {}
    out = _time_outlet_figures(_data_dir(tmp_path), tmp_path, ReportParams(dpi=50), "month", not_drawn)
    assert sorted(p.name for p in out) == ["stance_by_outlet.png", "stance_share_time.png", "topic_by_outlet.png",
                                           "topic_share_time.png"]
    assert all(p.read_bytes().startswith(PNG) for p in out) and not_drawn == {}


@pytest.mark.parametrize("kw, missing", [({"dated": False}, {"topic_share_time.png", "stance_share_time.png"}),
                                         ({"outlets": False}, {"topic_by_outlet.png", "stance_by_outlet.png"})])
def test_views_the_data_cannot_support_are_named_with_the_reason(tmp_path, kw, missing):
    not_drawn = {}
    out = _time_outlet_figures(_data_dir(tmp_path, **kw), tmp_path, ReportParams(dpi=50), "month", not_drawn)
    assert set(not_drawn) == missing and len(out) == 2
    assert all(why.startswith("no article") for why in not_drawn.values())
