import numpy as np
import pandas as pd

from topicstance.report import figures


def test_topic_map_labels_only_the_largest_topics_and_says_so(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    sizes = np.arange(1, 61)  # 60 topics, topic t has t + 1 chunks
    topic = np.repeat(np.arange(60), sizes)
    coords = pd.DataFrame({"x": rng.normal(size=len(topic)), "y": rng.normal(size=len(topic)), "topic": topic})
    topics = pd.DataFrame({"id": np.arange(60), "label": [f"words {t}" for t in range(60)]})
    drawn = {}
    real = figures._spread_labels

    def spy(ax, xy, texts, colours, **kw):
        drawn["texts"] = list(texts)
        drawn["ax"] = ax
        return real(ax, xy, texts, colours, **kw)

    monkeypatch.setattr(figures, "_spread_labels", spy)
    figures.topic_map(coords, topics, tmp_path / "map.png", dpi=40, max_labels=5)
    assert [t.split(":")[0] for t in drawn["texts"]] == ["59", "58", "57", "56", "55"]
    assert "the 5 largest labelled" in drawn["ax"].get_title()
    assert (tmp_path / "map.png").stat().st_size > 0


def test_a_large_hierarchy_shows_its_top_groups_named_by_their_largest_topic(tmp_path):
    from topicstance.topics.hierarchy import ward_tree

    rng = np.random.default_rng(1)
    means = rng.normal(size=(30, 4))
    sizes = np.arange(1, 31)
    merges = ward_tree(means, sizes)
    labels = [f"{t}: words" for t in range(30)]
    path = figures.dendrogram(merges, labels, tmp_path / "h.png", dpi=40, leaf_sizes=sizes, max_leaves=6)
    assert path.stat().st_size > 0
    largest, count = figures._largest_member(figures_linkage(merges), sizes)
    root = 2 * 30 - 2
    assert count[root] == 30 and largest[root] == 29  # the root holds every topic; topic 29 is the largest


def figures_linkage(merges):
    from topicstance.report.stats import scipy_linkage

    return scipy_linkage(merges)
