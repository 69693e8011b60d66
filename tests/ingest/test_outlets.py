"""The outlet column: from a table column, or from a folder's outlets.csv sidecar; never the source."""
import pandas as pd
import pytest

from topicstance.cli import main
from topicstance.errors import InputError
from topicstance.ingest import ingest_corpus
from topicstance.params import IngestParams

BODY = ("The parliament approved the new budget on Tuesday after a long debate about taxes. "
        "Opposition members said the plan would hurt families.")


def _vals(col):
    return [v if isinstance(v, str) else None for v in col]


def _rows(n):
    return [f"{BODY} Story {i} about item {i * 7}." for i in range(n)]


def test_table_outlet_column_fills_outlet_and_source_stays_the_file(tmp_path):
    pd.DataFrame({"id": ["a", "b", "c"], "text": _rows(3), "outlet": ["kremlin", "president_of_ukraine", None]}).to_csv(
        tmp_path / "t.csv", index=False)
    arts, _, _, rep = ingest_corpus(tmp_path / "t.csv", IngestParams())
    assert _vals(arts["outlet"]) == ["kremlin", "president_of_ukraine", None]
    assert set(arts["source"]) == {"t.csv"}
    assert rep["articles_per_outlet"] == {"kremlin": 1, "president_of_ukraine": 1}
    assert rep["outlets"]["articles_without_outlet"] == 1


def test_outlet_column_param_names_another_column(tmp_path):
    pd.DataFrame({"id": ["a", "b"], "text": _rows(2), "media": ["RT DE", "SNA"]}).to_csv(tmp_path / "t.csv",
                                                                                         index=False)
    arts, _, _, _ = ingest_corpus(tmp_path / "t.csv", IngestParams(outlet_column="media"))
    assert arts["outlet"].tolist() == ["RT DE", "SNA"]


def test_a_named_outlet_column_that_is_missing_is_an_error_naming_the_file(tmp_path):
    pd.DataFrame({"id": ["a"], "text": _rows(1)}).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(InputError, match=r"t\.csv: no 'media' column for the outlet"):
        ingest_corpus(tmp_path / "t.csv", IngestParams(outlet_column="media"))


def test_outlet_col_option_overrides_the_param(tmp_path):
    pd.DataFrame({"id": ["a"], "text": _rows(1), "media": ["SNA"]}).to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "empty.yaml").write_text("")
    assert main(["ingest", str(tmp_path / "t.csv"), "--out", str(tmp_path / "out"), "--outlet-col", "media",
                 "--params", str(tmp_path / "empty.yaml")]) == 0
    assert pd.read_parquet(tmp_path / "out" / "articles.parquet")["outlet"].tolist() == ["SNA"]


def test_folder_sidecar_maps_folders_and_files_to_outlets(tmp_path):
    for rel, text in [("kremlin/a.txt", _rows(1)[0]), ("kyiv/b.txt", _rows(2)[1]), ("kyiv/special/c.txt", _rows(3)[2]),
                      ("other.txt", _rows(4)[3])]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "outlets.csv").write_text("path,outlet\nkremlin/,Kremlin\nkyiv,Office of the President\n"
                                          "kyiv/special/c.txt,Ministry\nmissing/,Nobody\n")
    arts, _, _, rep = ingest_corpus(tmp_path, IngestParams())
    got = dict(zip(arts["source"], _vals(arts["outlet"])))
    assert got == {"kremlin/a.txt": "Kremlin", "kyiv/b.txt": "Office of the President",
                   "kyiv/special/c.txt": "Ministry", "other.txt": None}  # the longest matching path wins
    assert rep["outlets"]["unused_paths"] == ["missing"]
    assert not any(s["file"] == "outlets.csv" for s in rep["skipped"])  # metadata, not a skipped document


def test_sidecar_listing_a_path_twice_names_both_lines(tmp_path):
    (tmp_path / "a.txt").write_text(BODY)
    (tmp_path / "outlets.csv").write_text("path,outlet\na.txt,X\n./a.txt,Y\n")
    with pytest.raises(InputError, match=r"outlets\.csv: line 3: path './a.txt' is listed twice \(first at line 2\)"):
        ingest_corpus(tmp_path, IngestParams())
