import numpy as np

from topicstance.topics import selection
from topicstance.topics.model import TopicModel


def test_auto_scores_every_candidate_and_picks_one_of_them(blobs):
    texts, X, _ = blobs
    cands = (5, 10, 20, 200)
    m = TopicModel(min_cluster_size="auto", min_cluster_size_candidates=cands).fit(texts, X)
    table = {r["min_cluster_size"]: r for r in m.selection_["candidates"]}
    assert set(table) == set(cands)
    assert m.min_cluster_size_ == m.selection_["chosen"] in cands
    assert table[200]["eligible"] is False  # larger than the corpus
    for c in (5, 10, 20):
        assert -1.0 <= table[c]["silhouette"] <= 1.0 and table[c]["n_topics"] >= 1
    assert m.selection_["criterion"] == "silhouette"
    assert table[m.min_cluster_size_]["silhouette"] == max(table[c]["silhouette"] for c in (5, 10, 20))
    assert m.n_topics_ == 4


def test_silhouette_prefers_the_candidate_that_matches_separated_groups():
    from .conftest import make_blobs

    # 8 tight, well separated groups of 12: a candidate of 40 can only merge them
    texts, X, y = make_blobs(n_per=12, k=8, dim=32, spread=0.03, seed=4)
    m = TopicModel(min_cluster_size_candidates=(5, 40)).fit(texts, X)
    assert m.min_cluster_size_ == 5 and m.n_topics_ == 8


def test_resample_criterion_scores_every_candidate(blobs):
    texts, X, _ = blobs
    m = TopicModel(selection="resample", min_cluster_size_candidates=(5, 10)).fit(texts, X)
    assert m.selection_["criterion"] == "resample_stability_ari"
    assert all(0.0 <= r["stability_ari"] <= 1.0 for r in m.selection_["candidates"])


def test_choice_prefers_the_smallest_within_tolerance():
    table = [{"min_cluster_size": 5, "stability_ari": 0.70, "eligible": True},
             {"min_cluster_size": 10, "stability_ari": 0.895, "eligible": True},
             {"min_cluster_size": 25, "stability_ari": 0.91, "eligible": True},
             {"min_cluster_size": 40, "stability_ari": 1.0, "n_topics": 1, "eligible": False}]
    assert selection.choose(table, [5, 10, 25, 40], 0.02, "x")[0] == 10
    assert selection.choose(table, [5, 10, 25, 40], 0.0, "x")[0] == 25


def test_seed_criterion_runs_one_reduction_per_seed(blobs):
    texts, X, _ = blobs
    m = TopicModel(selection="seeds", min_cluster_size_candidates=(5, 10), stability_seeds=(42, 7)).fit(texts, X)
    assert m.selection_["criterion"] == "seed_stability_ari"
    assert sorted(m.seed_runs_["runs"].reduced) == [7, 42]
    assert m.seed_runs_["runs"].reduced[42] is m.embedding_  # the model's own run is reused


def test_scaled_candidate_on_a_subsample():
    assert selection.scaled(40, 1000, 4000) == 10
    assert selection.scaled(40, 4000, 4000) == 40
    assert len(selection.subsample(50, 20, 0)) == 20 and np.all(np.diff(selection.subsample(50, 20, 0)) > 0)
