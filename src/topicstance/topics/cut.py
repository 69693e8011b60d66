"""Article topics at any K: ``topicstance topics cut DIR --n-topics K --out FILE.csv``.

The cut gives exactly K topics over the articles (outliers, -1, not counted),
for every K from 1 to :func:`max_topics`: the number of articles that have a
topic at the model's own granularity (one topic per article at the finest).

* **K below the model's topics**: topics are merged along the stored Ward tree
  (:mod:`hierarchy`), replaying its merges one at a time. Each article's topic
  is the dominant topic of its merged chunk mix (so two merged minor topics can
  outvote a larger one); a tie goes to the topic whose centroid is most
  cosine-similar to the article (the unit mean of its chunk vectors). Replaying
  stops at the first merge that leaves exactly K topics holding an article.
  A merged topic takes the id of its largest member.
* **K above the model's topics**: topics are split, by bisecting k-means in
  the embedding space, with the articles as the points (each the unit mean of
  its chunk vectors). The topic with the largest within-topic sum of squares
  is split in two (2-means, ``random_state`` of the model's params, 4
  starts) until there are K. The larger part keeps the topic's id, the smaller
  one gets the next free id (the model's ``next_id`` and up), so ids stay
  integers and never collide with a model topic. Why not HDBSCAN's condensed
  tree or the reduced (UMAP) space: neither is stored with the model, which
  holds the chunk vectors, and a sample fit (``topics.fit_max_n``) only has
  them for the sample; the embedding space serves every corpus, without
  refitting anything.

A chunk takes its article's topic when its own (merged) topic is the one its
article was split from, else the nearest part (by centroid) of its own
topic; outlier chunks stay -1. Keywords (c-TF-IDF over the chunks of the cut),
labels and representative chunks of every topic of the cut are written beside
the cut (``FILE.topics.csv``). Dropped duplicates take their twin's topic and
rows skipped at ingest stay -1, as in ``article_topics.parquet``.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InputError, ParamsError
from ..io import check_outputs, write_text, writes
from . import ctfidf
from .knn import unit_rows
from .outliers import OUTLIER

SNIPPET_CHARS = 300


@dataclass
class CutInputs:
    """What a cut needs, per chunk (``article``: article index, ``topic``: the model's topic) and per
    article (``article_ids``), plus the model's topic ids, sizes, Ward merges and next free id."""

    article_ids: list[str]
    article: np.ndarray
    topic: np.ndarray
    X: np.ndarray
    topic_ids: list[int]
    sizes: list[int]
    merges: np.ndarray
    next_id: int
    texts: list[str] | None = None
    chunk_ids: list[str] | None = None


@dataclass
class AnyCut:
    k: int
    article_topic: np.ndarray          # per article of CutInputs.article_ids
    chunk_topic: np.ndarray            # per chunk
    model_topics: dict[int, list[int]]  # cut topic -> the model topics it holds (merged) or was split from
    split_of: dict[int, int] = field(default_factory=dict)   # part -> the model topic it was split from
    merged: dict[int, list[int]] = field(default_factory=dict)
    note: str = ""


class _Geometry:
    """Article vectors and per-topic sums for dominance and splitting."""

    def __init__(self, inp: CutInputs):
        n_art = len(inp.article_ids)
        n = len(inp.article)
        self.n_art = n_art
        ids = [int(t) for t in inp.topic_ids]
        self.ids = ids
        pos = {t: i for i, t in enumerate(ids)}
        self.tpos = np.array([pos.get(int(t), -1) for t in inp.topic], dtype=np.int64)
        onehot_a = sp.csr_matrix((np.ones(n), (inp.article, np.arange(n))), shape=(n_art, n))
        X = np.asarray(inp.X, dtype=np.float32)
        self.A = unit_rows(np.asarray(onehot_a @ X, dtype=np.float32))
        keep = np.nonzero(self.tpos >= 0)[0]
        onehot_t = sp.csr_matrix((np.ones(len(keep)), (self.tpos[keep], keep)), shape=(len(ids), n))
        self.S = np.asarray(onehot_t @ X, dtype=np.float64)  # per model topic: sum of its chunk vectors
        self.counts = sp.csr_matrix((np.ones(len(keep)), (inp.article[keep], self.tpos[keep])),
                                    shape=(n_art, len(ids)))

    def dominant(self, group_of: np.ndarray, n_groups: int) -> np.ndarray:
        """Each article's dominant group (index) when model topic i belongs to group ``group_of[i]``;
        -1 for an article whose chunks are all outliers. Ties: the most similar group centroid.
        Kept sparse (articles x groups with a chunk there), so many topics cost no dense matrix."""
        M = sp.csr_matrix((np.ones(len(group_of)), (np.arange(len(group_of)), group_of)),
                          shape=(len(group_of), n_groups))
        C = sp.csr_matrix(self.counts @ M)
        C.sum_duplicates()
        C.sort_indices()
        n_art = C.shape[0]
        row = np.repeat(np.arange(n_art), np.diff(C.indptr))
        best = np.zeros(n_art)
        if C.nnz:
            np.maximum.at(best, row, C.data)
        at_best = (C.data == best[row]) & (C.data > 0)
        n_best = np.bincount(row[at_best], minlength=n_art)
        dom = np.full(n_art, -1, dtype=np.int64)
        first = np.full(n_art, np.iinfo(np.int64).max)
        np.minimum.at(first, row[at_best], C.indices[at_best])  # the first group at the maximum
        dom[n_best > 0] = first[n_best > 0]
        tie = np.nonzero(n_best > 1)[0]
        if tie.size:
            cent = unit_rows(np.asarray(M.T @ self.S, dtype=np.float32))
            for r in tie:
                lo, hi = C.indptr[r], C.indptr[r + 1]
                cand = C.indices[lo:hi][C.data[lo:hi] == best[r]]
                dom[r] = int(cand[np.argmax(cent[cand] @ self.A[r])])
        return dom


def max_topics(inp: CutInputs) -> int:
    """The largest K :func:`cut_any` reaches: the articles with a topic at the model's granularity."""
    g = _Geometry(inp)
    return int((g.dominant(np.arange(len(g.ids)), len(g.ids)) >= 0).sum())


def cut_any(inp: CutInputs, k: int, random_state: int = 42) -> AnyCut:
    """Exactly ``k`` topics over the articles (see the module doc)."""
    k = int(k)
    if k < 1:
        raise ParamsError(f"--n-topics must be >= 1, got {k}")
    g = _Geometry(inp)
    T = len(g.ids)
    size_of = {t: int(s) for t, s in zip(g.ids, inp.sizes)}
    members: dict[int, list[int]] = {i: [i] for i in range(T)}  # node -> model topic positions
    group_of = np.arange(T)
    dom = g.dominant(group_of, T)
    kmax = int((dom >= 0).sum())
    if k > kmax:
        raise ParamsError(f"--n-topics {k} is above the maximum for this corpus, {kmax} "
                          "(the articles that have a topic)")
    n_nonempty = len(np.unique(dom[dom >= 0]))
    m = 0
    while n_nonempty > k and m < len(inp.merges):
        a, b = int(inp.merges[m, 0]), int(inp.merges[m, 1])
        members[T + m] = members.pop(a) + members.pop(b)
        m += 1
        nodes = list(members)
        for gi, node in enumerate(nodes):
            group_of[members[node]] = gi
        dom = g.dominant(group_of, len(nodes))
        n_nonempty = len(np.unique(dom[dom >= 0]))
    nodes = list(members)
    rep_of_group = []
    merged: dict[int, list[int]] = {}
    for node in nodes:
        tids = [g.ids[i] for i in members[node]]
        rep = sorted(tids, key=lambda t: (-size_of[t], t))[0]
        rep_of_group.append(rep)
        if len(tids) > 1:
            merged[rep] = sorted(tids)
    rep_of_group = np.array(rep_of_group, dtype=np.int64)
    art_topic = np.where(dom >= 0, rep_of_group[np.clip(dom, 0, None)], OUTLIER).astype(np.int64)
    model_topics = {int(rep_of_group[gi]): sorted(g.ids[i] for i in members[node])
                    for gi, node in enumerate(nodes)}
    chunk_topic = np.where(g.tpos >= 0, rep_of_group[group_of[np.clip(g.tpos, 0, None)]], OUTLIER)
    chunk_topic = np.where(g.tpos >= 0, chunk_topic, OUTLIER).astype(np.int64)
    split_of: dict[int, int] = {}
    present = sorted(set(art_topic[art_topic >= 0].tolist()))
    if len(present) < k:
        art_topic, split_of = _bisect(g.A, art_topic, k, int(inp.next_id), random_state)
        chunk_topic = _chunks_to_parts(inp, g, art_topic, chunk_topic, split_of)
        for part, origin in split_of.items():
            model_topics[part] = model_topics.get(origin, [origin])
    note = (f"K={k}: the model's {T} topics" + (f", {len(merged)} merged group(s)" if merged else "")
            + (f", {sum(1 for q, o in split_of.items() if q != o)} part(s) split off" if split_of else "") + f"; maximum {kmax}")
    return AnyCut(k, art_topic, chunk_topic, {t: v for t, v in model_topics.items() if t in set(art_topic)},
                  split_of, dict(sorted(merged.items())), note)


def _sse(V: np.ndarray) -> float:
    return float(((V - V.mean(axis=0)) ** 2).sum()) if len(V) > 1 else 0.0


def _bisect(A: np.ndarray, art_topic: np.ndarray, k: int, next_id: int, seed: int):
    """Split the topic with the largest sum of squares in two until ``k`` topics hold an article."""
    from sklearn.cluster import KMeans

    labels = art_topic.copy()
    split_of: dict[int, int] = {}
    origin = {int(t): int(t) for t in np.unique(labels[labels >= 0])}
    heap = []
    for t in origin:
        rows = np.nonzero(labels == t)[0]
        heapq.heappush(heap, (-_sse(A[rows]), t))
    n_topics = len(origin)
    nid = max([next_id] + [t + 1 for t in origin])
    while n_topics < k:
        if not heap or -heap[0][0] <= 0:
            raise ParamsError(f"--n-topics {k}: the articles allow at most {n_topics} distinct topics "
                              "(the rest have identical vectors)")
        _, t = heapq.heappop(heap)
        rows = np.nonzero(labels == t)[0]
        parts = KMeans(2, n_init=4, random_state=seed).fit_predict(A[rows])
        if parts.min() == parts.max():  # pragma: no cover - identical vectors
            continue
        big = 0 if (parts == 0).sum() >= (parts == 1).sum() else 1
        small_rows, keep_rows = rows[parts != big], rows[parts == big]
        labels[small_rows] = nid
        origin[nid] = origin[t]
        split_of[nid] = origin[t]
        if origin[t] != t:
            split_of[t] = origin[t]
        else:
            split_of.setdefault(t, t)
        heapq.heappush(heap, (-_sse(A[keep_rows]), t))
        heapq.heappush(heap, (-_sse(A[small_rows]), nid))
        nid += 1
        n_topics += 1
    return labels, {p: o for p, o in split_of.items()}


def _chunks_to_parts(inp: CutInputs, g: _Geometry, art_topic: np.ndarray, chunk_topic: np.ndarray,
                     split_of: dict[int, int]) -> np.ndarray:
    """Chunk topics after a split: the article's part when the chunk's topic is the one its article's
    part came from, else the nearest part (centroid of its articles) of the chunk's own topic."""
    out = chunk_topic.copy()
    parts_of: dict[int, list[int]] = {}
    for p, o in split_of.items():
        parts_of.setdefault(o, []).append(p)
    origin_of_article = np.array([split_of.get(int(t), int(t)) for t in art_topic], dtype=np.int64)
    a = inp.article
    own = (chunk_topic >= 0) & (origin_of_article[a] == chunk_topic) & (art_topic[a] >= 0)
    own &= np.isin(chunk_topic, list(parts_of))
    out[own] = art_topic[a[own]]
    other = np.nonzero(np.isin(chunk_topic, list(parts_of)) & ~own)[0]
    if other.size:
        X = inp.X
        for o, parts in parts_of.items():
            rows = other[chunk_topic[other] == o]
            if not rows.size:
                continue
            cent = unit_rows(np.stack([g.A[art_topic == p].mean(axis=0) for p in parts]).astype(np.float32))
            sims = unit_rows(np.asarray(X[rows], dtype=np.float32)) @ cent.T
            out[rows] = np.asarray(parts)[sims.argmax(axis=1)]
    return out


def topic_table(inp: CutInputs, c: AnyCut, *, top_n_words: int = 10, label_words: int = 3,
                n_representative: int = 3) -> pd.DataFrame:
    """One row per topic of the cut: keywords, label, sizes, where it came from, representatives."""
    ids = np.array(sorted(set(c.article_topic[c.article_topic >= 0].tolist())), dtype=np.int64)
    texts = inp.texts or [""] * len(c.chunk_topic)
    dtm, vocab, _ = ctfidf.doc_term_matrix(texts)
    scores = ctfidf.class_tfidf(dtm, c.chunk_topic, ids)
    kw, labels = ctfidf.keywords_and_labels(scores, vocab, ids, top_n_words, label_words)
    X = unit_rows(np.asarray(inp.X, dtype=np.float32))
    n_art = np.bincount(np.searchsorted(ids, c.article_topic[c.article_topic >= 0]), minlength=len(ids))
    cids = inp.chunk_ids or [str(i) for i in range(len(texts))]
    rows = []
    for i, t in enumerate(ids):
        members = np.nonzero(c.chunk_topic == t)[0]
        reps: list[int] = []
        if members.size:
            cent = unit_rows(X[members].mean(axis=0, keepdims=True))[0]
            sims = X[members] @ cent
            reps = [int(r) for r in members[np.lexsort((members, -sims))[:n_representative]]]
        rows.append({"id": int(t), "label": labels.get(int(t), f"topic {t}"),
                     "keywords": ", ".join(w for w, _ in kw.get(int(t), [])),
                     "n_articles": int(n_art[i]), "n_chunks": int(members.size),
                     "model_topics": " ".join(str(x) for x in c.model_topics.get(int(t), [t])),
                     "split_of": "" if int(t) not in c.split_of else str(c.split_of[int(t)]),
                     "representative_chunk_ids": " ".join(cids[r] for r in reps),
                     "representative_chunks": " || ".join(_snippet(texts[r]) for r in reps)})
    return pd.DataFrame(rows, columns=["id", "label", "keywords", "n_articles", "n_chunks", "model_topics",
                                       "split_of", "representative_chunk_ids", "representative_chunks"])


def _snippet(text: str) -> str:
    t = " ".join(str(text).split())
    return t if len(t) <= SNIPPET_CHARS else t[:SNIPPET_CHARS - 1].rstrip() + "…"


def read_cut_inputs(root: str | Path | None = None, *, with_texts: bool = True, data_dir=None,
                    models_dir=None) -> tuple[CutInputs, pd.DataFrame]:
    """The inputs of a cut of a run or project root ``root`` (or of ``data_dir`` and ``models_dir``):
    ``models/topics`` (ids, sizes, tree), ``data/topics.parquet`` and ``data/chunks.parquet`` (every
    chunk's topic, article, text), ``data/embeddings`` (memory-mapped) and
    ``data/article_topics.parquet`` (returned too)."""
    from ..embed.store import load_embeddings
    from .persistence import load_model

    data = Path(data_dir) if data_dir is not None else Path(root) / "data"
    models = Path(models_dir) if models_dir is not None else Path(root) / "models"
    model = load_model(models / "topics")
    for name in ("article_topics.parquet", "topics.parquet", "chunks.parquet"):
        if not (data / name).exists():
            raise InputError(f"{data / name}: file not found (run the topics stage first)")
    at = pd.read_parquet(data / "article_topics.parquet")
    for col in ("article_id", "duplicate_of"):
        if col not in at.columns:
            raise InputError(f"{data / 'article_topics.parquet'}: missing column {col!r}")
    cols = ["chunk_id", "article_id", "position"] + (["text"] if with_texts else [])
    ch = pd.read_parquet(data / "chunks.parquet", columns=cols)
    tp = pd.read_parquet(data / "topics.parquet", columns=["chunk_id", "topic"])
    if len(tp) != len(ch) or not (tp["chunk_id"].to_numpy() == ch["chunk_id"].to_numpy()).all():
        raise InputError(f"{data / 'topics.parquet'}: its chunk_ids are not those of {data / 'chunks.parquet'} "
                         "(re-run the topics stage)")
    ids, X = load_embeddings(data / "embeddings")
    if len(ids) != len(ch):
        raise InputError(f"{data / 'embeddings'}: {len(ids)} vectors for {len(ch)} chunks (re-run the embed stage)")
    codes, uniq = pd.factorize(ch["article_id"].astype(str))
    inp = CutInputs(article_ids=[str(u) for u in uniq], article=codes.astype(np.int64),
                    topic=tp["topic"].to_numpy(np.int64), X=X, topic_ids=model.topic_ids, sizes=model.sizes,
                    merges=np.asarray(model.merges), next_id=int(model.meta["ids"]["next_id"]),
                    texts=ch["text"].astype(str).tolist() if with_texts else None,
                    chunk_ids=ch["chunk_id"].astype(str).tolist())
    return inp, at


FINER_MAX = 30  # leaves of the finer level shown by default


def finer_k(n_topics: int, kmax: int, n_articles: int) -> int:
    """The level below the model's own granularity that the report and notebook 02 show:
    ``max(2 x topics, min(30, round(sqrt(articles))))``, at most the cut's maximum (the seeds: 2
    topics in 32 articles -> 6)."""
    return int(max(1, min(kmax, max(2 * n_topics, min(FINER_MAX, round(float(np.sqrt(max(n_articles, 1)))))))))


def finer_tree(inp: CutInputs, c: AnyCut) -> tuple[list[int], list[int], np.ndarray]:
    """``(leaf ids, their model topic, merges)`` for a dendrogram of a finer cut ``c``: Ward merges
    of the parts inside each model topic first, then of the model topics (both on article vectors,
    sizes in articles; heights made monotone), in the merge-table format of :mod:`hierarchy`."""
    from .hierarchy import ward_tree

    g = _Geometry(inp)
    leaves = sorted(set(c.article_topic[c.article_topic >= 0].tolist()))
    parent = [int(c.split_of.get(t, t)) for t in leaves]
    mean = {t: g.A[c.article_topic == t].mean(axis=0) for t in leaves}
    size = {t: int((c.article_topic == t).sum()) for t in leaves}
    merges = []
    node_of_parent: dict[int, tuple[int, np.ndarray, int, float]] = {}
    next_node = len(leaves)
    for par in dict.fromkeys(parent):
        idx = [i for i, p in enumerate(parent) if p == par]
        if len(idx) == 1:
            node_of_parent[par] = (idx[0], mean[leaves[idx[0]]], size[leaves[idx[0]]], 0.0)
            continue
        sub = ward_tree(np.stack([mean[leaves[i]] for i in idx]), np.array([size[leaves[i]] for i in idx]))
        local = {j: idx[j] for j in range(len(idx))}
        top = 0.0
        for m, (a, b, dist, sz) in enumerate(sub):
            merges.append((local[int(a)], local[int(b)], float(dist), float(sz)))
            local[len(idx) + m] = next_node
            next_node += 1
            top = max(top, float(dist))
        tot = sum(size[leaves[i]] for i in idx)
        mu = sum(mean[leaves[i]] * size[leaves[i]] for i in idx) / tot
        node_of_parent[par] = (next_node - 1, mu, tot, top)
    pars = list(node_of_parent)
    if len(pars) > 1:
        up = ward_tree(np.stack([node_of_parent[p][1] for p in pars]), np.array([node_of_parent[p][2] for p in pars]))
        local = {j: node_of_parent[p][0] for j, p in enumerate(pars)}
        height = {j: node_of_parent[p][3] for j, p in enumerate(pars)}
        for m, (a, b, dist, sz) in enumerate(up):
            h = max(float(dist), height[int(a)], height[int(b)]) + 1e-9
            merges.append((local[int(a)], local[int(b)], h, float(sz)))
            local[len(pars) + m] = next_node
            height[len(pars) + m] = h
            next_node += 1
    return leaves, parent, np.array(merges, dtype=np.float64).reshape(-1, 4)


def topics_path(out: str | Path) -> Path:
    """``FILE.topics.csv`` beside ``FILE.csv`` (or ``FILE.topics.csv`` beside any ``FILE``)."""
    out = Path(out)
    stem = out.name[:-4] if out.name.lower().endswith(".csv") else out.name
    return out.with_name(stem + ".topics.csv")


@writes("topics cut")
def cut_articles(root: str | Path, k: int, out: str | Path, params=None) -> dict:
    """Write ``article_id,topic`` at exactly ``k`` topics to ``out`` and the topics' keywords and
    representatives to :func:`topics_path` of it. ``params``: a :class:`TopicsParams` (keywords,
    labels, representatives, seed)."""
    from ..params import TopicsParams

    p = params or TopicsParams()
    tpath = topics_path(out)
    check_outputs(files=[out, tpath])
    inp, at = read_cut_inputs(root)
    c = cut_any(inp, k, p.random_state)
    topic_of = dict(zip(inp.article_ids, c.article_topic.tolist()))
    topics = []
    for aid, twin in zip(at["article_id"].astype(str), at["duplicate_of"]):
        src = twin if isinstance(twin, str) and twin else aid
        topics.append(topic_of.get(src, OUTLIER))
    df = pd.DataFrame({"article_id": at["article_id"].astype(str), "topic": np.array(topics, dtype=np.int64)})
    table = topic_table(inp, c, top_n_words=p.top_n_words, label_words=p.label_words,
                        n_representative=p.n_representative)
    write_text(out, df.to_csv(index=False))
    write_text(tpath, table.to_csv(index=False))
    return {"k_requested": int(k), "n_topics": int(df["topic"][df["topic"] >= 0].nunique()), "note": c.note,
            "merged": c.merged, "split_of": c.split_of, "n_articles": int(len(df)), "out": str(out),
            "topics_out": str(tpath)}
