import json
import subprocess
import sys

import numpy as np
import pytest

from topicstance.errors import ModelFileError
from topicstance.topics.model import TopicModel
from topicstance.topics.persistence import load_model, save_model


@pytest.fixture(scope="module")
def saved(blobs, tmp_path_factory):
    texts, X, _ = blobs
    m = TopicModel(min_cluster_size=10).fit(texts, X)
    d = tmp_path_factory.mktemp("model") / "topics"
    save_model(m, d, chunk_ids=[f"c{i}" for i in range(len(texts))])
    return m, d, X


def test_round_trip_gives_the_same_topics_and_predictions(saved):
    m, d, X = saved
    s = load_model(d)
    assert s.topic_ids == [int(t) for t in m.topic_ids_]
    assert [s.label_of(t) for t in s.topic_ids] == [m.topic_labels_[int(t)] for t in m.topic_ids_]
    assert np.array_equal(s.predict(X), m.predict(X))
    assert s.cut(2).mapping == m.cut(2).mapping
    assert s.chunks["topic"].tolist() == m.labels_.tolist()


def test_the_directory_holds_only_data_files_and_loads_without_pickle(saved):
    _, d, _ = saved
    names = sorted(p.name for p in d.iterdir())
    assert all(n.endswith((".json", ".npy", ".parquet")) for n in names)
    json.loads((d / "model.json").read_text())
    for n in names:
        if n.endswith(".npy"):
            np.load(d / n, allow_pickle=False)  # raises if an object array (pickle) were stored


def test_a_changed_file_is_refused(saved, tmp_path):
    import shutil

    _, d, _ = saved
    c = tmp_path / "copy"
    shutil.copytree(d, c)
    np.save(c / "knn_labels.npy", np.zeros(3, dtype=np.int64))
    with pytest.raises(ModelFileError, match="changed"):
        load_model(c)
    with pytest.raises(ModelFileError, match="no model.json"):
        load_model(tmp_path)


def test_loading_and_predicting_imports_neither_umap_nor_hdbscan(saved):
    _, d, X = saved
    np.save(d.parent / "q.npy", X[:5])
    code = ("import sys, numpy as np; from topicstance.topics.persistence import load_model; "
            f"m = load_model({str(d)!r}); p = m.predict(np.load({str(d.parent / 'q.npy')!r})); "
            "bad = [x for x in ('umap', 'hdbscan', 'numba') if x in sys.modules]; print(p.tolist(), bad); "
            "sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
