import numpy as np

from topicstance.topics.model import TopicModel
from topicstance.topics.persistence import load_model, save_model
from topicstance.topics.stable_ids import Reference, assign_ids

from .conftest import make_blobs


def test_without_a_reference_ids_follow_size():
    C = np.eye(3, dtype=np.float32)
    ids, rep = assign_ids(C, np.array([5, 9, 7]), np.array([0, 1, 2]), None, 0.7)
    assert ids.tolist() == [2, 0, 1] and rep["new"] == 3


def test_matched_topics_keep_old_ids_and_new_ones_get_fresh_ids():
    old = Reference(ids=np.array([4, 8]), centroids=np.eye(3, dtype=np.float32)[:2], next_id=12)
    new_C = np.eye(3, dtype=np.float32)[[1, 2, 0]]  # old 8, unseen, old 4
    ids, rep = assign_ids(new_C, np.array([5, 9, 7]), np.array([0, 1, 2]), old, 0.7)
    assert ids.tolist() == [8, 12, 4]
    assert rep["matched"] == 2 and rep["new"] == 1 and rep["retired"] == []


def test_a_match_below_the_minimum_cosine_is_not_kept():
    old = Reference(ids=np.array([0]), centroids=np.array([[1.0, 0.0]], dtype=np.float32), next_id=1)
    ids, rep = assign_ids(np.array([[0.6, 0.8]], dtype=np.float32), np.array([3]), np.array([0]), old, 0.7)
    assert ids.tolist() == [1] and rep["retired"] == [0]


def test_ids_persist_across_refits_on_reordered_and_grown_data(tmp_path):
    texts, X, y = make_blobs(n_per=40, k=4, seed=0)
    first = TopicModel(min_cluster_size=10).fit(texts, X)
    save_model(first, tmp_path / "m", chunk_ids=[f"c{i}" for i in range(len(texts))])
    id_of_blob = {b: int(np.bincount(first.labels_[y == b] + 1).argmax() - 1) for b in range(4)}
    # new run: other order, 10 more points per blob, and a fifth blob
    texts2, X2, y2 = make_blobs(n_per=50, k=5, seed=0)
    perm = np.random.default_rng(5).permutation(len(texts2))
    ref = load_model(tmp_path / "m").reference()
    second = TopicModel(min_cluster_size=10, reference=ref).fit([texts2[i] for i in perm], X2[perm])
    lab = second.labels_
    for b in range(4):
        assert int(np.bincount(lab[y2[perm] == b] + 1).argmax() - 1) == id_of_blob[b]
    fifth = int(np.bincount(lab[y2[perm] == 4] + 1).argmax() - 1)
    assert fifth not in id_of_blob.values() and fifth >= 4
    assert second.ids_report_["matched"] == 4
