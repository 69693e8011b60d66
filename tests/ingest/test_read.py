import json
import os

import pandas as pd
import pytest

from topicstance.errors import InputError
from topicstance.ingest import ingest_corpus
from topicstance.params import IngestParams

BODY = ("The parliament approved the new budget on Tuesday after a long debate about taxes. "
        "Opposition members said the plan would hurt families.")


def _ingest(path):
    return ingest_corpus(path, IngestParams())


def test_folder_is_read_recursively_with_relative_sources(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text(BODY)
    (tmp_path / "two.md").write_text(BODY.replace("budget", "treaty").replace("taxes", "borders"))
    arts, _, _, rep = _ingest(tmp_path)
    assert sorted(arts["source"]) == ["a/one.txt", "two.md"]
    assert rep["files_read"] == 2


def test_symlink_outside_corpus_is_not_followed(tmp_path):
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    corpus.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("SECRET " + BODY)
    (corpus / "ok.txt").write_text(BODY)
    os.symlink(outside / "secret.txt", corpus / "link.txt")
    os.symlink(outside, corpus / "linkdir")
    arts, _, _, rep = _ingest(corpus)
    assert not arts["text"].str.contains("SECRET").any()
    reasons = {s["file"]: s["reason"] for s in rep["skipped"]}
    assert "outside" in reasons["link.txt"]
    assert "not followed" in reasons["linkdir"]


def test_skipped_files_are_counted_with_reasons(tmp_path):
    (tmp_path / "ok.txt").write_text(BODY)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    _, _, _, rep = _ingest(tmp_path)
    reasons = {s["file"]: s["reason"] for s in rep["skipped"]}
    assert set(reasons) == {"empty.txt", "bin.txt", "image.png"}
    assert rep["skipped_count"] == 3


def test_table_keeps_ids_columns_and_never_splits_rows(tmp_path):
    listing = "Headline one here\nTag\n" + BODY + "\n\nHeadline two is here\nTag two\n" + BODY.replace("budget", "law")
    df = pd.DataFrame({"id": ["x1", "x2"], "text": [BODY, listing], "title": ["T1", None],
                       "date": ["2023-03-14", "14 March 2023"], "lang": ["en", "en"]})
    df.to_csv(tmp_path / "t.csv", index=False)
    arts, _, _, _ = _ingest(tmp_path / "t.csv")
    assert arts["article_id"].tolist() == ["x1", "x2"]
    assert arts["date"].tolist() == ["2023-03-14", "2023-03-14"]
    assert arts["lang"].tolist() == ["en", "en"]
    assert arts["title"].iloc[0] == "T1"


def test_table_without_text_column_names_the_file(tmp_path):
    pd.DataFrame({"body": ["x"]}).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(InputError, match=r"t\.csv.*'text'"):
        _ingest(tmp_path / "t.csv")


def test_duplicate_ids_name_the_rows(tmp_path):
    pd.DataFrame({"id": ["a", "b", "a"], "text": [BODY, BODY + " x", BODY + " y"]}).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(InputError, match=r"line 4: duplicate id 'a' \(first at line 2\)"):
        _ingest(tmp_path / "t.csv")


def test_empty_and_nan_texts_are_skipped_and_counted(tmp_path):
    pd.DataFrame({"id": ["a", "b", "c"], "text": [BODY, None, "   "]}).to_parquet(tmp_path / "t.parquet")
    arts, _, _, rep = _ingest(tmp_path / "t.parquet")
    assert arts["article_id"].tolist() == ["a"]
    assert [(s["id"], s["reason"]) for s in rep["skipped"]] == [("b", "empty or missing text"),
                                                                ("c", "empty or missing text")]


def test_jsonl_bad_line_is_skipped_and_reported(tmp_path):
    p = tmp_path / "t.jsonl"
    p.write_text(json.dumps({"id": 1, "text": BODY}) + "\n{not json\n" + json.dumps({"id": 2, "text": "A different story about the football cup final and the goals scored late in the game."}) + "\n")
    arts, _, _, rep = _ingest(p)
    assert arts["article_id"].tolist() == ["1", "2"]
    assert rep["skipped"] == [{"file": "t.jsonl", "row": 2, "reason": "bad JSON line (JSONDecodeError)"}]


def test_csv_with_broken_quoting_is_a_clear_error(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text('id,text\n1,"fine"\n2,"broken, "quote" here\n3,x,y,z\n')
    with pytest.raises(InputError, match=r"t\.csv: line 3: malformed CSV"):
        _ingest(p)


def test_max_chars_cut_is_counted(tmp_path):
    (tmp_path / "long.txt").write_text("\n\n".join(f"Paragraph {i}. {BODY}" for i in range(50)))
    arts, _, _, rep = ingest_corpus(tmp_path, IngestParams(max_chars=1000))
    assert len(arts["text"].iloc[0]) <= 1000
    assert rep["truncated_count"] == 1 and rep["truncated"][0]["file"] == "long.txt"


def test_empty_corpus_folder_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="no readable documents"):
        _ingest(tmp_path)


def test_empty_and_short_rows_are_listed_in_skipped_parquet(tmp_path):
    from topicstance.ingest import write_ingest

    df = pd.DataFrame({"id": ["ok", "short", "empty"], "text": [BODY, "Too short.", ""]})
    df.to_csv(tmp_path / "t.csv", index=False)
    rep = write_ingest(tmp_path / "t.csv", tmp_path / "out", IngestParams(min_table_row_chars=20))
    sk = pd.read_parquet(tmp_path / "out" / "skipped.parquet").set_index("article_id")
    assert sorted(sk.index) == ["empty", "short"]
    assert "min_table_row_chars=20" in sk.loc["short", "reason"] and sk.loc["empty", "source"] == "t.csv"
    assert rep["articles_out"] == 1
