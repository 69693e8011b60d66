import numpy as np

from topicstance.topics.outliers import centroids, outlier_share, reassign


def _data():
    X = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9], [0.8, 0.6], [-1, -0.01]], dtype=np.float32)
    labels = np.array([0, 0, 1, 1, -1, -1])
    return X, labels


def test_outliers_go_to_the_nearest_centroid_only_above_the_threshold():
    X, labels = _data()
    topic, sim = reassign(X, labels, 0.3)
    assert topic[:4].tolist() == [0, 0, 1, 1]
    assert topic[4] == 0          # cos to topic 0 centroid ~0.84
    assert topic[5] == -1         # opposite direction: below the threshold
    assert sim[5] < 0.3 <= sim[4]


def test_threshold_one_keeps_every_outlier_and_shares_are_reported():
    X, labels = _data()
    topic, _ = reassign(X, labels, 1.0)
    assert outlier_share(labels) == outlier_share(topic) == 2 / 6


def test_centroids_are_unit_means_of_each_topic():
    X, labels = _data()
    ids, C, sizes = centroids(X, labels)
    assert ids.tolist() == [0, 1] and sizes.tolist() == [2, 2]
    assert np.allclose(np.linalg.norm(C, axis=1), 1.0)
    m = X[:2].mean(0)
    assert np.allclose(C[0], m / np.linalg.norm(m), atol=1e-6)


def test_reassign_in_blocks_equals_one_block(monkeypatch):
    from topicstance.topics import outliers

    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 6)).astype(np.float32)
    labels = rng.integers(-1, 4, size=300)
    whole = outliers.reassign(X, labels, 0.1)
    monkeypatch.setattr(outliers, "REASSIGN_BLOCK", 7)
    blocked = outliers.reassign(X, labels, 0.1)
    np.testing.assert_array_equal(whole[0], blocked[0])
    np.testing.assert_allclose(whole[1], blocked[1], rtol=1e-6)
