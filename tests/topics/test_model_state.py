"""TopicModel: state in the open (get_state/from_state, public learned attributes) and swappable
term components (vectorizer, stop words)."""
import json

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from topicstance.topics.model import TopicModel


def test_learned_attributes_are_public_and_end_in_underscore(blobs):
    texts, X, _ = blobs
    m = TopicModel(min_cluster_size=10).fit(texts, X)
    assert [k for k in vars(m) if k.startswith("_")] == []
    assert {"train_embeddings_", "dtm_", "vocabulary_", "labels_", "centroids_"} <= set(vars(m))


def test_state_is_plain_data_and_round_trips(blobs):
    texts, X, _ = blobs
    m = TopicModel(min_cluster_size=10).fit(texts, X)
    state = m.get_state([f"c{i}" for i in range(len(texts))])
    json.dumps(state["meta"])
    back = TopicModel.from_state(state["meta"], state["arrays"], state["chunks"])
    assert np.array_equal(back.predict(X), m.predict(X)) and np.allclose(back.transform(X), m.transform(X))
    assert back.cut(2).mapping == m.cut(2).mapping
    assert [back.label_of(t) for t in m.topic_ids_] == [m.label_of(t) for t in m.topic_ids_]
    assert back.representatives_ == m.representatives_


def test_stop_words_and_the_vectorizer_are_components(blobs):
    texts, X, _ = blobs
    default = TopicModel(min_cluster_size=10).fit(texts, X)
    words = {w for kws in default.keywords_.values() for w, _ in kws}
    assert {"alpha", "apple"} & words
    own = TopicModel(min_cluster_size=10, stop_words=["alpha", "apple", "beta", "banana"]).fit(texts, X)
    assert not {w for kws in own.keywords_.values() for w, _ in kws} & {"alpha", "apple", "beta", "banana"}
    uni = TopicModel(min_cluster_size=10, vectorizer=CountVectorizer(ngram_range=(1, 1))).fit(texts, X)
    assert all(" " not in w for kws in uni.keywords_.values() for w, _ in kws)
    assert any(" " in w for kws in default.keywords_.values() for w, _ in kws)
