import subprocess
import sys

import pandas as pd


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "topicstance.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_user_error_is_one_line_without_traceback(tmp_path):
    pd.DataFrame({"body": ["x"]}).to_csv(tmp_path / "t.csv", index=False)
    r = _cli("ingest", str(tmp_path / "t.csv"), "--out", str(tmp_path / "out"), cwd=tmp_path)  # defaults: no params.yaml
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.strip().count("\n") == 0 and "t.csv" in r.stderr and "'text'" in r.stderr


def test_bad_param_names_the_parameter(tmp_path):
    (tmp_path / "p.yaml").write_text("chunk:\n  overlap_sentences: -2\n")
    r = _cli("chunk", "x.parquet", "--out", str(tmp_path / "c.parquet"), "--params", str(tmp_path / "p.yaml"))
    assert r.returncode == 2 and "chunk.overlap_sentences" in r.stderr and "Traceback" not in r.stderr


def test_ingest_chunk_embed_on_a_tiny_table(tmp_path, fresh_cache):
    texts = ["Russian forces shelled Kharkiv on Monday. Officials said power was cut in several districts.",
             "The football club won the league title after a dramatic final day of the season."]
    pd.DataFrame({"id": ["a", "b"], "text": texts}).to_csv(tmp_path / "c.csv", index=False)
    (tmp_path / "empty.yaml").write_text("{}\n")
    p = str(tmp_path / "empty.yaml")
    assert _cli("ingest", str(tmp_path / "c.csv"), "--out", str(tmp_path / "d"), "--params", p).returncode == 0
    assert _cli("chunk", str(tmp_path / "d" / "articles.parquet"), "--out", str(tmp_path / "d" / "chunks.parquet"),
                "--params", p).returncode == 0
    r = _cli("embed", str(tmp_path / "d" / "chunks.parquet"), "--out", str(tmp_path / "d" / "emb"), "--params", p)
    assert r.returncode == 0, r.stderr
    assert "2 misses" in r.stderr
    from topicstance import load_embeddings

    ids, v = load_embeddings(tmp_path / "d" / "emb")
    assert len(ids) == 2 and v.shape == (2, 384)
