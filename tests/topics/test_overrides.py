import numpy as np
import pytest

from topicstance.errors import ParamsError
from topicstance.topics.model import TopicModel
from topicstance.topics.overrides import load_overrides
from topicstance.topics.persistence import load_model, save_model


def test_missing_file_means_no_overrides(tmp_path):
    assert load_overrides(tmp_path / "topic_overrides.yaml").empty


@pytest.mark.parametrize("text,msg", [
    ("merge: [[1]]\n", r"merge\[0\]"),
    ("merge: [[1, 2], [2, 3]]\n", "already in merge"),
    ("rename: {x: Foo}\n", "integer"),
    ("rename: {3: ''}\n", r"rename\[3\]"),
    ("merges: []\n", "unknown key 'merges'"),
    ("merge: [[-1, 2]]\n", "outliers"),
])
def test_bad_overrides_name_the_file_and_the_entry(tmp_path, text, msg):
    p = tmp_path / "topic_overrides.yaml"
    p.write_text(text)
    with pytest.raises(ParamsError, match=msg) as e:
        load_overrides(p)
    assert str(p) in str(e.value)


def test_overrides_apply_after_fit_and_survive_a_rerun(blobs, tmp_path):
    texts, X, y = blobs
    base = TopicModel(min_cluster_size=10).fit(texts, X)
    a, b = int(base.topic_ids_[0]), int(base.topic_ids_[1])
    p = tmp_path / "topic_overrides.yaml"
    p.write_text(f"merge:\n  - [{a}, {b}]\nrename:\n  {a}: Merged topic\n")
    ov = load_overrides(p)
    first = TopicModel(min_cluster_size=10, overrides=ov).fit(texts, X)
    assert first.n_topics_ == base.n_topics_ - 1
    assert b not in first.topic_ids_ and first.topic_labels_[a] == "Merged topic"
    assert np.array_equal(first.labels_ == a, (base.labels_ == a) | (base.labels_ == b))
    save_model(first, tmp_path / "m", chunk_ids=[f"c{i}" for i in range(len(texts))])
    # re-run in another chunk order with the previous model as reference: the same ids merge again
    perm = np.random.default_rng(1).permutation(len(texts))
    second = TopicModel(min_cluster_size=10, overrides=ov,
                        reference=load_model(tmp_path / "m").reference()).fit([texts[i] for i in perm], X[perm])
    assert second.topic_labels_[a] == "Merged topic" and b not in second.topic_ids_
    assert np.array_equal(second.labels_, first.labels_[perm])
    assert second.overrides_report_["applied_merges"] == [{"into": a, "topics": [a, b]}]


def test_overrides_for_topics_a_fit_no_longer_has_are_reported_and_skipped(blobs, tmp_path):
    texts, X, _ = blobs
    p = tmp_path / "o.yaml"
    p.write_text("merge:\n  - [0, 99]\nrename:\n  77: Gone\n")
    m = TopicModel(min_cluster_size=10, overrides=load_overrides(p)).fit(texts, X)
    assert m.n_topics_ == 4
    assert len(m.overrides_report_["skipped"]) == 2
