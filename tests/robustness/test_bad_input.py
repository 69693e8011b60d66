"""Bad corpus input through the CLI: a one-line error naming the file/row, or a counted skip."""
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

BODY = ("Officials in Kyiv said air defences shot down most of the drones overnight. "
        "Power was restored to the eastern districts by the morning, the mayor said.")


def _ingest(corpus, out):
    r = subprocess.run([sys.executable, "-m", "topicstance.cli", "ingest", str(corpus), "--out", str(out)],
                       capture_output=True, text=True, cwd=Path(out).parent)  # no params.yaml there: the defaults
    return r


def _one_line_error(r, *needles):
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])


def _report(out):
    return json.loads((Path(out) / "ingest.json").read_text())


def test_empty_corpus_folder(tmp_path):
    (tmp_path / "corpus").mkdir()
    _one_line_error(_ingest(tmp_path / "corpus", tmp_path / "out"), "corpus", "no readable documents")


def test_missing_corpus(tmp_path):
    _one_line_error(_ingest(tmp_path / "nope", tmp_path / "out"), "nope", "not found")


def test_empty_and_binary_files_are_counted_skips(tmp_path):
    c = tmp_path / "corpus"
    c.mkdir()
    (c / "good.txt").write_text(BODY)
    (c / "empty.txt").write_bytes(b"")
    (c / "blank.txt").write_text("\n\n   \n")
    (c / "binary.txt").write_bytes(bytes(range(256)) * 40)
    r = _ingest(c, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    rep = _report(tmp_path / "out")
    assert {s["file"]: s["reason"].split(" ")[0] for s in rep["skipped"]} == {
        "empty.txt": "empty", "blank.txt": "empty", "binary.txt": "binary"}
    assert rep["articles_out"] == 1


@pytest.mark.parametrize("encoding,expected", [("cp1252", "cp1252"), ("latin-1", "cp1252"), ("utf-16", "utf-16")])
def test_legacy_and_utf16_encodings_are_decoded_and_counted(tmp_path, encoding, expected):
    c = tmp_path / "corpus"
    c.mkdir()
    text = "Café owners in Kyiv said “business is slowly returning” – despite the curfew. " + BODY
    if encoding == "latin-1":
        text = text.replace("“", '"').replace("”", '"').replace("–", "-")
    (c / "doc.txt").write_bytes(text.encode(encoding))
    r = _ingest(c, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    arts = pd.read_parquet(tmp_path / "out" / "articles.parquet")
    assert arts["text"].iloc[0].startswith("Café owners in Kyiv")
    rep = _report(tmp_path / "out")
    assert rep["encodings"] == {expected: 1}
    assert rep["encoding_fallback_count"] == (0 if expected == "utf-16" else 1)


def test_50_mb_file_and_a_million_character_line(tmp_path):
    c = tmp_path / "corpus"
    c.mkdir()
    para = [f"Paragraph {i}: " + BODY for i in range(2000)]
    block = "\n\n".join(para) + "\n\n"
    (c / "big.txt").write_text((block * (50_000_000 // len(block) + 1))[:50_000_000])
    (c / "line.txt").write_text("word " * 200_000)
    r = _ingest(c, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    rep = _report(tmp_path / "out")
    assert sorted(t["file"] for t in rep["truncated"]) == ["big.txt", "line.txt"]
    arts = pd.read_parquet(tmp_path / "out" / "articles.parquet")
    assert arts["text"].str.len().max() <= 200_000
    fates = rep["paragraph_fates"]
    assert fates.get("duplicate", 0) > 0 and sum(fates.values()) == rep["paragraphs_total"]


def test_csv_without_text_column(tmp_path):
    pd.DataFrame({"id": [1], "body": [BODY]}).to_csv(tmp_path / "t.csv", index=False)
    _one_line_error(_ingest(tmp_path / "t.csv", tmp_path / "out"), "t.csv", "'text'")


def test_csv_with_broken_quoting(tmp_path):
    (tmp_path / "t.csv").write_text('id,text\n1,"ok"\n2,"unterminated, "x" y\n3,a,b,c\n')
    _one_line_error(_ingest(tmp_path / "t.csv", tmp_path / "out"), "t.csv", "malformed CSV")


def test_jsonl_with_one_bad_line_is_a_counted_skip(tmp_path):
    lines = [json.dumps({"id": "a", "text": BODY}), '{"id": "b", "text": ', json.dumps({"id": "c", "text": "Other news."})]
    (tmp_path / "t.jsonl").write_text("\n".join(lines) + "\n")
    r = _ingest(tmp_path / "t.jsonl", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    rep = _report(tmp_path / "out")
    assert rep["skipped"] == [{"file": "t.jsonl", "row": 2, "reason": "bad JSON line (JSONDecodeError)"}]


def test_duplicate_ids(tmp_path):
    pd.DataFrame({"id": ["x", "x"], "text": [BODY, "Other."]}).to_csv(tmp_path / "t.csv", index=False)
    _one_line_error(_ingest(tmp_path / "t.csv", tmp_path / "out"), "t.csv", "line 3", "duplicate id 'x'")


def test_nan_and_empty_texts_are_counted_skips(tmp_path):
    pd.DataFrame({"id": ["a", "b", "c"], "text": [BODY, float("nan"), ""]}).to_csv(tmp_path / "t.csv", index=False)
    r = _ingest(tmp_path / "t.csv", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    rep = _report(tmp_path / "out")
    assert [(s["id"], s["row"]) for s in rep["skipped"]] == [("b", 3), ("c", 4)]
    assert rep["articles_out"] == 1
