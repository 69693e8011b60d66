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


def _articles_of_near_duplicate_chunks(n_themes=4, per_theme=15, chunks=4, dim=32, seed=0):
    """Themes of articles; each article is a few near-duplicate chunks (as real chunks of one story are)."""
    rng = np.random.default_rng(seed)
    themes = rng.normal(size=(n_themes, dim))
    themes /= np.linalg.norm(themes, axis=1, keepdims=True)
    X, art, theme = [], [], []
    for t in range(n_themes):
        for a in range(per_theme):
            centre = themes[t] + 0.35 * rng.normal(size=dim) / np.sqrt(dim) * 3
            for _ in range(chunks):
                X.append(centre + 0.03 * rng.normal(size=dim))
                art.append(f"t{t}a{a}")
                theme.append(t)
    X = np.asarray(X, dtype=np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    texts = [f"theme{t} word{i % 7} article {a}" for i, (t, a) in enumerate(zip(theme, art))]
    return texts, X, np.asarray(art), np.asarray(theme)


def test_grouped_fit_does_not_select_single_article_clusters():
    from sklearn.metrics import adjusted_rand_score

    texts, X, art, theme = _articles_of_near_duplicate_chunks()
    # per chunk, each article's near-duplicate chunks are a tight cluster of their own and win
    flat = TopicModel(min_cluster_size_candidates=(3, 5, 8, 12, 20)).fit(texts, X)
    assert flat.selection_["level"] == "chunk" and flat.n_topics_ > 10

    m = TopicModel(min_cluster_size_candidates=(3, 5, 8, 12, 20)).fit(texts, X, groups=art)
    sel = m.selection_
    assert sel["unit"] == "article" and sel["level"] == "article" and sel["chunks_per_unit"] == 4.0
    assert m.min_cluster_size_ == 4 * m.min_cluster_size_unit_ == sel["chosen_chunks"]
    for row in sel["candidates"]:
        assert row["min_cluster_size_chunks"] == 4 * row["min_cluster_size"]
    # no topic is made of one article's chunks, and the themes come out
    arts_per_topic = {t: len(set(art[m.labels_ == t])) for t in m.topic_ids_}
    assert min(arts_per_topic.values()) >= 3
    assert m.n_topics_ == 4 and adjusted_rand_score(theme, m.labels_) > 0.9


def test_groups_must_match_the_chunks_and_unit_chunk_ignores_them(blobs):
    import pytest

    from topicstance.errors import InputError

    texts, X, _ = blobs
    with pytest.raises(InputError, match="groups"):
        TopicModel(min_cluster_size=5).fit(texts, X, groups=["a"] * 3)
    g = [f"a{i // 2}" for i in range(len(texts))]
    m = TopicModel(min_cluster_size=5, unit="chunk").fit(texts, X, groups=g)
    assert m.unit_ == "chunk" and m.min_cluster_size_ == 5 and m.map_unit_ == "chunk"
    m2 = TopicModel(min_cluster_size=5).fit(texts, X, groups=g)
    assert m2.unit_ == "article" and m2.min_cluster_size_ == 10 and m2.map_unit_ == "article"


def test_cosine_silhouette_equals_scikit_learn_on_unit_rows():
    from sklearn.metrics import silhouette_samples

    from topicstance.topics.selection import cosine_silhouette_samples

    rng = np.random.default_rng(3)
    V = rng.normal(size=(60, 8)) + np.repeat(rng.normal(scale=3, size=(3, 8)), 20, axis=0)
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    lab = np.repeat([0, 1, 2], 20)
    lab[5] = 7  # a cluster of one row scores 0, as in scikit-learn
    ours = cosine_silhouette_samples(V, lab)
    ref = silhouette_samples(V, lab, metric="cosine")
    assert np.allclose(ours, ref, atol=1e-9)
