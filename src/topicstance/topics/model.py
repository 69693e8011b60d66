"""The :class:`TopicModel` estimator (scikit-learn contract).

``__init__`` only stores parameters; ``fit(texts, embeddings)`` learns state
in attributes ending in ``_`` and returns ``self``; ``transform``/``predict``
start with ``check_is_fitted``. It clusters precomputed embeddings, so
re-clustering never re-encodes.

fit, step by step (``fit(texts, embeddings, groups=article_ids)``; ``groups``
is optional and, with ``unit: article`` (default), makes the article the unit,
see :mod:`groups`):

1. reduce the unit-length embeddings (default :class:`UMAPReducer`: UMAP 15
   neighbours, 5 components, min_dist 0, cosine, ``random_state``). With
   groups, the reducer is fitted on one vector per ARTICLE (the unit mean of
   its chunks) and every chunk is then placed on that map by ``transform``
   (default: the similarity-weighted mean position of its nearest articles).
   The map's neighbour graph so links articles to other articles: with chunks
   as the points, ~24% of a BBC chunk's 15 neighbours were chunks of its own
   article, which glues each article into a lump and hides the structure
   between articles;
2. ``min_cluster_size: auto`` -> :mod:`selection` (silhouette by default;
   with groups, candidates count articles, scaled to chunks by the mean
   chunks per article, and the silhouette is taken over articles). A
   corpus with fewer articles than twice the smallest candidate falls back to
   chunks as the unit (``unit_ == "chunk"``, said in the selection record),
   and one with too few articles for the reducer keeps the chunk map
   (``map_unit_``). Learned: ``unit_``, ``n_groups_``, ``chunks_per_unit_``,
   ``map_unit_``, ``min_cluster_size_unit_`` (in the unit) and
   ``min_cluster_size_`` (in chunks, what the clusterer got);
3. cluster (default ``hdbscan.HDBSCAN``) -> raw clusters, -1 = outlier;
4. give clusters ids: by size, or matched to ``reference`` (a previous
   model) so persisting topics keep their ids (:mod:`stable_ids`);
5. ``topic`` = outliers reassigned to the nearest centroid at cosine >=
   ``outlier_threshold`` (:mod:`outliers`);
6. apply ``overrides`` merges (to ``topic_raw`` and ``topic``);
7. keywords, labels (then override renames) and representatives
   (:mod:`ctfidf`), and the Ward merge tree (:mod:`hierarchy`).

Swappable components: ``reducer`` needs ``fit``/``transform`` (``fit_transform``
is used when present; with groups, ``fit`` on the article vectors, then
``transform`` of the chunks), ``clusterer`` needs ``fit`` and ``labels_``. Seed runs
clone them and set ``random_state`` / ``min_cluster_size`` when they have them.
``vectorizer`` (a scikit-learn ``CountVectorizer`` or anything with
``fit_transform`` and ``get_feature_names_out``) makes the c-TF-IDF terms; by
default unigrams and bigrams without ``stop_words``, which is ``"english"`` (the
news-tuned English list of :mod:`ctfidf`), ``None`` or a list of words, so a
corpus in another language gets its own words.

State in the open: learned attributes end in ``_`` (``train_embeddings_``, the
chunk vectors the kNN predictor votes among; ``dtm_``/``vocabulary_``, the
chunk-term counts, and ``vectorizer_``, the fitted term vectorizer that made
them (the three are not part of :meth:`TopicModel.get_state`); ``groups_``, ``map_groups_``, ``knn_graph_``), and
:meth:`TopicModel.get_state` / :meth:`TopicModel.from_state` give the plain
data (JSON, arrays, a table) that :mod:`persistence` writes and reads.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from ..errors import InputError, ParamsError
from ..params import TopicsParams
from . import ctfidf, hierarchy, outliers, selection, stable_ids
from .groups import Groups
from .knn import exact_knn, unit_rows
from .outliers import OUTLIER
from .overrides import Overrides, apply_merges, apply_renames

OUTLIER_LABEL = "outliers"
_P = TopicsParams()  # the one source of defaults


class TopicModel(BaseEstimator):
    def __init__(self, reducer=None, clusterer=None, vectorizer=None, *, stop_words="english",
                 n_neighbors: int = _P.n_neighbors,
                 n_components: int = _P.n_components, min_dist: float = _P.min_dist, metric: str = _P.metric,
                 random_state: int = _P.random_state, n_epochs=_P.n_epochs, min_cluster_size=_P.min_cluster_size,
                 min_cluster_size_candidates=_P.min_cluster_size_candidates, unit: str = _P.unit,
                 min_samples=_P.min_samples, selection: str = _P.selection,
                 selection_tolerance: float = _P.selection_tolerance, outlier_threshold: float = _P.outlier_threshold,
                 top_n_words: int = _P.top_n_words, label_words: int = _P.label_words,
                 n_representative: int = _P.n_representative, stability_seeds=_P.stability_seeds,
                 stability_max_n: int = _P.stability_max_n, knn_k: int = _P.knn_k,
                 id_match_min_cosine: float = _P.id_match_min_cosine, reference=None, overrides=None):
        self.reducer = reducer
        self.clusterer = clusterer
        self.vectorizer = vectorizer
        self.stop_words = stop_words
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.min_dist = min_dist
        self.metric = metric
        self.random_state = random_state
        self.n_epochs = n_epochs
        self.min_cluster_size = min_cluster_size
        self.min_cluster_size_candidates = min_cluster_size_candidates
        self.unit = unit
        self.min_samples = min_samples
        self.selection = selection
        self.selection_tolerance = selection_tolerance
        self.outlier_threshold = outlier_threshold
        self.top_n_words = top_n_words
        self.label_words = label_words
        self.n_representative = n_representative
        self.stability_seeds = stability_seeds
        self.stability_max_n = stability_max_n
        self.knn_k = knn_k
        self.id_match_min_cosine = id_match_min_cosine
        self.reference = reference
        self.overrides = overrides

    # ------------------------------------------------------------ factories
    @classmethod
    def from_params(cls, p, **kw) -> "TopicModel":
        """Build from a :class:`topicstance.params.TopicsParams`."""
        return cls(n_neighbors=p.n_neighbors, n_components=p.n_components, min_dist=p.min_dist,
                   metric=p.metric, random_state=p.random_state, n_epochs=p.n_epochs, min_cluster_size=p.min_cluster_size,
                   min_cluster_size_candidates=tuple(p.min_cluster_size_candidates), unit=p.unit,
                   min_samples=p.min_samples, selection=p.selection,
                   selection_tolerance=p.selection_tolerance,
                   outlier_threshold=p.outlier_threshold, top_n_words=p.top_n_words,
                   label_words=p.label_words, n_representative=p.n_representative,
                   stability_seeds=tuple(p.stability_seeds), stability_max_n=p.stability_max_n,
                   knn_k=p.knn_k, id_match_min_cosine=p.id_match_min_cosine, **kw)

    def make_vectorizer(self, n_docs: int):
        """A fresh term vectorizer for c-TF-IDF: a clone of ``vectorizer``, else the default with
        ``stop_words``."""
        if self.vectorizer is not None:
            return clone(self.vectorizer)
        sw = self.stop_words
        if isinstance(sw, str):
            if sw != "english":
                raise ParamsError(f"stop_words must be 'english', None or a list of words, got {sw!r}")
            sw = ctfidf.STOP_WORDS
        return ctfidf.make_vectorizer(n_docs, stop_words=None if sw is None else list(sw))

    def _uses_default_reducer(self) -> bool:
        return self.reducer is None

    def make_reducer(self, seed, knn=None):
        """A fresh reducer for one run (``seed`` set when the reducer takes a ``random_state``)."""
        if self.reducer is None:
            from .components import UMAPReducer

            return UMAPReducer(n_neighbors=self.n_neighbors, n_components=self.n_components,
                               min_dist=self.min_dist, metric=self.metric, random_state=seed, knn=knn,
                               n_epochs=self.n_epochs)
        r = clone(self.reducer)
        if "random_state" in r.get_params():
            r.set_params(random_state=seed)
        return r

    def make_clusterer(self, min_cluster_size, *, scoring: bool = False):
        """A fresh clusterer with ``min_cluster_size`` (and a spanning tree for DBCV when scoring)."""
        if self.clusterer is None:
            from .components import make_hdbscan

            return make_hdbscan(min_cluster_size, self.min_samples, gen_min_span_tree=scoring)
        c = clone(self.clusterer)
        params = c.get_params()
        if "min_cluster_size" in params and min_cluster_size is not None:
            c.set_params(min_cluster_size=int(min_cluster_size))
        return c

    @staticmethod
    def _reduce(reducer, X):
        if hasattr(reducer, "fit_transform"):
            return np.asarray(reducer.fit_transform(X))
        return np.asarray(reducer.fit(X).transform(X))

    def reduce(self, X, seed, knn=None, groups: Groups | None = None):
        """Reduced coordinates of the rows of ``X``: the reducer fitted on ``X`` itself or, with
        ``groups`` (of those rows), fitted on the article vectors and applied to the chunks.
        ``knn`` is the graph of whatever the reducer is fitted on (see :meth:`knn_graph`)."""
        if groups is None:
            return self._reduce(self.make_reducer(seed, knn), X)
        r = self.make_reducer(seed, knn)
        r.fit(groups.vectors(X))
        return np.asarray(r.transform(X))

    def knn_graph(self, X, groups: Groups | None = None):
        """The exact kNN graph shared by runs of the default reducer (of the article vectors when
        ``groups`` is given), or ``None``."""
        from .components import EXACT_KNN_MAX_N

        P = X if groups is None else groups.vectors(X)
        if self._uses_default_reducer() and self.metric == "cosine" and len(P) <= EXACT_KNN_MAX_N:
            return exact_knn(P, min(self.n_neighbors, len(P) - 1) + 1)
        return None

    def map_groups(self, groups: Groups | None) -> Groups | None:
        """``groups`` when the map is fitted on articles: given, not one chunk each, and enough
        articles for the reducer (more than ``n_components + 1`` and at least 4)."""
        if groups is None or groups.trivial:
            return None
        if self._uses_default_reducer() and groups.n_groups < max(4, self.n_components + 2):
            return None
        return groups

    # ------------------------------------------------------------ checks
    def _check_groups(self, groups, n) -> Groups | None:
        if groups is None:
            return None
        if isinstance(groups, Groups):
            g = groups
        else:
            g_list = list(groups)
            if len(g_list) != n:
                raise InputError(f"{len(g_list)} groups (article ids) for {n} chunks")
            g = Groups.from_labels(g_list)
        if g.n != n:
            raise InputError(f"{g.n} groups (article ids) for {n} chunks")
        if self.unit not in ("article", "chunk"):
            raise ParamsError(f"parameter topics.unit must be article or chunk, got {self.unit!r}")
        if self.unit != "article":
            return None
        smallest = min(int(c) for c in self.min_cluster_size_candidates) if self.min_cluster_size == "auto" \
            else int(self.min_cluster_size)
        if g.n_groups < 2 * smallest:
            self.unit_note_ = (f"{g.n_groups} article(s) cannot hold two topics of {smallest} articles: "
                               "chunks are the unit")
            return None
        return g

    def _check_input(self, texts, embeddings, per_unit: float = 1.0) -> tuple[list[str], np.ndarray]:
        X = np.asarray(embeddings)
        if X.ndim != 2:
            raise InputError(f"embeddings must be a 2-D matrix, got shape {X.shape}")
        texts = [str(t) for t in texts]
        if len(texts) != X.shape[0]:
            raise InputError(f"{len(texts)} texts but {X.shape[0]} embedding rows")
        if not np.isfinite(X).all():
            row = int(np.nonzero(~np.isfinite(X).all(axis=1))[0][0])
            raise InputError(f"embeddings: row {row} holds NaN or infinite values")
        n = X.shape[0]
        if n == 0:
            raise InputError("no chunks to fit topics on")
        if self._uses_default_reducer():
            if self.n_components >= n:
                raise ParamsError(f"parameter topics.n_components ({self.n_components}) must be smaller than "
                                  f"the number of chunks ({n})")
            if n < 4:
                raise InputError(f"topics need at least 4 chunks, got {n}")
        mcs = self.min_cluster_size
        what = "" if per_unit == 1.0 else f" articles (x {per_unit:.2f} chunks per article)"
        if mcs != "auto":
            if not isinstance(mcs, (int, np.integer)) or isinstance(mcs, bool) or mcs < 2:
                raise ParamsError(f"parameter topics.min_cluster_size must be 'auto' or an integer >= 2, got {mcs!r}")
            if selection.in_chunks(int(mcs), per_unit) > n:
                raise ParamsError(f"parameter topics.min_cluster_size ({mcs}{what}) is larger than the number "
                                  f"of chunks ({n})")
        elif not any(selection.in_chunks(int(c), per_unit) <= n for c in self.min_cluster_size_candidates):
            raise ParamsError(f"parameter topics.min_cluster_size_candidates: every candidate "
                              f"{list(self.min_cluster_size_candidates)}{what} is larger than the number of "
                              f"chunks ({n})")
        return texts, unit_rows(X)

    # ------------------------------------------------------------ fit
    def fit(self, texts, embeddings, y=None, groups=None):
        """Fit on chunk ``texts`` and their ``embeddings``; ``groups`` (optional) is each chunk's
        article id, which makes the article the unit (``unit: article``, see the module doc)."""
        self.unit_note_ = None
        grp = self._check_groups(groups, len(np.asarray(embeddings)))
        per_unit = grp.chunks_per_group if grp is not None else 1.0
        texts, X = self._check_input(texts, embeddings, per_unit)
        n = X.shape[0]
        self.n_features_in_ = X.shape[1]
        self.n_samples_ = n
        self.unit_ = "article" if grp is not None else "chunk"
        self.n_groups_ = int(grp.n_groups) if grp is not None else n
        self.chunks_per_unit_ = float(per_unit)
        mg = self.map_groups(grp)
        self.map_unit_ = "article" if mg is not None else "chunk"
        self.groups_, self.map_groups_ = grp, mg
        knn = self.knn_graph(X, mg)
        self.knn_graph_ = knn if mg is None else None  # a chunk graph, reusable by chunk-level maps
        main_seed = self.random_state
        U = self.reduce(X, main_seed, knn, mg)
        self.embedding_ = U

        # -- granularity
        rows = grp.subsample(self.stability_max_n, self.random_state) if grp is not None else \
            selection.subsample(n, self.stability_max_n, self.random_state)
        m = len(rows)
        self.seed_runs_ = None
        unit = self.unit_
        if self.min_cluster_size == "auto":
            cands = sorted({int(c) for c in self.min_cluster_size_candidates})
            sizes = {}
            for c in cands:
                full = selection.in_chunks(c, per_unit)
                sizes[c] = (full, selection.scaled(full, m, n))
            scorer = lambda c: self.make_clusterer(c, scoring=True)  # noqa: E731
            if self.selection == "seeds":
                runs = self.seed_runs(X, rows, knn=knn, main=(main_seed, U))
                sel = selection.score_candidates(X[rows], runs, cands, sizes, scorer,
                                                 self.outlier_threshold, self.selection_tolerance, unit)
                labels_sub = sel.pop("_labels")
                self.seed_runs_ = {"rows": rows, "labels": labels_sub, "runs": runs,
                                   "min_cluster_size": sel.pop("_chosen_on_subsample")}
            elif self.selection == "silhouette":
                sub_grp = None if grp is None else grp.take(rows)
                sel = selection.score_silhouette(X[rows], U[rows], cands, sizes, scorer, self.outlier_threshold,
                                                 self.random_state, groups=sub_grp, unit=unit)
            elif self.selection == "resample":
                sel = selection.score_resample(X[rows], U[rows], cands, sizes, scorer, self.outlier_threshold,
                                               self.selection_tolerance, self.random_state, unit)
            else:
                raise ParamsError(f"parameter topics.selection must be silhouette, resample or seeds, got {self.selection!r}")
            sel.pop("_chosen_on_subsample", None)
            mcs_unit = int(sel["chosen"])
        else:
            mcs_unit = int(self.min_cluster_size)
            sel = {"criterion": "fixed", "unit": unit, "chosen": mcs_unit, "candidates": []}
        mcs = selection.in_chunks(mcs_unit, per_unit)
        sel.update(chosen_chunks=int(mcs), chunks_per_unit=round(float(per_unit), 6), map=self.map_unit_,
                   n_units=int(self.n_groups_))
        if self.unit_note_:
            sel["unit_note"] = self.unit_note_
        self.selection_ = sel
        self.min_cluster_size_unit_ = mcs_unit
        self.min_cluster_size_ = mcs

        # -- clusters
        cl = self.make_clusterer(mcs)
        cl.fit(U)
        raw = np.asarray(cl.labels_, dtype=np.int64)
        if raw.shape != (n,):
            raise ValueError(f"clusterer gave {raw.shape} labels for {n} rows")
        prob = getattr(cl, "probabilities_", None)
        prob = np.where(raw == OUTLIER, 0.0, 1.0) if prob is None else np.asarray(prob, dtype=np.float64)
        self.clusterer_ = cl

        # -- ids (stable across re-runs when a reference model is given)
        raw = self._assign_ids(X, raw)
        ref_ids, ref_C, _ = outliers.centroids(X, raw)
        self.reference_ids_, self.reference_centroids_ = ref_ids, ref_C

        # -- outliers, overrides
        topic, _ = outliers.reassign(X, raw, self.outlier_threshold)
        ov = self.overrides if self.overrides is not None else Overrides()
        present = {int(t) for t in ref_ids}
        raw, merged_raw, skipped = apply_merges(raw, ov, present)
        topic, _, _ = apply_merges(topic, ov, present)
        self.labels_raw_ = raw
        self.labels_ = topic
        self.probabilities_ = np.clip(prob, 0.0, 1.0)
        self.train_embeddings_ = X

        # -- representation
        ids, C, sizes = outliers.centroids(X, topic)
        means, _ = outliers.mean_vectors(X, topic, ids)
        _, sim = outliers.reassign(X, topic, 2.0)  # similarity to own centroid, no moves
        self.similarity_ = sim
        self.topic_ids_, self.centroids_, self.sizes_ = ids, C, sizes
        dtm, vocab, vec = ctfidf.doc_term_matrix(texts, make=self.make_vectorizer)
        rep = ctfidf.represent(texts, X, topic, raw != OUTLIER, ids, C, top_n_words=self.top_n_words,
                               label_words=self.label_words, n_representative=self.n_representative,
                               dtm=dtm, vocab=vocab)
        self.keywords_ = rep["keywords"]
        self.dtm_, self.vocabulary_, self.vectorizer_ = rep["dtm"], rep["vocab"], vec
        labels_txt, skipped_ren = apply_renames(rep["labels"], ov)
        self.topic_labels_ = labels_txt
        self.representatives_ = rep["representatives"]
        self.overrides_report_ = {**ov.as_dict(), "applied_merges": merged_raw,
                                  "renamed": sorted(t for t in ov.rename if t in labels_txt),
                                  "skipped": skipped + skipped_ren}
        self.merges_ = hierarchy.ward_tree(means, sizes)
        return self

    def seed_runs(self, X, rows, *, knn=None, main=None) -> selection.SeedRuns:
        """Reduce ``X[rows]`` once per stability seed (reusing the main run when it is one of them);
        on articles of those rows when the model's map is on articles."""
        runs = selection.SeedRuns(rows=rows)
        full = len(rows) == len(X)
        mg = getattr(self, "map_groups_", None)
        sub_g = None if mg is None else (mg if full else self.map_groups(mg.take(rows)))
        sub_knn = knn if full else self.knn_graph(X[rows], sub_g)
        for s in self.stability_seeds:
            if full and main is not None and s == main[0]:
                runs.reduced[int(s)] = main[1]
            else:
                runs.reduced[int(s)] = self.reduce(X[rows], s, sub_knn, sub_g)
        return runs

    def _assign_ids(self, X, raw):
        cl_ids, C, sizes = outliers.centroids(X, raw)
        first = np.array([int(np.argmax(raw == t)) for t in cl_ids], dtype=np.int64)
        ref = self.reference
        new_ids, report = stable_ids.assign_ids(C, sizes, first, ref, self.id_match_min_cosine)
        self.ids_report_ = report
        lut = {int(a): int(b) for a, b in zip(cl_ids, new_ids)}
        lut[OUTLIER] = OUTLIER
        out = np.array([lut[int(t)] for t in raw], dtype=np.int64)
        used = [int(t) for t in new_ids]
        prev_next = 0 if ref is None else int(ref.next_id)
        self.next_id_ = max([prev_next] + [t + 1 for t in used])
        return out

    # ------------------------------------------------------------ use
    def transform(self, embeddings) -> np.ndarray:
        """Cosine similarity of each row to each topic centroid, columns in ``topic_ids_`` order."""
        check_is_fitted(self, "labels_")
        return unit_rows(embeddings) @ self.centroids_.T

    def predict(self, embeddings) -> np.ndarray:
        """Topic of new chunk embeddings by a kNN vote among the training chunks."""
        check_is_fitted(self, "labels_")
        return self.predictor().predict(embeddings)

    def predictor(self):
        check_is_fitted(self, "labels_")
        from .predictor import KnnPredictor

        return KnnPredictor(self.train_embeddings_, self.labels_, k=self.knn_k)

    def cut(self, k: int) -> hierarchy.Cut:
        check_is_fitted(self, "labels_")
        return hierarchy.cut(self.topic_ids_, self.sizes_, self.merges_, k)

    def label_of(self, t: int) -> str:
        return OUTLIER_LABEL if int(t) == OUTLIER else self.topic_labels_.get(int(t), f"topic {t}")

    # ------------------------------------------------------------ state
    COMPONENTS = ("reducer", "clusterer", "vectorizer", "reference", "overrides")
    ARRAYS = ("centroids", "merges", "reference_centroids", "knn_vectors", "knn_labels")

    def get_state(self, chunk_ids, *, article_ids=None, positions=None, embedding_meta: dict | None = None,
                  extra: dict | None = None) -> dict:
        """The fitted model as plain data: ``meta`` (JSON: params, topics, hierarchy, ids, selection,
        overrides), ``arrays`` (name -> ndarray) and ``chunks`` (a table of the training chunks:
        ``chunk_id, article_id, position, topic_raw, topic, probability``). ``article_ids`` and
        ``positions`` (per chunk) let ``topics cut`` rebuild article topics; they default to one
        article per chunk."""
        import pandas as pd

        check_is_fitted(self, "labels_")
        chunk_ids = [str(c) for c in chunk_ids]
        if len(chunk_ids) != self.n_samples_:
            raise ValueError(f"{len(chunk_ids)} chunk ids for a model fitted on {self.n_samples_} chunks")
        article_ids = list(chunk_ids) if article_ids is None else [str(a) for a in article_ids]
        positions = np.zeros(len(chunk_ids), dtype=np.int64) if positions is None else \
            np.asarray(positions, dtype=np.int64)
        params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.get_params(deep=False).items()
                  if k not in self.COMPONENTS}
        params["reducer"] = "UMAPReducer" if self.reducer is None else type(self.reducer).__name__
        params["clusterer"] = "hdbscan.HDBSCAN" if self.clusterer is None else type(self.clusterer).__name__
        params["vectorizer"] = "CountVectorizer" if self.vectorizer is None else type(self.vectorizer).__name__
        topics = [{"id": int(t), "label": self.topic_labels_.get(int(t), f"topic {t}"),
                   "keywords": [[w, s] for w, s in self.keywords_.get(int(t), [])], "size": int(self.sizes_[i]),
                   "representatives": [chunk_ids[r] for r in self.representatives_.get(int(t), [])]}
                  for i, t in enumerate(self.topic_ids_)]
        meta = {
            "params": params,
            "n_chunks": int(self.n_samples_),
            "dimension": int(self.n_features_in_),
            "embedding": embedding_meta or {},
            "min_cluster_size": int(self.min_cluster_size_),
            "selection": self.selection_,
            "topics": topics,
            "outliers": {"raw": int((self.labels_raw_ == OUTLIER).sum()), "final": int((self.labels_ == OUTLIER).sum())},
            "hierarchy": {"method": "ward on size-weighted topic mean embeddings",
                          "leaf_ids": [int(t) for t in self.topic_ids_]},
            "ids": {"next_id": int(self.next_id_), "reference_ids": [int(t) for t in self.reference_ids_],
                    "report": self.ids_report_},
            "overrides": self.overrides_report_,
            "extra": extra or {},
        }
        arrays = {"centroids": np.asarray(self.centroids_, dtype=np.float32),
                  "merges": np.asarray(self.merges_, dtype=np.float64),
                  "reference_centroids": np.asarray(self.reference_centroids_, dtype=np.float32),
                  "knn_vectors": np.asarray(self.train_embeddings_, dtype=np.float32),
                  "knn_labels": np.asarray(self.labels_, dtype=np.int64)}
        chunks = pd.DataFrame({"chunk_id": chunk_ids, "article_id": article_ids, "position": positions,
                               "topic_raw": self.labels_raw_.astype("int64"), "topic": self.labels_.astype("int64"),
                               "probability": self.probabilities_.astype("float64")})
        return {"meta": meta, "arrays": arrays, "chunks": chunks}

    @classmethod
    def from_state(cls, meta: dict, arrays: dict, chunks=None) -> "TopicModel":
        """A fitted model from :meth:`get_state`'s data: it predicts, transforms, cuts and labels as the
        one that was saved (custom reducer, clusterer or vectorizer are not restored: refit needs them)."""
        names = set(cls().get_params(deep=False)) - set(cls.COMPONENTS)
        params = {k: (tuple(v) if isinstance(v, list) and k != "stop_words" else v)
                  for k, v in meta["params"].items() if k in names}
        m = cls(**params)
        topics = meta["topics"]
        m.topic_ids_ = np.array([int(t["id"]) for t in topics], dtype=np.int64)
        m.topic_labels_ = {int(t["id"]): t["label"] for t in topics}
        m.keywords_ = {int(t["id"]): [(w, float(s)) for w, s in t["keywords"]] for t in topics}
        m.sizes_ = np.array([int(t["size"]) for t in topics], dtype=np.int64)
        m.centroids_ = np.asarray(arrays["centroids"])
        m.merges_ = np.asarray(arrays["merges"])
        m.reference_centroids_ = np.asarray(arrays["reference_centroids"])
        m.reference_ids_ = np.array(meta["ids"]["reference_ids"], dtype=np.int64)
        m.next_id_ = int(meta["ids"]["next_id"])
        m.ids_report_ = meta["ids"].get("report", {})
        m.train_embeddings_ = np.asarray(arrays["knn_vectors"])
        m.labels_ = np.asarray(arrays["knn_labels"], dtype=np.int64)
        m.n_samples_, m.n_features_in_ = int(meta["n_chunks"]), int(meta["dimension"])
        m.min_cluster_size_ = int(meta["min_cluster_size"])
        m.selection_ = meta.get("selection", {})
        m.overrides_report_ = meta.get("overrides", {})
        if chunks is not None:
            m.labels_raw_ = chunks["topic_raw"].to_numpy(dtype=np.int64)
            m.probabilities_ = chunks["probability"].to_numpy(dtype=np.float64)
            row = {c: i for i, c in enumerate(chunks["chunk_id"].astype(str))}
            m.representatives_ = {int(t["id"]): [row[c] for c in t["representatives"] if c in row] for t in topics}
        return m

    @property
    def n_topics_(self) -> int:
        check_is_fitted(self, "labels_")
        return int(len(self.topic_ids_))
