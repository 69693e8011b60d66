"""One reader (topicstance.tables) for corpus tables, stance labels and prediction inputs."""
import json

import pandas as pd
import pytest

from topicstance.cli import main
from topicstance.errors import InputError
from topicstance.ingest import ingest_corpus
from topicstance.params import IngestParams
from topicstance.stance.labels import read_labels
from topicstance.tables import read_table

BODY = ("Officials in Kyiv said air defences shot down most of the drones overnight, and that power was "
        "restored to the eastern districts by the morning.")
ROWS = [{"id": "a", "text": BODY, "target": "Ukraine", "stance": "NONE", "note": "NA"},
        {"id": "b", "text": "Moscow said the\nstrikes hit military targets only,\nwhich Kyiv denied at once.",
         "target": "Russia", "stance": "FAVOR", "note": None},
        {"id": "c", "text": "None", "target": "Russia", "stance": "none", "note": "null"}]


def _write(df: pd.DataFrame, path):
    if path.suffix == ".csv":
        df.to_csv(path, index=False)
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in df.to_dict("records")))
    else:
        df.to_parquet(path, index=False)
    return path


@pytest.fixture(params=[".csv", ".jsonl", ".parquet"])
def table(request, tmp_path):
    return _write(pd.DataFrame(ROWS), tmp_path / f"t{request.param}")


def test_every_format_reads_the_same_cells(table):
    t = read_table(table)
    assert t.df.to_dict("records") == [{**r, "note": r["note"]} for r in ROWS]  # "NA", "null", "None" stay text
    assert t.unit == ("row" if table.suffix == ".parquet" else "line")


def test_corpus_labels_and_predict_inputs_read_a_table_alike(table):
    from topicstance.cli.predict import read_inputs

    arts, _, _, rep = ingest_corpus(table, IngestParams())
    labels = read_labels(table)
    pred = read_inputs([str(table)])
    assert arts["article_id"].tolist() == ["a", "b", "c"]  # a table row is a document however short: "None" too
    assert not rep.get("short_articles_skipped")
    assert labels["text"].tolist() == [r["text"] for r in ROWS] and labels["stance"].tolist()[2] == "NONE"
    assert pred == [(r["id"], r["text"]) for r in ROWS]  # the text "None" is predicted, not taken as missing
    assert arts["note"].iloc[0] == "NA" and pd.isna(arts["note"].iloc[1])
    assert arts["text"].iloc[2] == "None"


def test_an_error_names_the_true_line_of_a_record_after_a_multi_line_field(tmp_path):
    p = tmp_path / "labels.csv"
    p.write_text('text,target,stance\n"first line\nsecond line\nthird line",Russia,FAVOR\nAnother text,Russia,maybe\n')
    with pytest.raises(InputError, match=r"labels\.csv: line 5: unknown stance 'maybe'"):
        read_labels(p)
    c = tmp_path / "corpus.csv"
    c.write_text(f'id,text\nx,"{BODY}\n\n{BODY}"\nx,"{BODY}"\n')
    with pytest.raises(InputError, match=r"line 5: duplicate id 'x' \(first at line 2\)"):
        ingest_corpus(c, IngestParams())


def test_stance_predict_names_the_true_line_of_an_empty_target(tmp_path, capsys):
    p = tmp_path / "in.csv"
    p.write_text('text,target\n"a text\nover two lines",Russia\nanother,\n')
    (tmp_path / "empty.yaml").write_text("{}\n")
    rc = main(["stance", "predict", str(tmp_path / "no-model"), str(p), "--out", str(tmp_path / "o.csv"),
               "--params", str(tmp_path / "empty.yaml")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.endswith("in.csv: line 4: column 'target' is empty"), err


def test_malformed_csv_names_the_line(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text('id,text\n1,fine\n2,"broken, "quote" here\n')
    with pytest.raises(InputError, match=r"t\.csv: line 3: malformed CSV"):
        read_table(p)
    p.write_text('id,text\n1,fine\n2,too,many\n')
    with pytest.raises(InputError, match=r"t\.csv: line 3: malformed CSV \(3 fields, the header has 2"):
        read_table(p)


def test_a_bad_jsonl_line_is_skipped_and_reported_for_labels_too(tmp_path):
    p = tmp_path / "l.jsonl"
    p.write_text(json.dumps({"text": "Russia attacked.", "target": "Russia", "stance": "AGAINST"}) + "\n{oops\n"
                 + json.dumps({"text": "Kyiv held.", "target": "Ukraine", "stance": "FAVOR"}) + "\n")
    df = read_labels(p)
    assert df["row"].tolist() == [1, 3]
    assert df.attrs["skipped"] == [{"file": "l.jsonl", "row": 2, "reason": "bad JSON line (JSONDecodeError)"}]


def test_a_column_map_reads_the_users_own_column_names(tmp_path, capsys):
    src = tmp_path / "mine.csv"
    pd.DataFrame({"key": ["k1", "k2"], "body": [BODY, BODY.replace("Kyiv", "Odesa").replace("drones", "missiles")],
                  "published": ["2024-03-01", "2024-03-02"]}).to_csv(src, index=False)
    (tmp_path / "empty.yaml").write_text("{}\n")
    assert main(["ingest", str(src), "--out", str(tmp_path / "d"), "--text-col", "body", "--id-col", "key",
                 "--date-col", "published", "--params", str(tmp_path / "empty.yaml")]) == 0
    arts = pd.read_parquet(tmp_path / "d" / "articles.parquet")
    assert arts["article_id"].tolist() == ["k1", "k2"] and arts["date"].tolist() == ["2024-03-01", "2024-03-02"]
    (tmp_path / "p.yaml").write_text("ingest:\n  text_column: body\n  id_column: key\n")
    arts2, _, _, _ = ingest_corpus(src, IngestParams(text_column="body", id_column="key"))
    assert arts2["article_id"].tolist() == ["k1", "k2"]
    with pytest.raises(InputError, match=r"no 'content' column to read as 'text'"):
        read_table(src, columns={"text": "content"})


def test_a_csv_field_longer_than_the_csv_modules_default_limit_is_read(tmp_path):
    import csv

    long = "Kyiv said the shelling went on. " * 8000  # 256,000 characters
    pd.DataFrame({"id": ["x"], "text": [long]}).to_csv(tmp_path / "t.csv", index=False)
    limit = csv.field_size_limit()
    assert read_table(tmp_path / "t.csv").df["text"].iloc[0] == long
    assert csv.field_size_limit() == limit  # the module's setting is left as it was
