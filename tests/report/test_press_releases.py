"""The time and outlet views on real data: a `topicstance run` over 60 presidential press releases
(30 per office, Jan-Apr 2022; the ``press_release_run`` fixture in tests/conftest.py)."""
import json

import pandas as pd

from topicstance.report import views


def _articles(run):
    return pd.read_parquet(run / "data" / "articles.parquet")


def test_each_release_keeps_its_outlet_and_its_date(press_release_run):
    arts = _articles(press_release_run)
    rep = json.loads((press_release_run / "reports" / "ingest.json").read_text())
    assert rep["rows_read"] == 60 and rep["dates"]["parsed"] == 60 and rep["ambiguous_dates"] == 0
    assert arts["outlet"].value_counts().to_dict() == {"kremlin": 30, "president_of_ukraine": 30}
    assert set(arts["source"]) == {"press_releases.csv"}  # the outlet is not the source
    assert arts["date"].min() < "2022-02-24" <= arts["date"].max()


def test_topic_share_over_time_per_outlet_sums_to_one_in_every_month(press_release_run):
    at = pd.read_parquet(press_release_run / "data" / "article_topics.parquet")
    s = views.topic_shares(at, _articles(press_release_run), ["outlet", "period"])
    sums = s.groupby(["outlet", "period"])["share"].sum()
    assert set(s["outlet"]) == {"kremlin", "president_of_ukraine"} and len(sums) >= 6
    assert ((sums - 1).abs() < 1e-4).all()


def test_topic_shares_per_outlet_come_from_the_topics_stage(press_release_run):
    s = pd.read_parquet(press_release_run / "data" / "topic_shares_outlet.parquet")
    assert s.groupby("outlet")["n_articles"].sum().to_dict() == {"kremlin": 30, "president_of_ukraine": 30}


def test_stance_over_time_counts_every_release_once_per_target(press_release_run):
    ast = pd.read_parquet(press_release_run / "data" / "article_stance.parquet")
    s = views.stance_shares(ast, _articles(press_release_run), ["outlet", "period"])
    per = s.groupby(["target", "outlet"])["n_articles"].sum()
    assert per.to_dict() == {(t, o): 30 for t in ("Russia", "Ukraine") for o in ("kremlin", "president_of_ukraine")}


def test_the_report_draws_the_four_time_and_outlet_views(press_release_run):
    figs = press_release_run / "reports" / "figures"
    for name in ("topic_share_time.png", "stance_share_time.png", "topic_by_outlet.png", "stance_by_outlet.png"):
        assert (figs / name).read_bytes().startswith(b"\x89PNG"), name
