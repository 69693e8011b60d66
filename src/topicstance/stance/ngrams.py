"""Word 1-3-gram and character 2-5-gram tf-idf features.

Both vectorisers use sublinear tf and drop n-grams seen in fewer than
``min_df`` training texts; each block is L2-normalised and the two are scaled
by 1/sqrt(2) so a row has unit norm, the same scale as a sentence embedding.
State is plain data (vocabulary JSON + idf arrays), so nothing is unpickled.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

CONFIGS = {
    "word": {"analyzer": "word", "ngram_range": (1, 3), "lowercase": True, "sublinear_tf": True,
             "token_pattern": r"(?u)\b\w+\b|[#@]\w+"},
    "char": {"analyzer": "char_wb", "ngram_range": (2, 5), "lowercase": True, "sublinear_tf": True},
}


class NgramCounts:
    """Raw n-gram counts of a fixed set of texts, computed once.

    Cross-validation and learning curves fit many tf-idf models on subsets of
    the same texts; with this cache each fit derives its vocabulary (terms with
    document frequency >= min_df in its own training rows) and idf from the
    counts instead of re-analysing the texts. The result is identical to
    fitting ``TfidfVectorizer`` on the subset.
    """

    def __init__(self, texts: list[str]):
        from sklearn.feature_extraction.text import CountVectorizer

        self.row = {}
        for i, t in enumerate(texts):
            self.row.setdefault(t, i)
        self.blocks = {}
        for name, cfg in CONFIGS.items():
            cv = CountVectorizer(min_df=1, dtype=np.float64, **{k: v for k, v in cfg.items() if k != "sublinear_tf"})
            C = cv.fit_transform(texts).tocsc()
            terms = np.array(sorted(cv.vocabulary_, key=cv.vocabulary_.get), dtype=object)
            self.blocks[name] = (C, terms)

    def covers(self, texts: list[str]) -> bool:
        return all(t in self.row for t in texts)

    def rows(self, texts: list[str]) -> np.ndarray:
        return np.array([self.row[t] for t in texts], dtype=np.int64)


def _tfidf_rows(C: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    X = C.astype(np.float64).tocsr(copy=True)
    np.log(X.data, out=X.data)
    X.data += 1.0
    X = X @ sp.diags(idf)
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ X, dtype=np.float32)


class NgramFeatures:
    def __init__(self, min_df: int = 2):
        self.min_df = min_df

    def _fit_from_counts(self, texts: list[str], counts: NgramCounts, min_df: int) -> None:
        rows = counts.rows(texts)
        n = len(rows)
        self.vectorizers_ = {}
        self._cols = {}
        for name, (C, terms) in counts.blocks.items():
            df = np.asarray((C[rows] > 0).sum(axis=0)).ravel()
            keep = np.flatnonzero(df >= min_df)
            if len(keep) == 0:
                keep = np.flatnonzero(df >= 1)
            idf = np.log((1.0 + n) / (1.0 + df[keep])) + 1.0
            cfg = dict(CONFIGS[name])
            v = TfidfVectorizer(vocabulary={t: i for i, t in enumerate(terms[keep])}, dtype=np.float32, **cfg)
            v.idf_ = idf
            self.vectorizers_[name] = v
            self._cols[name] = keep
        self._counts = counts

    def fit(self, texts: list[str], counts: NgramCounts | None = None) -> "NgramFeatures":
        n = len(texts)
        min_df = self.min_df if n >= 4 * self.min_df else 1
        if counts is not None and counts.covers(texts):
            self._fit_from_counts(texts, counts, min_df)
            return self
        self.vectorizers_ = {}
        for name, cfg in CONFIGS.items():
            v = TfidfVectorizer(min_df=min_df, dtype=np.float32, **cfg)
            try:
                v.fit(texts)
            except ValueError:  # every n-gram too rare: keep them all
                v = TfidfVectorizer(min_df=1, dtype=np.float32, **cfg).fit(texts)
            self.vectorizers_[name] = v
        return self

    @property
    def n_features(self) -> int:
        return sum(len(v.vocabulary_) for v in self.vectorizers_.values())

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        """Rows of ``texts``; a text repeated (one chunk toward several targets) is counted once."""
        texts = list(texts)
        first: dict[str, int] = {}
        rows = np.array([first.setdefault(t, len(first)) for t in texts], dtype=np.int64)
        if len(first) < len(texts):
            return self._transform(list(first))[rows]
        return self._transform(texts)

    def _transform(self, texts: list[str]) -> sp.csr_matrix:
        counts = getattr(self, "_counts", None)
        if counts is not None and counts.covers(texts):
            rows = counts.rows(texts)
            blocks = [_tfidf_rows(counts.blocks[name][0][:, self._cols[name]].tocsr()[rows], v.idf_)
                      for name, v in self.vectorizers_.items()]
        else:
            blocks = [v.transform(texts) for v in self.vectorizers_.values()]
        return (sp.hstack(blocks, format="csr") / np.sqrt(len(blocks))).astype(np.float32)

    # -- plain-data state ------------------------------------------------
    def get_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        meta = {"min_df": self.min_df, "blocks": {}}
        arrays = {}
        for name, v in self.vectorizers_.items():
            vocab = sorted(v.vocabulary_.items(), key=lambda kv: kv[1])
            meta["blocks"][name] = {"config": {k: list(x) if isinstance(x, tuple) else x for k, x in CONFIGS[name].items()},
                                    "vocabulary": [t for t, _ in vocab]}
            arrays[f"idf_{name}"] = np.asarray(v.idf_, dtype=np.float64)
        return meta, arrays

    state = get_state  # the earlier name

    @classmethod
    def from_state(cls, meta: dict, arrays: dict[str, np.ndarray]) -> "NgramFeatures":
        self = cls(min_df=int(meta["min_df"]))
        self.vectorizers_ = {}
        for name, blk in meta["blocks"].items():
            cfg = dict(blk["config"])
            cfg["ngram_range"] = tuple(cfg["ngram_range"])
            vocab = {t: i for i, t in enumerate(blk["vocabulary"])}
            v = TfidfVectorizer(vocabulary=vocab, dtype=np.float32, **cfg)
            v.idf_ = arrays[f"idf_{name}"]
            self.vectorizers_[name] = v
        return self
