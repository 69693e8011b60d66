"""Topic representation: c-TF-IDF keywords, short labels, representative chunks.

c-TF-IDF treats all chunks of a topic as one class document. For term t and
topic c: ``tf(t, c) = sqrt(count(t, c)) / sum_t' sqrt(count(t', c))`` and
``idf(t) = log(1 + A / count(t))`` with A the mean number of words per topic,
so words frequent in one topic but rare overall score high. The square root
damps words that are frequent everywhere in news ("said", "year", "mr"),
which plain term frequency lets win over the topic's own words. Terms are
unigrams and bigrams, with English stop words and pure numbers removed.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from .outliers import OUTLIER

# words of two or more characters that are not only digits
TOKEN_PATTERN = r"(?u)\b(?!\d+\b)\w\w+\b"
# scikit-learn's English stop words, less the few that are content words in news
# ("interest rates", "fire", "bill", "UN", "front line", "system")
NEWS_CONTENT_WORDS = frozenset({"bill", "fire", "interest", "system", "un", "front"})
STOP_WORDS = sorted(ENGLISH_STOP_WORDS - NEWS_CONTENT_WORDS)


def make_vectorizer(n_docs: int, stop_words=STOP_WORDS) -> CountVectorizer:
    return CountVectorizer(ngram_range=(1, 2), stop_words=stop_words, token_pattern=TOKEN_PATTERN,
                           min_df=2 if n_docs >= 50 else 1, lowercase=True, dtype=np.int64)


def doc_term_matrix(texts: list[str], make=make_vectorizer) -> tuple[sp.csr_matrix, np.ndarray, CountVectorizer | None]:
    """Counts per chunk with the vectorizer ``make(n_docs)`` returns; an empty vocabulary (only
    stop words) gives a 0-column matrix."""
    vec = make(len(texts))
    try:
        dtm = vec.fit_transform(texts)
    except ValueError:  # empty vocabulary
        vec = make(0)
        try:
            dtm = vec.fit_transform(texts)
        except ValueError:
            return sp.csr_matrix((len(texts), 0), dtype=np.int64), np.array([], dtype=object), None
    return dtm.tocsr(), vec.get_feature_names_out(), vec


def class_counts(dtm: sp.csr_matrix, labels: np.ndarray, ids: np.ndarray) -> sp.csr_matrix:
    """Sparse ``(len(ids), n_terms)`` term counts per topic (rows of other labels are left out)."""
    labels = np.asarray(labels)
    pos = {int(t): i for i, t in enumerate(ids)}
    rows = np.array([pos.get(int(t), -1) for t in labels], dtype=np.int64)
    keep = np.nonzero(rows >= 0)[0]
    onehot = sp.csr_matrix((np.ones(len(keep)), (rows[keep], keep)), shape=(len(ids), len(labels)))
    return sp.csr_matrix(onehot @ dtm, dtype=np.float64)


def class_tfidf(dtm: sp.csr_matrix, labels: np.ndarray, ids: np.ndarray) -> sp.csr_matrix:
    """Sparse ``(len(ids), n_terms)`` c-TF-IDF scores of chunks ``dtm`` labelled ``labels``."""
    return tfidf_from_counts(class_counts(dtm, labels, ids))


def tfidf_from_counts(counts: sp.csr_matrix) -> sp.csr_matrix:
    """c-TF-IDF of per-topic term counts (see the module doc), kept sparse: memory grows with the
    non-zero (topic, term) pairs, never with topics x vocabulary."""
    counts = sp.csr_matrix(counts, dtype=np.float64)
    if counts.shape[0] == 0 or counts.shape[1] == 0:
        return counts
    words = np.asarray(counts.sum(axis=1)).ravel()
    root = counts.sqrt()
    root_sum = np.asarray(root.sum(axis=1)).ravel()
    tf = sp.diags(1.0 / np.maximum(root_sum, 1e-12)) @ root
    freq = np.asarray(counts.sum(axis=0)).ravel()
    idf = np.log(1.0 + words.mean() / np.maximum(freq, 1.0))
    return sp.csr_matrix(tf @ sp.diags(idf))


def top_keywords(scores, vocab: np.ndarray, ids: np.ndarray, n: int) -> dict[int, list[tuple[str, float]]]:
    """The ``n`` best-scoring terms of each topic (row of ``scores``, sparse or dense); ties to the
    earlier term."""
    scores = sp.csr_matrix(scores)
    out: dict[int, list[tuple[str, float]]] = {}
    for i, t in enumerate(ids):
        lo, hi = scores.indptr[i], scores.indptr[i + 1]
        cols, vals = scores.indices[lo:hi], scores.data[lo:hi]
        order = np.lexsort((cols, -vals))[:n]
        out[int(t)] = [(str(vocab[cols[j]]), round(float(vals[j]), 6)) for j in order if vals[j] > 0]
    return out


def make_label(words: list[str], n_words: int, topic_id: int) -> str:
    """Up to ``n_words`` top keywords, skipping words already inside a chosen bigram and vice versa."""
    chosen: list[str] = []
    for w in words:
        toks = set(w.split())
        if any(toks <= set(c.split()) or set(c.split()) <= toks for c in chosen):
            continue
        chosen.append(w)
        if len(chosen) == n_words:
            break
    return ", ".join(chosen) if chosen else f"topic {topic_id}"


def representatives(X: np.ndarray, labels: np.ndarray, core: np.ndarray, ids: np.ndarray,
                    centroids: np.ndarray, n: int) -> dict[int, list[int]]:
    """Row indices of the ``n`` chunks closest to each topic centroid.

    Candidates are the topic's core members (not reassigned outliers) when it
    has any; ties go to the lower row index.
    """
    out: dict[int, list[int]] = {}
    labels = np.asarray(labels)
    for i, t in enumerate(ids):
        members = np.nonzero((labels == t) & core)[0]
        if members.size == 0:
            members = np.nonzero(labels == t)[0]
        sims = X[members] @ centroids[i]
        order = np.lexsort((members, -sims))[:n]
        out[int(t)] = [int(m) for m in members[order]]
    return out


def represent(texts: list[str], X: np.ndarray, labels: np.ndarray, core: np.ndarray, ids: np.ndarray,
              centroids: np.ndarray, *, top_n_words: int, label_words: int, n_representative: int,
              dtm=None, vocab=None) -> dict:
    """Keywords, labels and representatives for every topic in ``ids`` (outliers excluded)."""
    vec = None
    if dtm is None:
        dtm, vocab, vec = doc_term_matrix(texts)
    ids = np.asarray([t for t in ids if t != OUTLIER], dtype=np.int64)
    scores = class_tfidf(dtm, labels, ids)
    kw = top_keywords(scores, vocab, ids, top_n_words) if len(ids) else {}
    labels_txt = {t: make_label([w for w, _ in kw[t]], label_words, t) for t in kw}
    reps = representatives(X, labels, core, ids, centroids, n_representative)
    return {"keywords": kw, "labels": labels_txt, "representatives": reps, "dtm": dtm, "vocab": vocab,
            "vectorizer": vec}


def streamed_class_counts(vectorizer, batches, ids: np.ndarray, n_terms: int) -> sp.csr_matrix:
    """Per-topic term counts summed over ``batches`` of ``(texts, labels)`` with a fitted ``vectorizer``:
    only one batch's document-term matrix is in memory at a time (the corpus-wide c-TF-IDF of
    :func:`topicstance.topics.stage.fit_topics` when it fitted on a sample)."""
    total = sp.csr_matrix((len(ids), n_terms), dtype=np.float64)
    for texts, labels in batches:
        if vectorizer is None or not len(texts):
            continue
        total = total + class_counts(vectorizer.transform(list(texts)).tocsr(), labels, ids)
    return sp.csr_matrix(total)


def keywords_and_labels(scores, vocab, ids, top_n_words: int, label_words: int) -> tuple[dict, dict]:
    kw = top_keywords(scores, vocab, ids, top_n_words) if len(ids) else {}
    return kw, {t: make_label([w for w, _ in kw[t]], label_words, t) for t in kw}
