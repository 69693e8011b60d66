"""reports/figures/topic_hierarchy.png: the level below the model's topics, or the model's own tree."""
import shutil

from topicstance.params import ReportParams, TopicsParams
from topicstance.report import build
from topicstance.topics.stage import fit_topics
from tests.topics.conftest import make_blobs, small_project


def test_above_the_topic_limit_auto_draws_the_models_own_tree_without_a_cut(tmp_path, monkeypatch):
    texts, X, _ = make_blobs(n_per=30, k=3)
    data = small_project(tmp_path, texts, X)
    res = fit_topics(data / "chunks.parquet", data / "embeddings", data / "articles.parquet",
                     data / "duplicates.parquet", tmp_path / "models", data, tmp_path / "reports", TopicsParams(),
                     overrides_path=tmp_path / "none.yaml")
    assert res["metrics"]["n_topics"] >= 2
    monkeypatch.setattr(build, "FINER_MAX_MODEL_TOPICS", 1)
    shutil.rmtree(data / "embeddings")  # a cut would need the chunk vectors; the model's tree does not
    out = build.hierarchy_figure(data, tmp_path / "models", tmp_path / "h.png", ReportParams())
    assert out.stat().st_size > 0
