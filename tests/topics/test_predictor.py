import subprocess
import sys

import numpy as np

from topicstance.topics.model import TopicModel
from topicstance.topics.predictor import KnnPredictor


def test_predictor_from_80_percent_agrees_with_the_fitted_topics(themed_texts, themed_embeddings):
    texts, _ = themed_texts
    X = themed_embeddings  # real embeddings from a fresh cache
    m = TopicModel().fit(texts, X)
    perm = np.random.default_rng(0).permutation(len(texts))
    cut = int(0.8 * len(texts))
    train, test = perm[:cut], perm[cut:]
    p = KnnPredictor(X[train], m.labels_[train], k=m.knn_k)
    assert (p.predict(X[test]) == m.labels_[test]).mean() >= 0.90
    assert (p.predict(X[train]) == m.labels_[train]).mean() >= 0.98


def test_vote_shares_sum_to_one_and_follow_the_neighbours():
    V = np.array([[1, 0], [0.99, 0.1], [0.98, 0.2], [0, 1], [0.1, 0.99]], dtype=np.float32)
    p = KnnPredictor(V, np.array([0, 0, 0, 1, 1]), k=3)
    P = p.predict_proba(np.array([[0.97, 0.15], [0.05, 1.0]]))
    assert np.allclose(P.sum(1), 1.0)
    assert p.predict(np.array([[0.97, 0.15], [0.05, 1.0]])).tolist() == [0, 1]


def test_predictor_module_imports_neither_umap_nor_hdbscan():
    code = ("import sys, topicstance.topics.predictor, topicstance.topics.persistence; "
            "bad = [m for m in ('umap', 'hdbscan', 'numba', 'pynndescent') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_vote_equals_the_argmax_of_the_vote_shares():
    from topicstance.topics.predictor import KnnPredictor

    rng = np.random.default_rng(6)
    V = rng.normal(size=(400, 8)).astype(np.float32)
    labels = rng.integers(-1, 30, size=400)
    p = KnnPredictor(V, labels, k=9)
    Q = np.vstack([rng.normal(size=(200, 8)), V[:20]]).astype(np.float32)  # new rows and exact matches
    P = p.predict_proba(Q)
    topic, share = p.vote(Q)
    np.testing.assert_array_equal(topic, p.classes[np.argmax(P, axis=1)])
    np.testing.assert_allclose(share, P.max(axis=1), rtol=1e-9)
    np.testing.assert_array_equal(topic[200:], labels[:20])
