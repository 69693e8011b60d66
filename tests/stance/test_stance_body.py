"""``stance.model``: the stance body apart from the topics body (one model, or two side by side)."""
import numpy as np
import pandas as pd
import pytest

from topicstance.embed.encoder import Embedder
from topicstance.embed.model import read_model_info
from topicstance.errors import ParamsError
from topicstance.params import EmbedParams, StanceParams
from topicstance.stance.apply import chunk_embeddings
from topicstance.stance.classifier import StanceClassifier

from .conftest import make_labels

MINI, MPNET = "all-MiniLM-L6-v2", "all-mpnet-base-v2"


def _fit(cache_dir, model, method="embedding-lr"):
    df = make_labels(per_template=2)
    clf = StanceClassifier(method=method, model=model, cache_dir=cache_dir, precision="float32")
    return clf.fit(df["text"].tolist(), df["target"].tolist(), df["stance"].tolist()), df


def test_stance_model_defaults_to_minilm_and_takes_a_list():
    assert StanceParams().model == MINI
    assert StanceParams(model=[MINI, MPNET]).model == [MINI, MPNET]
    assert StanceParams(model=[MPNET]).model == MPNET
    with pytest.raises(ParamsError, match="stance.model"):
        StanceParams(model=[])
    clf = StanceClassifier.from_params(StanceParams(model=MPNET), EmbedParams(model=MINI))
    assert clf.model == MPNET  # embed.model stays the topics body


def test_two_bodies_give_their_vectors_side_by_side(cache_dir):
    clf, df = _fit(cache_dir, [MINI, MPNET])
    assert clf.embedding_dim_ == 384 + 768
    X = clf.frozen_embeddings(df["text"].head(3).tolist())
    a = Embedder(model=MINI, precision="float32", cache_dir=cache_dir, show_progress=False).encode(df["text"].head(3).tolist())
    assert X.shape == (3, 1152) and np.allclose(X[:, :384], a, atol=1e-6)


def test_a_saved_two_body_model_loads_and_predicts_the_same(cache_dir, tmp_path):
    clf, df = _fit(cache_dir, [MINI, MPNET])
    clf.save(tmp_path / "m")
    back = StanceClassifier.load(tmp_path / "m", cache_dir=cache_dir)
    assert back.models == [MINI, MPNET]
    t, g = df["text"].tolist(), df["target"].tolist()
    assert np.allclose(back.predict_proba(t, g), clf.predict_proba(t, g), atol=1e-6)


def test_apply_never_feeds_the_topics_vectors_of_another_model(cache_dir, tmp_path):
    from topicstance.embed.store import write_embeddings

    clf, df = _fit(cache_dir, MPNET)
    texts = df["text"].head(4).tolist()
    chunks = pd.DataFrame({"chunk_id": [f"c{i}" for i in range(4)], "text": texts})
    mini = Embedder(model=MINI, precision="float32", cache_dir=cache_dir, show_progress=False).encode(texts)
    info = read_model_info(MINI)
    write_embeddings(tmp_path / "emb", chunks["chunk_id"].tolist(), mini,
                     {"model": MINI, "weights_sha256": info.weights_sha256, "dimension": 384})
    X, stats = chunk_embeddings(clf, chunks, tmp_path / "emb")
    assert X.shape == (4, 768) and stats["embeddings_reused"] == 0
    assert np.allclose(X, clf.frozen_embeddings(texts), atol=1e-6)


def test_apply_reuses_the_topics_vectors_for_the_body_they_belong_to(cache_dir, tmp_path):
    from topicstance.embed.store import write_embeddings

    clf, df = _fit(cache_dir, [MINI, MPNET])
    texts = df["text"].head(4).tolist()
    chunks = pd.DataFrame({"chunk_id": [f"c{i}" for i in range(4)], "text": texts})
    marked = np.full((4, 384), 1 / np.sqrt(384), dtype=np.float32)  # not MiniLM's vectors: shows they are taken
    info = read_model_info(MINI)
    write_embeddings(tmp_path / "emb", chunks["chunk_id"].tolist(), marked,
                     {"model": MINI, "weights_sha256": info.weights_sha256, "dimension": 384})
    X, stats = chunk_embeddings(clf, chunks, tmp_path / "emb")
    assert stats["embeddings_reused"] == 4
    assert np.allclose(X[:, :384], marked) and not np.allclose(X[:, 384:], 0)
