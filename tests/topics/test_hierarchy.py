import numpy as np
import pytest

from topicstance.errors import ParamsError
from topicstance.topics.hierarchy import cut, ward_tree

# four topics: 10 and 11 close together, 20 and 21 close together
IDS = [10, 11, 20, 21]
SIZES = [50, 20, 30, 40]
MEANS = np.array([[1.0, 0.0], [0.95, 0.05], [0.0, 1.0], [0.05, 0.9]])


def test_cut_merges_the_closest_topics_and_records_them():
    merges = ward_tree(MEANS, np.array(SIZES))
    c = cut(IDS, SIZES, merges, 2)
    assert c.n_topics == 2
    assert c.merged == {10: [10, 11], 21: [20, 21]}  # groups take their largest member's id
    assert c.apply([10, 11, 20, 21, -1]).tolist() == [10, 10, 21, 21, -1]


def test_cut_gives_at_most_k_topics_for_every_k():
    merges = ward_tree(MEANS, np.array(SIZES))
    for k in range(1, 4):
        c = cut(IDS, SIZES, merges, k)
        assert len(set(c.mapping.values())) == c.n_topics == k


def test_k_at_or_above_the_topic_count_returns_the_model_assignment_and_says_so():
    merges = ward_tree(MEANS, np.array(SIZES))
    for k in (4, 9):
        c = cut(IDS, SIZES, merges, k)
        assert c.mapping == {t: t for t in IDS} and c.merged == {}
        assert "unchanged" in c.note


def test_k_below_one_is_a_params_error():
    with pytest.raises(ParamsError, match="n-topics"):
        cut(IDS, SIZES, ward_tree(MEANS, np.array(SIZES)), 0)


def test_ward_weighs_by_size():
    # a tiny topic between two big ones joins the nearer big one first
    means = np.array([[0.0, 0.0], [1.0, 0.0], [0.45, 0.0]])
    m = ward_tree(means, np.array([100, 100, 2]))
    assert sorted(m[0, :2].astype(int).tolist()) == [0, 2]


def test_ward_tree_equals_scipy_on_the_points_each_topic_stands_for():
    # a topic of size s at mean mu is s identical points: SciPy's Ward over the expanded points
    # merges the copies at distance 0 first, then makes exactly the topics' merges
    from scipy.cluster.hierarchy import linkage

    rng = np.random.default_rng(3)
    means = rng.normal(size=(40, 6))
    sizes = rng.integers(1, 5, size=40)
    expanded = np.repeat(means, sizes, axis=0)
    ref = linkage(expanded, method="ward")
    ref = ref[ref[:, 2] > 1e-12]
    ours = ward_tree(means, sizes)
    assert len(ours) == len(ref) == 39
    np.testing.assert_allclose(ours[:, 2], ref[:, 2], rtol=1e-8)
    np.testing.assert_array_equal(ours[:, 3], ref[:, 3])
