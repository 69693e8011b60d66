import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score

from topicstance.errors import InputError, ParamsError
from topicstance.params import TopicsParams
from topicstance.topics.model import TopicModel

from .conftest import embed, make_blobs


def test_init_only_stores_params_and_clone_works():
    m = TopicModel(min_cluster_size=7, outlier_threshold=0.5)
    assert m.get_params()["min_cluster_size"] == 7
    assert not [k for k in vars(m) if k.endswith("_") and not k.startswith("_")]
    c = clone(m)
    assert c.get_params() == m.get_params()


def test_predict_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        TopicModel().predict(np.zeros((1, 4), dtype=np.float32))


def test_fit_returns_self_and_recovers_blobs(blobs):
    texts, X, y = blobs
    m = TopicModel(min_cluster_size=10)
    assert m.fit(texts, X) is m
    assert m.n_topics_ == 4
    assert adjusted_rand_score(y, m.labels_) > 0.95
    assert m.labels_.shape == m.labels_raw_.shape == m.probabilities_.shape == (len(texts),)


def test_reducer_and_clusterer_are_swappable_by_duck_typing(blobs):
    texts, X, y = blobs
    m = TopicModel(reducer=PCA(n_components=3), clusterer=KMeans(4, n_init=5, random_state=0),
                   min_cluster_size=5).fit(texts, X)
    ref = KMeans(4, n_init=5, random_state=0).fit(PCA(n_components=3).fit_transform(m.train_embeddings_)).labels_
    assert adjusted_rand_score(ref, m.labels_raw_) == 1.0
    assert (m.labels_raw_ >= 0).all() and m.n_topics_ == 4


def test_from_params_uses_the_params_section():
    m = TopicModel.from_params(TopicsParams(min_cluster_size=9, knn_k=3))
    assert m.min_cluster_size == 9 and m.knn_k == 3 and m.n_neighbors == 15 and m.n_components == 5


@pytest.mark.parametrize("kw,n,name", [
    ({"n_components": 5}, 5, "topics.n_components"),
    ({"min_cluster_size": 50}, 20, "topics.min_cluster_size"),
    ({"min_cluster_size_candidates": (30, 40)}, 20, "topics.min_cluster_size_candidates"),
])
def test_sizes_that_do_not_fit_the_corpus_name_the_parameter(kw, n, name):
    texts, X, _ = make_blobs(n_per=n // 4 or 1, k=4)
    texts, X = texts[:n], X[:n]
    with pytest.raises(ParamsError, match=name.replace(".", r"\.")):
        TopicModel(**kw).fit(texts, X)


def test_nan_embedding_row_is_named():
    texts, X, _ = make_blobs(n_per=10)
    X[7, 3] = np.nan
    with pytest.raises(InputError, match="row 7"):
        TopicModel(min_cluster_size=5).fit(texts, X)


def test_all_noise_corpus_is_handled_not_a_crash():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 16)).astype(np.float32)
    texts = [f"word{i} other{i}" for i in range(30)]
    m = TopicModel(min_cluster_size=16, n_neighbors=5).fit(texts, X)  # two clusters of 16 cannot fit in 30
    assert m.n_topics_ == 0
    assert (m.labels_raw_ == -1).all() and (m.labels_ == -1).all()
    assert m.cut(3).n_topics == 0
    assert (m.predict(X[:5]) == -1).all()


def test_identical_assignments_on_rerun_with_fresh_embedding_caches(themed_texts, themed_embeddings, tmp_path,
                                                                   monkeypatch):
    texts = themed_texts[0]
    d = tmp_path / "second-cache"  # the fixture's embeddings came from another fresh cache
    monkeypatch.setenv("TOPICSTANCE_CACHE", str(d))
    X2 = embed(texts, d)
    a = TopicModel().fit(texts, themed_embeddings)
    b = TopicModel().fit(texts, X2)
    assert a.n_topics_ >= 2
    assert np.array_equal(a.labels_raw_, b.labels_raw_)
    assert np.array_equal(a.labels_, b.labels_)
    assert a.keywords_ == b.keywords_ and a.min_cluster_size_ == b.min_cluster_size_


def test_real_embeddings_find_the_four_themes(themed_texts, themed_embeddings):
    texts, themes = themed_texts
    m = TopicModel().fit(texts, themed_embeddings)
    four = m.cut(4).apply(m.labels_)
    assert adjusted_rand_score(themes, four) > 0.9
    assert (m.labels_ == -1).mean() <= 0.05
