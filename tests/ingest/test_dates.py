"""One date parser for tables and pages: ISO first, day/month order decided once per column or file."""
import pandas as pd
import pytest

from topicstance.ingest import ingest_corpus
from topicstance.params import IngestParams

BODY = ("The parliament approved the new budget on Tuesday after a long debate about taxes. "
        "Opposition members said the plan would hurt families.")


OTHER = ("The football cup final went to penalties after a goalless draw in the rain. "
         "Fans of both clubs stayed in the stadium long after the whistle.")


def _vals(col):
    return [v if isinstance(v, str) else None for v in col]


def _table(tmp_path, dates, **params):
    texts = [f"{BODY} Story {i} about item {i * 7}." for i in range(len(dates))]
    pd.DataFrame({"id": [f"r{i}" for i in range(len(dates))], "text": texts, "date": dates}).to_csv(
        tmp_path / "t.csv", index=False)
    arts, _, _, rep = ingest_corpus(tmp_path / "t.csv", IngestParams(**params))
    return _vals(arts["date"]), rep


def test_one_csv_column_is_read_by_one_rule(tmp_path):
    got, rep = _table(tmp_path, ["03/04/2022", "12/25/2022"])
    assert got == ["2022-03-04", "2022-12-25"]  # 12/25 makes the column month-first, so 03/04 is 4 March
    assert rep["dates"]["orders"][0]["order"] == "mdy"
    assert "line 3" in rep["dates"]["orders"][0]["decided_by"]


def test_a_first_field_above_12_makes_the_column_day_first(tmp_path):
    got, _ = _table(tmp_path, ["03/04/2022", "25/12/2022"])
    assert got == ["2022-04-03", "2022-12-25"]


def test_undecidable_values_are_left_empty_and_counted_as_ambiguous(tmp_path):
    got, rep = _table(tmp_path, ["03/04/2022", "05/06/2022", "07/07/2022"])
    assert got == [None, None, "2022-07-07"]  # 07/07 reads the same either way
    assert rep["ambiguous_dates"] == 2
    assert [a["value"] for a in rep["dates"]["ambiguous"]] == ["03/04/2022", "05/06/2022"]


def test_date_order_overrides_the_evidence(tmp_path):
    got, rep = _table(tmp_path, ["03/04/2022", "12/25/2022"], date_order="dmy")
    assert got == ["2022-04-03", None]  # 25 is no month
    assert rep["unparseable_dates"] == 1 and rep["dates"]["unparseable"][0]["where"] == "line 3"


def test_iso_dates_are_read_first_whatever_the_column_order(tmp_path):
    got, _ = _table(tmp_path, ["2022-06-24T17:30:00Z", "2022/03/04", "25/12/2022", "Tue, 21 Oct 2025 10:00:00 +0000"])
    assert got == ["2022-06-24", "2022-03-04", "2022-12-25", "2025-10-21"]


def test_table_dates_of_named_months_are_never_ambiguous(tmp_path):
    got, rep = _table(tmp_path, ["March 4, 2022", "4 March 2022", "04-Mar-2022"])
    assert got == ["2022-03-04"] * 3 and rep["ambiguous_dates"] == 0


@pytest.mark.parametrize("line", ["Tue, 21-Oct-2025", "October 21, 2025", "21 October 2025",
                                  "Published: 21 October 2025 at 10:32 GMT", "By Jane Doe | Oct. 21, 2025"])
def test_a_dateline_under_the_headline_is_the_article_date(tmp_path, line):
    (tmp_path / "p.txt").write_text(f"Kyiv talks resume after a week of strikes\n\n{line}\n\n{BODY}\n\n{BODY}")
    arts, _, paras, _ = ingest_corpus(tmp_path, IngestParams())
    assert arts["date"].tolist() == ["2025-10-21"]
    assert line not in arts["text"].iat[0]
    assert paras.loc[paras["text"] == line, "reason"].tolist() == ["date"]


def test_a_dateline_above_the_first_text_is_the_page_date_not_the_article_date(tmp_path):
    (tmp_path / "p.txt").write_text(f"14 March 2023\n\nKyiv talks resume after a week of strikes\n\n{BODY}\n\n{BODY}")
    arts, _, _, _ = ingest_corpus(tmp_path, IngestParams())
    assert arts["page_date"].tolist() == ["2023-03-14"] and arts["date"].isna().all()


def test_day_month_order_of_pages_is_decided_per_file(tmp_path):
    (tmp_path / "a.txt").write_text(f"03/04/2022\n\n25/04/2022\n\nHeadline of a story here\n\n{BODY}")
    (tmp_path / "b.txt").write_text(f"03/04/2022\n\nAnother headline of a story\n\n{OTHER}")
    arts, _, _, rep = ingest_corpus(tmp_path, IngestParams())
    page_date = dict(zip(arts["source"], _vals(arts["page_date"])))
    assert page_date["a.txt"] == "2022-04-03"  # 25/04 in the same file makes it day-first
    assert page_date["b.txt"] is None  # nothing in b.txt decides
    assert [(a["file"], a["value"]) for a in rep["dates"]["ambiguous"]] == [("b.txt", "03/04/2022")]
