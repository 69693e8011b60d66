"""`topicstance run TABLE --embeddings DIR`: a table's own embeddings, one chunk per row."""
import json

import numpy as np
import pandas as pd
import pytest

from topicstance.cli import main
from topicstance.embed.store import write_embeddings
from tests.topics.conftest import make_blobs


@pytest.fixture()
def table(tmp_path):
    texts, X, _ = make_blobs(n_per=40, k=4)
    ids = [f"row{i:03d}" for i in range(len(texts))]
    pd.DataFrame({"id": ids, "text": texts}).to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "p.yaml").write_text("ingest:\n  min_article_chars: 1\n")
    order = np.random.default_rng(0).permutation(len(ids))  # the folder's rows in another order
    write_embeddings(tmp_path / "emb", [ids[i] for i in order], X[order], {"model": "own", "dimension": 32})
    return tmp_path, ids, X


def test_run_with_own_embeddings_uses_them_one_chunk_per_row(table):
    d, ids, X = table
    assert main(["run", str(d / "t.csv"), "--out", str(d / "out"), "--embeddings", str(d / "emb"),
                 "--params", str(d / "p.yaml")]) == 0
    ch = pd.read_parquet(d / "out" / "data" / "chunks.parquet")
    assert ch["chunk_id"].tolist() == ch["article_id"].tolist() == ids
    V = np.load(d / "out" / "data" / "embeddings" / "vectors.npy")
    assert np.array_equal(V, X)  # put back in the table's order
    assert json.loads((d / "out" / "reports" / "embed.json").read_text())["encoded"] == 0
    at = pd.read_parquet(d / "out" / "data" / "article_topics.parquet")
    assert len(at) == len(ids) and at["topic"].nunique() >= 3


def test_an_id_missing_from_the_table_is_a_one_line_error(table, capsys):
    d, ids, X = table
    write_embeddings(d / "bad", ids[:-1] + ["stranger"], X, {"model": "own"})
    rc = main(["run", str(d / "t.csv"), "--out", str(d / "out"), "--embeddings", str(d / "bad"),
               "--params", str(d / "p.yaml")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and "'stranger' is not in the id column" in err[-1] and "Traceback" not in "\n".join(err)
