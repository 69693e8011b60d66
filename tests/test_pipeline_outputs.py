"""Checks on the seed pipeline's outputs (built by `make repro` before the tests)."""
import subprocess

import numpy as np
import pandas as pd

from topicstance import load_embeddings, schema
from topicstance.io import read_json


def test_articles_conform_to_the_contract(project_outputs):
    df = schema.read_table(project_outputs / "data" / "articles.parquet", schema.ARTICLES, unique="article_id")
    assert len(df) == 32


def test_chunks_conform_and_point_at_articles(project_outputs):
    chunks = schema.read_table(project_outputs / "data" / "chunks.parquet", schema.CHUNKS, unique="chunk_id")
    arts = pd.read_parquet(project_outputs / "data" / "articles.parquet").set_index("article_id")
    assert set(chunks["article_id"]) == set(arts.index)
    for _, c in chunks.head(50).iterrows():
        assert arts.loc[c["article_id"], "text"][c["char_start"]:c["char_end"]] == c["text"]
    assert chunks["n_tokens"].max() <= 256


def test_embeddings_align_with_chunks_and_are_normalised(project_outputs):
    chunks = pd.read_parquet(project_outputs / "data" / "chunks.parquet")
    ids, vecs = load_embeddings(project_outputs / "data" / "embeddings")
    assert isinstance(vecs, np.memmap)
    assert ids == chunks["chunk_id"].tolist()
    assert vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    meta = read_json(project_outputs / "data" / "embeddings" / "meta.json")
    assert meta["precision"] in ("float32", "bfloat16") and meta["dimension"] == vecs.shape[1]
    assert len(meta["weights_sha256"]) == 64


def test_ingest_report_accounts_for_every_paragraph(project_outputs):
    rep = read_json(project_outputs / "reports" / "ingest.json")
    paras = pd.read_parquet(project_outputs / "data" / "paragraphs.parquet")
    assert rep["paragraphs_total"] == len(paras) == sum(rep["paragraph_fates"].values())
    assert rep["articles_out"] == 32


def test_dvc_reports_nothing_to_do_after_repro(project_outputs):
    out = subprocess.run(["dvc", "status"], cwd=project_outputs, capture_output=True, text=True, check=True)
    assert "up to date" in out.stdout.lower(), out.stdout


def test_prevalence_table_flags_the_seed_corpus_as_the_models_own_training_text(project_outputs):
    """The seed pages' paragraphs are the seed labels, so every group holds text the model was trained on."""
    from topicstance.stance.shares import COLUMNS

    t = pd.read_csv(project_outputs / "reports" / "stance_prevalence.csv", keep_default_na=False)
    assert list(t.columns) == COLUMNS
    assert set(t["by"]) >= {"all", "topic", "source"}
    sums = t.groupby(["by", "group", "target"])[["cc", "pcc", "acc", "pacc"]].sum()
    assert np.allclose(sums, 1.0, atol=1e-4)
    assert t["flags"].str.contains("seen_in_training").all()
    assert (project_outputs / "models" / "stance_prevalence" / "correction.json").exists()
    assert (project_outputs / "reports" / "figures" / "stance_shares_by_topic.png").exists()
