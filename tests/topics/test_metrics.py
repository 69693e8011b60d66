import numpy as np
import pytest
import scipy.sparse as sp

from topicstance.topics.metrics import npmi_coherence, stability, topic_diversity
from topicstance.topics.model import TopicModel


def test_npmi_is_one_for_words_that_always_co_occur_and_minus_one_for_never():
    vocab = np.array(["a", "b", "c", "d"])
    dtm = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]))
    mean, per = npmi_coherence(dtm, vocab, {0: [("a", 1), ("b", 1)], 1: [("c", 1), ("d", 1)]})
    assert per[0] == pytest.approx(1.0) and per[1] == pytest.approx(-1.0)
    assert mean == pytest.approx(0.0)


def test_diversity_counts_shared_keywords():
    kw = {0: [("a", 1), ("b", 1)], 1: [("b", 1), ("c", 1)]}
    assert topic_diversity(kw, 2) == 0.75


def test_stability_reports_seed_and_shuffled_order_ari(blobs):
    texts, X, _ = blobs
    m = TopicModel(min_cluster_size=10, stability_seeds=(42, 1)).fit(texts, X)
    s = stability(m, X)
    assert s["seeds"] == [1, 42] and not s["subsampled"]
    assert s["ari_seeds_mean"] > 0.95 and s["ari_shuffled_order"] > 0.95  # clean blobs are stable


def test_stability_is_measured_on_a_subsample_of_large_corpora(blobs):
    texts, X, _ = blobs
    m = TopicModel(min_cluster_size=10, stability_max_n=100, stability_seeds=(42, 1)).fit(texts, X)
    s = stability(m, X)
    assert s["subsampled"] and s["n_chunks_measured"] == 100
    assert s["min_cluster_size_measured"] == round(10 * 100 / len(texts))
