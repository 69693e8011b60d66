import numpy as np

from topicstance.topics import ctfidf


def test_keywords_are_topic_specific_unigrams_and_bigrams_without_stop_words():
    texts = ["the interest rates rose and the central bank said", "central bank raised interest rates again",
             "interest rates and the central bank", "the goalkeeper saved a penalty kick",
             "a penalty kick decided the match", "the goalkeeper and the penalty kick"]
    labels = np.array([0, 0, 0, 1, 1, 1])
    dtm, vocab, _ = ctfidf.doc_term_matrix(texts)
    scores = ctfidf.class_tfidf(dtm, labels, np.array([0, 1]))
    kw = ctfidf.top_keywords(scores, vocab, np.array([0, 1]), 6)
    words0 = [w for w, _ in kw[0]]
    words1 = [w for w, _ in kw[1]]
    assert "central bank" in words0 and "interest rates" in words0
    assert "penalty kick" in words1 and "goalkeeper" in words1
    assert not set(words0) & set(words1)
    assert not {"the", "and", "a"} & set(words0 + words1)


def test_label_skips_words_already_inside_a_chosen_bigram():
    assert ctfidf.make_label(["central bank", "bank", "central", "rates", "inflation"], 3, 0) == \
        "central bank, rates, inflation"
    assert ctfidf.make_label([], 3, 7) == "topic 7"


def test_representatives_are_the_core_chunks_closest_to_the_centroid():
    X = np.array([[1, 0], [0.6, 0.8], [0.99, 0.14], [0.95, 0.31]], dtype=np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    labels = np.zeros(4, dtype=int)
    core = np.array([True, True, True, False])
    reps = ctfidf.representatives(X, labels, core, np.array([0]), np.array([[1.0, 0.0]], dtype=np.float32), 2)
    assert reps[0] == [0, 2]


def test_only_stop_words_gives_no_keywords_not_a_crash():
    dtm, vocab, _ = ctfidf.doc_term_matrix(["the and of", "a an the"])
    assert dtm.shape[1] == 0
    out = ctfidf.represent(["the and of", "a an the"], np.eye(2, dtype=np.float32), np.array([0, 0]),
                           np.array([True, True]), np.array([0]), np.array([[1.0, 0.0]], dtype=np.float32),
                           top_n_words=5, label_words=3, n_representative=1, dtm=dtm, vocab=vocab)
    assert out["keywords"][0] == [] and out["labels"][0] == "topic 0"
