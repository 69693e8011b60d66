import numpy as np

from topicstance.topics.knn import exact_knn, exact_knn_to, unit_rows


def test_exact_knn_matches_brute_force_and_puts_self_first():
    rng = np.random.default_rng(1)
    X = unit_rows(rng.normal(size=(50, 8)))
    idx, dist = exact_knn(X, 6, block=7)
    S = X @ X.T
    for i in range(50):
        assert idx[i, 0] == i and dist[i, 0] == 0.0
        expect = np.argsort(-S[i], kind="stable")[:6]
        assert set(idx[i]) == set(expect)
        assert np.all(np.diff(dist[i]) >= -1e-6)


def test_knn_to_queries_returns_nearest_training_rows():
    rng = np.random.default_rng(2)
    X = unit_rows(rng.normal(size=(30, 5)))
    idx, dist = exact_knn_to(X[:3], X, 1)
    assert idx[:, 0].tolist() == [0, 1, 2]
    assert np.allclose(dist[:, 0], 0.0, atol=1e-6)


def test_top_k_breaks_ties_by_the_lower_column_even_beyond_the_spare_candidates():
    from topicstance.topics.knn import SPARE, top_k

    S = np.zeros((2, 40), dtype=np.float32)  # every column ties
    S[1, 30] = 1.0
    cols, vals = top_k(S, 3)
    assert cols[0].tolist() == [0, 1, 2]
    assert cols[1].tolist() == [30, 0, 1] and vals[1].tolist() == [1.0, 0.0, 0.0]
    assert 3 + SPARE < 40  # the torch.topk path was the one taken


def test_top_k_equals_a_full_sort():
    from topicstance.topics.knn import top_k

    rng = np.random.default_rng(4)
    S = rng.normal(size=(20, 500)).astype(np.float32)
    cols, vals = top_k(S, 7)
    ref = np.argsort(-S, axis=1, kind="stable")[:, :7]
    np.testing.assert_array_equal(cols, ref)
    np.testing.assert_array_equal(vals, np.take_along_axis(S, ref, axis=1))
