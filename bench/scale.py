"""Scale benchmark: topics on synthetic corpora of 100k and 1M chunks built around real embeddings.

    .venv/bin/python bench/scale.py [--sizes 100000,1000000] [--only 100k|1m|sample_vs_full] [--force]
                                    [--sample 100000] [--reference 20000] [--svf-sample 10000]
                                    [--knn auto|exact|nndescent]
    # a small trial: --sizes 20000,60000 --sample 10000 --reference 5000 --svf-sample 2000

Real pool. BBC News chunks (``bbc_news.csv`` through the project's own ingest
and chunk steps, 128-token chunks) and the SemEval-2016 stance tweets, embedded
once with :class:`topicstance.embed.encoder.Embedder` (all-MiniLM-L6-v2) and
cached in ``.cache/bench/scale/pool/``.

Spread. For every real vector, ``t`` = its cosine to the unit mean of its 15
nearest real neighbours (the local topic centre it sits around; 15 = UMAP's
``n_neighbors``), measured per source (BBC, SemEval). The cosine to the
centroid of the vector's BBC category (SemEval target) is measured too
(categories are far broader than topics); it sets the spread of the noise.

Synthetic corpus (``.cache/bench/scale/corpora/<spec>/``), for ``n`` chunks:

* centres: ``n_clusters`` real vectors, taken in random order and kept only when
  their cosine to every centre kept so far is below ``separation``;
* sizes: Zipf, the cluster of rank r gets a share proportional to ``r**-zipf``
  of the non-noise points;
* a point of a cluster is ``t * c + sqrt(1 - t**2) * u``: ``c`` the centre,
  ``u`` a Gaussian direction orthogonal to ``c`` (normalised), ``t`` drawn from
  the real ``t`` values of the centre's source, so the cosine to the centre
  reproduces the measured spread exactly (the result is unit length);
* background noise (``noise`` share, true label -1): real vectors whose cosine
  to every centre is below ``separation``, each perturbed the same way but to
  its own cosine to the centroid of its BBC category (SemEval target), i.e.
  spread as widely as a whole category, so the noise is diffuse, not a topic;
* texts (for c-TF-IDF): a point of a cluster takes the text of one of the
  centre's ``text_neighbours`` nearest real vectors; a noise point takes the text
  of the real vector it came from;
* written in batches: ``embeddings.npy`` (float32, read back with
  ``mmap_mode="r"``) and ``chunks.parquet`` (``chunk_id``, ``text``, ``label``,
  ``text_row``), rows in random order.

Configurations (each in a fresh child process; the JSON records each one as
soon as it finishes, and a finished one is skipped unless ``--force`` or its
settings changed):

* ``100k`` (first size): ``TopicModel`` (project defaults, chunks as the unit)
  fitted on all points. Per step: read, reduce (UMAP and its kNN graph), select
  (``min_cluster_size: auto``), cluster (HDBSCAN), keywords (c-TF-IDF, labels,
  representatives), hierarchy (Ward), other (input checks, ids, outlier
  reassignment). The steps are timed by wrapping the model's own pieces, the
  model code is unchanged. Peak RSS per step from the kernel's high-water mark
  (``VmHWM``, reset at each step start through ``/proc/self/clear_refs``).
  Before timing, a warm-up fit on 5,000 rows loads the numba JIT cache (reported,
  not counted). Stability: ARI between the stability seeds on a 10k subsample
  (``topics.metrics.stability``), measured after the budget and reported apart.
  UMAP's neighbour graph (``--knn``): ``auto`` is the library's own choice
  (exact kNN from ``topics.knn`` up to 40k rows, UMAP's NN-descent above);
  ``exact`` forces the exact graph, ``nndescent`` forces NN-descent.
* ``1m`` (second size): :func:`topicstance.topics.scale.fit_sample_assign`: fit on
  ``--sample`` rows, assign all rows from the memory-mapped embeddings in
  batches with the kNN predictor on a ``--reference`` subset of the fitted rows,
  streaming the output to Parquet.
* ``sample_vs_full`` (first size): fit on ``--svf-sample`` rows + assign, against
  the ``100k`` configuration's fit on all rows; ARI between the two.

ARI (``sklearn.metrics.adjusted_rand_score``) against the true clusters, on the
topics after outlier reassignment: over all points (true noise is one label,
-1, and predicted outliers are one label, -1) and over the non-noise points only.

Results: reports/bench/scale.json.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, SHARED, load_results, machine, run_child, save_results  # noqa: E402

CACHE = ROOT / ".cache" / "bench" / "scale"
RESULTS = "scale.json"
BBC_CSV = SHARED / "benchmarks" / "bbc_news" / "bbc_news.csv"
SEMEVAL_CSV = SHARED / "benchmarks" / "semeval2016" / "stance.csv"
K_SPREAD = 15
WARM_N = 5_000
GEN_BATCH = 25_000


def label(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


def q(a, qs=(5, 25, 50, 75, 95)) -> dict:
    return {f"p{p}": round(float(v), 4) for p, v in zip(qs, np.percentile(a, qs))}


# ------------------------------------------------------------------ real pool
def build_pool() -> tuple[np.ndarray, "object", dict]:
    """Real vectors (BBC chunks, then SemEval tweets), their table (text, source, category) and spread."""
    import pandas as pd

    d = CACHE / "pool"
    if (d / "pool.json").exists():
        return np.load(d / "embeddings.npy"), pd.read_parquet(d / "pool.parquet"), json.loads((d / "pool.json").read_text())
    import topicstance  # noqa: F401  (offline + numba cache env)
    from topicstance.chunk import chunk_articles
    from topicstance.embed.encoder import Embedder
    from topicstance.embed.model import load_tokenizer
    from topicstance.ingest.pipeline import ingest_corpus
    from topicstance.params import ChunkParams, EmbedParams, IngestParams
    from topicstance.topics.knn import exact_knn, unit_rows

    t0 = time.perf_counter()
    arts, _, _, _ = ingest_corpus(BBC_CSV, IngestParams())
    cp = ChunkParams()
    ch = chunk_articles(arts, load_tokenizer(EmbedParams().model), cp.max_tokens, cp.overlap_sentences)
    ch["category"] = ch["article_id"].map(arts.set_index("article_id")["category"])
    tw = pd.read_csv(SEMEVAL_CSV, dtype=str, keep_default_na=False)
    tw_text = tw["text"].map(lambda s: re.sub(r"\s*#SemST\b", "", s, flags=re.I).strip())
    emb = Embedder(cache_dir=ROOT / ".cache" / "embeddings", show_progress=False)
    P = np.concatenate([emb.encode(ch["text"].tolist()), emb.encode(tw_text.tolist())]).astype(np.float32)
    table = pd.DataFrame({"text": ch["text"].tolist() + tw_text.tolist(),
                          "source": ["bbc"] * len(ch) + ["semeval"] * len(tw),
                          "category": ch["category"].astype(str).tolist() + tw["target"].tolist()})
    # spread: cosine of each vector to the unit mean of its K nearest neighbours (itself excluded), per source
    t = np.empty(len(P), dtype=np.float32)
    info = {"bbc_chunks": int(len(ch)), "bbc_articles": int(len(arts)), "semeval_tweets": int(len(tw)),
            "chunking": asdict(cp), "embedding": {"model": EmbedParams().model, "precision": emb.stats.precision},
            "spread": {"cos_to_knn_centre": f"cosine of a real vector to the unit mean of its {K_SPREAD} nearest "
                                            "real neighbours (same source, itself excluded): cluster spread",
                       "cos_to_category_centre": "cosine of a real vector to the centroid of its BBC category or "
                                                 "SemEval target: background-noise spread"}}
    for src in ("bbc", "semeval"):
        rows = np.nonzero(table["source"].to_numpy() == src)[0]
        idx, dist = exact_knn(P[rows], K_SPREAD + 1)
        t[rows] = np.sum(P[rows] * unit_rows(P[rows][idx[:, 1:]].mean(axis=1)), axis=1)
        info["spread"][src] = {"cos_to_knn_centre": q(t[rows]), "mean_cos_to_knn": q(1.0 - dist[:, 1:].mean(axis=1))}
    # broad spread (for the background noise): cosine to the centroid of the vector's BBC category / SemEval target
    t_cat = np.empty(len(P), dtype=np.float32)
    for c in table["category"].unique():
        rows = np.nonzero(table["category"].to_numpy() == c)[0]
        t_cat[rows] = P[rows] @ unit_rows(P[rows].mean(axis=0, keepdims=True))[0]
    for src in ("bbc", "semeval"):
        info["spread"][src]["cos_to_category_centre"] = q(t_cat[table["source"].to_numpy() == src])
    table["t"], table["t_category"] = t, t_cat
    info["seconds"] = round(time.perf_counter() - t0, 1)
    d.mkdir(parents=True, exist_ok=True)
    np.save(d / "embeddings.npy", P)
    table.to_parquet(d / "pool.parquet", index=False)
    (d / "pool.json").write_text(json.dumps(info, indent=2))
    return P, table, info


# ------------------------------------------------------------------ synthetic corpus
@dataclass(frozen=True)
class Spec:
    n: int
    n_clusters: int = 100
    zipf: float = 1.0
    noise: float = 0.10
    separation: float = 0.5
    text_neighbours: int = 20
    seed: int = 0

    @property
    def dir(self) -> Path:
        return CACHE / "corpora" / (f"n{self.n}_k{self.n_clusters}_z{self.zipf:g}_noise{self.noise:g}_"
                                    f"sep{self.separation:g}_tn{self.text_neighbours}_s{self.seed}")


def zipf_sizes(total: int, k: int, s: float) -> np.ndarray:
    w = np.arange(1, k + 1, dtype=np.float64) ** -s
    exact = total * w / w.sum()
    sizes = np.floor(exact).astype(np.int64)
    sizes[np.argsort(sizes - exact)[: total - sizes.sum()]] += 1  # largest remainders
    return sizes


def perturb(B: np.ndarray, t: np.ndarray, rng) -> np.ndarray:
    """Unit rows at cosine ``t`` to the unit rows ``B``: t*B + sqrt(1-t^2)*(Gaussian direction orthogonal to B)."""
    g = rng.standard_normal(B.shape, dtype=np.float32)
    g -= np.sum(g * B, axis=1, keepdims=True) * B
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    X = t[:, None] * B + np.sqrt(1.0 - t[:, None] ** 2) * g
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)


def build_corpus(spec: Spec) -> dict:
    """Write the corpus of ``spec`` (skipped when present); return how it was built."""
    if (spec.dir / "corpus.json").exists():
        return json.loads((spec.dir / "corpus.json").read_text())
    import pyarrow as pa
    import pyarrow.parquet as pq

    from topicstance.io import atomic_path
    from topicstance.topics.knn import exact_knn, exact_knn_to

    P, pool, pool_info = build_pool()
    t0 = time.perf_counter()
    rng = np.random.default_rng(spec.seed)
    src = pool["source"].to_numpy()
    t_real = pool["t"].to_numpy().astype(np.float32)
    # well-separated centres
    centres: list[int] = []
    for i in rng.permutation(len(P)):
        if not centres or float(np.max(P[centres] @ P[i])) < spec.separation:
            centres.append(int(i))
            if len(centres) == spec.n_clusters:
                break
    if len(centres) < spec.n_clusters:
        raise SystemExit(f"only {len(centres)} real vectors are below cosine {spec.separation} to each other")
    C = P[centres]
    near, _ = exact_knn_to(C, P, spec.text_neighbours)  # each centre's nearest real texts (itself first)
    background = np.nonzero((P @ C.T).max(axis=1) < spec.separation)[0]
    n_noise = int(round(spec.noise * spec.n))
    sizes = zipf_sizes(spec.n - n_noise, spec.n_clusters, spec.zipf)
    labels = np.concatenate([np.repeat(np.arange(spec.n_clusters), sizes), np.full(n_noise, -1)]).astype(np.int32)
    rng.shuffle(labels)
    # per row: the real vector it is built around, its cosine to it, and the real text it carries
    base = np.empty(spec.n, dtype=np.int64)
    text_row = np.empty(spec.n, dtype=np.int64)
    t = np.empty(spec.n, dtype=np.float32)
    is_noise = labels < 0
    noise_base = background[rng.integers(0, len(background), n_noise)]
    base[is_noise] = noise_base
    text_row[is_noise] = noise_base
    t[is_noise] = pool["t_category"].to_numpy()[noise_base]
    cl = np.nonzero(~is_noise)[0]
    base[cl] = np.asarray(centres)[labels[cl]]
    text_row[cl] = near[labels[cl], rng.integers(0, spec.text_neighbours, len(cl))]
    for s in ("bbc", "semeval"):
        of_src = cl[src[base[cl]] == s]
        pool_t = t_real[src == s]
        t[of_src] = pool_t[rng.integers(0, len(pool_t), len(of_src))]
    texts = pa.array(pool["text"].tolist(), type=pa.string())
    schema = pa.schema([("chunk_id", pa.string()), ("text", pa.string()), ("label", pa.int32()),
                        ("text_row", pa.int32())])
    with atomic_path(spec.dir, is_dir=True) as tmp:
        with open(tmp / "embeddings.npy", "wb") as f, pq.ParquetWriter(tmp / "chunks.parquet", schema) as w:
            np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False,
                                                     "shape": (spec.n, P.shape[1])})
            for s in range(0, spec.n, GEN_BATCH):
                e = min(spec.n, s + GEN_BATCH)
                f.write(perturb(P[base[s:e]], t[s:e], rng).tobytes())
                w.write_table(pa.table({"chunk_id": [f"syn{r:07d}" for r in range(s, e)],
                                        "text": texts.take(pa.array(text_row[s:e])), "label": labels[s:e],
                                        "text_row": text_row[s:e].astype(np.int32)}, schema=schema))
        # check the spread on the first rows: the same measure as on the real pool
        m = min(spec.n, 10_000)
        Xm = np.array(np.load(tmp / "embeddings.npy", mmap_mode="r")[:m])
        idx, _ = exact_knn(Xm, K_SPREAD + 1)
        loc = Xm[idx[:, 1:]].mean(axis=1)
        synth_t = (np.sum(Xm * loc, axis=1) / np.linalg.norm(loc, axis=1))[labels[:m] >= 0]
        cc = C @ C.T
        np.fill_diagonal(cc, -1)
        info = {
            "n_chunks": spec.n, **asdict(spec), "dim": int(P.shape[1]),
            "method": "centres = real vectors kept when below `separation` cosine to every kept centre; cluster "
                      "sizes Zipf(r**-zipf); point = t*centre + sqrt(1-t^2)*Gaussian direction orthogonal to it, "
                      "t drawn from the real cos_to_knn_centre of the centre's source; noise = real vectors below "
                      "`separation` to every centre, perturbed to their own cos_to_category_centre; texts from the "
                      "centre's `text_neighbours` nearest real vectors (noise: its own text)",
            "centres_by_source": {s: int((src[centres] == s).sum()) for s in ("bbc", "semeval")},
            "max_cosine_between_centres": round(float(cc.max()), 4),
            "cluster_sizes": {"largest": int(sizes.max()), "smallest": int(sizes.min()), "noise": n_noise},
            "background_pool_vectors": int(len(background)),
            "spread_real": pool_info["spread"],
            "spread_synthetic": {"cos_to_centre": q(t[~is_noise]), "noise_cos_to_base": q(t[is_noise]),
                                 f"cos_to_knn_centre_clustered_of_first_{m}_rows": q(synth_t)},
            "generate_seconds": round(time.perf_counter() - t0, 1),
        }
        (tmp / "corpus.json").write_text(json.dumps(info, indent=2))
    return info


# ------------------------------------------------------------------ timing probe (in the child)
def _hwm_mb() -> float:
    m = re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text())
    return int(m.group(1)) / 1024


class Probe:
    """Wall seconds and peak RSS (MB) of named steps; a step started inside another counts towards
    the outer one. Peak RSS per step is the kernel high-water mark, reset at the step start."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.peak_mb: dict[str, float] = {}
        self.active: str | None = None
        self.process_peak_mb = 0.0

    @contextlib.contextmanager
    def step(self, name: str):
        if self.active is not None:
            yield
            return
        self.active = name
        self.process_peak_mb = max(self.process_peak_mb, _hwm_mb())
        try:
            Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        except OSError:
            pass
        t = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t
            self.peak_mb[name] = max(self.peak_mb.get(name, 0.0), _hwm_mb())
            self.process_peak_mb = max(self.process_peak_mb, self.peak_mb[name])
            self.active = None

    def timed(self, fn, name: str):
        def run(*a, **kw):
            with self.step(name):
                return fn(*a, **kw)
        return run

    @contextlib.contextmanager
    def fit_steps(self, model):
        """Time the pieces ``TopicModel.fit`` and ``fit_sample_assign`` call by wrapping them for the
        duration (their code is unchanged)."""
        from topicstance.topics import ctfidf, hierarchy, scale, selection

        make = model.make_clusterer

        def make_clusterer(*a, **kw):
            c = make(*a, **kw)
            c.fit = self.timed(c.fit, "cluster")
            return c

        patches = [(model, "knn_graph", self.timed(model.knn_graph, "reduce")),
                   (model, "reduce", self.timed(model.reduce, "reduce")), (model, "make_clusterer", make_clusterer),
                   (selection, "score_silhouette", self.timed(selection.score_silhouette, "select")),
                   (ctfidf, "represent", self.timed(ctfidf.represent, "keywords")),
                   (hierarchy, "ward_tree", self.timed(hierarchy.ward_tree, "hierarchy")),
                   (scale, "read_parquet_rows", self.timed(scale.read_parquet_rows, "read_sample")),
                   (scale, "reference_predictor", self.timed(scale.reference_predictor, "reference")),
                   (scale, "assign_batches", self.timed(scale.assign_batches, "assign"))]
        saved = [(obj, name, getattr(obj, name)) for obj, name, _ in patches]
        for obj, name, new in patches:
            setattr(obj, name, new)
        try:
            yield
        finally:
            for obj, name, old in saved:
                setattr(obj, name, old)
            for name in ("knn_graph", "reduce", "make_clusterer"):
                model.__dict__.pop(name, None)

    def report(self, total_of: list[str]) -> dict:
        """Seconds and peak RSS of the steps in ``total_of`` (in that order, summed as ``total``), then
        the steps kept out of the total (import, warm-up)."""
        order = total_of + [k for k in self.seconds if k not in total_of]
        sec = {k: round(self.seconds[k], 2) for k in order if k in self.seconds}
        sec["total"] = round(sum(self.seconds.get(k, 0.0) for k in total_of), 2)
        self.process_peak_mb = max(self.process_peak_mb, _hwm_mb())
        return {"seconds": sec, "peak_rss_mb_per_step": {k: round(self.peak_mb[k]) for k in order if k in self.peak_mb},
                "peak_rss_mb": round(self.process_peak_mb)}


# ------------------------------------------------------------------ child workers
FIT_STEPS = ["reduce", "select", "cluster", "keywords", "hierarchy", "other"]


def make_model(knn: str, n_fit: int):
    """Project defaults (``TopicsParams()``); ``knn`` picks UMAP's neighbour graph: ``auto`` (the library's
    choice: exact up to 40k rows, else UMAP's NN-descent), ``exact`` or ``nndescent``."""
    from topicstance.params import TopicsParams
    from topicstance.topics.components import EXACT_KNN_MAX_N, UMAPReducer
    from topicstance.topics.model import TopicModel

    p = TopicsParams()
    if knn == "auto":
        return TopicModel.from_params(p), ("exact" if n_fit <= EXACT_KNN_MAX_N else "nndescent")
    r = UMAPReducer(n_neighbors=p.n_neighbors, n_components=p.n_components, min_dist=p.min_dist, metric=p.metric,
                    random_state=p.random_state, exact_knn_max_n=(10**9 if knn == "exact" else 0))
    return TopicModel.from_params(p, reducer=r), knn


def umap_settings(model, graph: str) -> dict:
    return {"n_neighbors": model.n_neighbors, "n_components": model.n_components, "min_dist": model.min_dist,
            "metric": model.metric, "n_epochs": 500 if model.n_samples_ <= 10_000 else 200,  # UMAP's default
            "low_memory": True,
            "knn_graph": graph, "random_state": model.random_state}


def warm_up(probe: Probe, X, texts, knn: str, graph: str) -> None:
    """Fit once on WARM_N rows so numba's JIT cache is loaded before timing (same kNN path as the run)."""
    with probe.step("warmup_excluded"):
        m, _ = make_model(knn if knn != "auto" else graph, WARM_N)
        m.fit(texts[:WARM_N], np.asarray(X[:WARM_N]))


def ari_report(truth: np.ndarray, topic: np.ndarray, raw: np.ndarray | None = None) -> dict:
    from sklearn.metrics import adjusted_rand_score

    keep = truth != -1
    out = {"all_points": round(float(adjusted_rand_score(truth, topic)), 4),
           "non_noise_points": round(float(adjusted_rand_score(truth[keep], topic[keep])), 4),
           "note": "topics after outlier reassignment; all_points counts true noise as one label (-1) and "
                   "predicted outliers as one label (-1); non_noise_points drops the true noise points",
           "true_noise_predicted_outlier": round(float((topic[~keep] == -1).mean()), 4),
           "clustered_predicted_outlier": round(float((topic[keep] == -1).mean()), 4)}
    if raw is not None:
        out["all_points_raw_hdbscan"] = round(float(adjusted_rand_score(truth, raw)), 4)
    return out


def read_truth(spec: Spec) -> np.ndarray:
    import pyarrow.parquet as pq

    return pq.read_table(spec.dir / "chunks.parquet", columns=["label"]).column(0).to_numpy()


def full_labels_path(spec: Spec, knn: str) -> Path:
    return spec.dir / f"labels_fit_all_knn-{knn}.npy"


def worker_full(spec: Spec, knn: str) -> dict:
    """Fit on all rows, steps timed; then stability on a 10k subsample (outside the budget)."""
    import topicstance  # noqa: F401
    from topicstance.topics import metrics as met
    from topicstance.topics.scale import read_parquet_rows, release_pages

    probe = Probe()
    with probe.step("import_excluded"):
        import hdbscan  # noqa: F401
        import umap  # noqa: F401
    with probe.step("read"):
        mm = np.load(spec.dir / "embeddings.npy", mmap_mode="r")
        X = np.array(mm)
        release_pages(mm)
        texts = read_parquet_rows(spec.dir / "chunks.parquet", np.arange(spec.n))
    model, graph = make_model(knn, spec.n)
    warm_up(probe, X, texts, knn, graph)
    t = time.perf_counter()
    with probe.fit_steps(model):
        model.fit(texts, X)
    probe.seconds["other"] = time.perf_counter() - t - sum(probe.seconds.get(k, 0.0) for k in FIT_STEPS[:-1])
    budget = probe.report(["read"] + FIT_STEPS)
    truth = read_truth(spec)
    np.save(full_labels_path(spec, knn), model.labels_)
    res = {"mode": "fit_all", "n_chunks": spec.n, **budget,
           "ari": ari_report(truth, model.labels_, model.labels_raw_),
           "n_topics": int(model.n_topics_), "n_true_clusters": spec.n_clusters,
           "min_cluster_size": int(model.min_cluster_size_),
           "outlier_share_raw": round(float((model.labels_raw_ == -1).mean()), 4),
           "outlier_share": round(float((model.labels_ == -1).mean()), 4),
           "umap": umap_settings(model, graph), "example_labels": [model.topic_labels_[int(i)] for i in model.topic_ids_[:5]]}
    with probe.step("stability"):
        st = met.stability(model, X)
    res["stability_outside_budget"] = {**{k: st[k] for k in ("ari_seeds_mean", "ari_seeds_min", "ari_seeds_pairs",
                                                            "seeds", "n_chunks_measured", "n_topics_per_seed")},
                                       "seconds": round(probe.seconds["stability"], 1),
                                       "peak_rss_mb": round(probe.peak_mb["stability"]),
                                       "method": "topicstance.topics.metrics.stability: UMAP + HDBSCAN per seed "
                                                 "on a random 10k subsample (exact kNN graph), min_cluster_size "
                                                 "scaled to it, pairwise ARI of the topics"}
    return res


def sample_fit(spec: Spec, knn: str, sample: int, reference: int, batch: int, out: Path, probe: Probe):
    from topicstance.topics.scale import fit_sample_assign, read_parquet_rows

    X = np.load(spec.dir / "embeddings.npy", mmap_mode="r")
    model, graph = make_model(knn, min(sample, spec.n))
    warm_up(probe, X, read_parquet_rows(spec.dir / "chunks.parquet", np.arange(WARM_N)), knn, graph)
    t = time.perf_counter()
    with probe.fit_steps(model):
        r = fit_sample_assign(model, X, spec.dir / "chunks.parquet", out, sample_size=sample,
                              reference_size=reference, batch_size=batch, seed=spec.seed)
    wall = time.perf_counter() - t
    probe.seconds["read_sample"] = r.seconds["read_sample"]  # the embeddings of the sample, then their texts
    probe.seconds["other"] = r.seconds["fit"] - sum(probe.seconds.get(k, 0.0) for k in FIT_STEPS[:-1])
    return r, graph, wall


def worker_sampled(spec: Spec, knn: str, sample: int, reference: int, batch: int) -> dict:
    import pyarrow.parquet as pq

    import topicstance  # noqa: F401

    probe = Probe()
    with probe.step("import_excluded"):
        import hdbscan  # noqa: F401
        import umap  # noqa: F401
    out = spec.dir / f"assign_s{sample}_r{reference}_knn-{knn}.parquet"
    r, graph, wall = sample_fit(spec, knn, sample, reference, batch, out, probe)
    steps = ["read_sample"] + FIT_STEPS + ["reference", "assign"]
    budget = probe.report(steps)
    budget["seconds"]["wall_fit_sample_assign"] = round(wall, 2)
    topic = pq.read_table(out, columns=["topic"]).column(0).to_numpy()
    m = r.model
    return {"mode": "fit_sample_assign", "n_chunks": spec.n, "sample_size": int(len(r.sample_rows)),
            "reference_size": r.reference_size, "batch_size": batch,
            "reference_note": f"rows outside the sample take the kNN vote (k={m.knn_k}) among {r.reference_size} of "
                              f"the {len(r.sample_rows)} fitted rows (every topic keeps at least k), not all of them: "
                              "exact kNN time grows with the reference size",
            **budget, "ari": ari_report(read_truth(spec), topic),
            "ari_fitted_sample_only": ari_report(read_truth(spec)[r.sample_rows], m.labels_, m.labels_raw_),
            "n_topics": int(m.n_topics_), "n_true_clusters": spec.n_clusters,
            "min_cluster_size": int(m.min_cluster_size_), "outlier_share": round(float((topic == -1).mean()), 4),
            "umap": umap_settings(m, graph), "output": str(out.relative_to(ROOT))}


def worker_svf(spec: Spec, knn: str, sample: int, reference: int, batch: int) -> dict:
    import pyarrow.parquet as pq
    from sklearn.metrics import adjusted_rand_score

    import topicstance  # noqa: F401

    full_p = full_labels_path(spec, knn)
    note = "fit on all rows from the first-size configuration"
    if not full_p.exists():
        worker_full_labels(spec, knn)
        note = "fit on all rows computed in this run (the first-size configuration had not been run)"
    full = np.load(full_p)
    probe = Probe()
    out = spec.dir / f"assign_s{sample}_r{reference}_knn-{knn}.parquet"
    r, graph, _ = sample_fit(spec, knn, sample, reference, batch, out, probe)
    part = pq.read_table(out, columns=["topic"]).column(0).to_numpy()
    truth = read_truth(spec)
    rest = np.setdiff1d(np.arange(spec.n), r.sample_rows)
    return {"mode": "sample_vs_full", "n_chunks": spec.n, "sample_size": int(len(r.sample_rows)),
            "reference_size": r.reference_size,
            "ari_sample_vs_full": round(float(adjusted_rand_score(full, part)), 4),
            "ari_sample_vs_full_assigned_rows_only": round(float(adjusted_rand_score(full[rest], part[rest])), 4),
            "ari_vs_truth": {"fit_all": ari_report(truth, full), "fit_sample_assign": ari_report(truth, part)},
            "n_topics": {"fit_all": int(np.unique(full[full >= 0]).size), "fit_sample": int(r.model.n_topics_)},
            "seconds_fit_sample_assign": probe.report(["read_sample"] + FIT_STEPS + ["reference", "assign"])["seconds"],
            "full_labels": note}


def worker_full_labels(spec: Spec, knn: str) -> None:
    from topicstance.topics.scale import read_parquet_rows

    X = np.ascontiguousarray(np.load(spec.dir / "embeddings.npy", mmap_mode="r"))
    model, _ = make_model(knn, spec.n)
    model.fit(read_parquet_rows(spec.dir / "chunks.parquet", np.arange(spec.n)), X)
    np.save(full_labels_path(spec, knn), model.labels_)


# ------------------------------------------------------------------ main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000",
                    help="FIRST[,SECOND]: FIRST for 100k and sample_vs_full, SECOND for 1m (default 100000,1000000)")
    ap.add_argument("--only", default="100k,1m,sample_vs_full", help="comma list of 100k, 1m, sample_vs_full")
    ap.add_argument("--force", action="store_true", help="re-run finished configurations")
    ap.add_argument("--sample", type=int, default=100_000, help="rows fitted in the 1m configuration")
    ap.add_argument("--svf-sample", type=int, default=10_000, help="rows fitted in sample_vs_full")
    ap.add_argument("--reference", type=int, default=20_000, help="fitted rows the kNN predictor votes among")
    ap.add_argument("--batch", type=int, default=20_000, help="rows per assignment batch")
    ap.add_argument("--knn", choices=["auto", "exact", "nndescent"], default="auto", help="UMAP neighbour graph")
    ap.add_argument("--n-clusters", type=int, default=100)
    ap.add_argument("--zipf", type=float, default=1.0)
    ap.add_argument("--noise", type=float, default=0.10)
    ap.add_argument("--separation", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    sizes = [int(s) for s in a.sizes.split(",") if s.strip()]
    if a.worker:
        kind, n = a.worker.split(":")
        spec = Spec(int(n), a.n_clusters, a.zipf, a.noise, a.separation, seed=a.seed)
        res = worker_full(spec, a.knn) if kind == "100k" else \
            worker_sampled(spec, a.knn, a.sample, a.reference, a.batch) if kind == "1m" else \
            worker_svf(spec, a.knn, a.svf_sample, a.reference, a.batch)
        print(json.dumps(res, default=float))
        return 0
    only = {s.strip() for s in a.only.split(",")}
    if only - {"100k", "1m", "sample_vs_full"}:
        sys.exit(f"--only: unknown {sorted(only - {'100k', '1m', 'sample_vs_full'})}")
    if len(sizes) not in (1, 2) or (len(sizes) == 2 and sizes[0] == sizes[1]):
        sys.exit("--sizes: one or two different sizes")
    plan = []
    if "100k" in only:
        plan.append(("100k", sizes[0], label(sizes[0]), {}))
    if "1m" in only and len(sizes) == 2:
        plan.append(("1m", sizes[1], label(sizes[1]), {"sample": a.sample, "reference": a.reference, "batch": a.batch}))
    if "sample_vs_full" in only:
        plan.append(("sample_vs_full", sizes[0], f"sample_vs_full_{label(sizes[0])}",
                     {"sample": a.svf_sample, "reference": a.reference, "batch": a.batch}))
    results = load_results(RESULTS)
    results.setdefault("runs", {})
    results.setdefault("corpora", {})
    for kind, n, key, extra in plan:
        spec = Spec(n, a.n_clusters, a.zipf, a.noise, a.separation, seed=a.seed)
        config = {**asdict(spec), "knn": a.knn, **extra}
        old = results["runs"].get(key)
        if old and old.get("config") == config and not a.force:
            print(f"{key}: done ({old['seconds'].get('total') if 'seconds' in old else ''}); --force to re-run",
                  file=sys.stderr)
            continue
        if not (spec.dir / "corpus.json").exists():
            print(f"{key}: building the corpus of {n} chunks", file=sys.stderr, flush=True)
        corpus = build_corpus(spec)
        results["pool"] = json.loads((CACHE / "pool" / "pool.json").read_text())
        results["corpora"][label(n)] = corpus
        print(f"{key}: running", file=sys.stderr, flush=True)
        args = ["--worker", f"{kind}:{n}", "--knn", a.knn, "--n-clusters", str(a.n_clusters), "--zipf", str(a.zipf),
                "--noise", str(a.noise), "--separation", str(a.separation), "--seed", str(a.seed)]
        if kind == "1m":
            args += ["--sample", str(a.sample), "--reference", str(a.reference), "--batch", str(a.batch)]
        if kind == "sample_vs_full":
            args += ["--svf-sample", str(a.svf_sample), "--reference", str(a.reference), "--batch", str(a.batch)]
        t = time.perf_counter()
        res = run_child(__file__, args)
        res.update(config=config, child_wall_seconds=round(time.perf_counter() - t, 1), machine=machine(),
                   date=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                   command=" ".join(["python bench/scale.py", f"--sizes {a.sizes}", f"--only {kind}", *args[2:]]))
        results["runs"][key] = res
        save_results(RESULTS, results)
        print(f"{key}: " + json.dumps({k: res.get(k) for k in ("seconds", "peak_rss_mb", "ari", "ari_sample_vs_full")
                                       if k in res}), file=sys.stderr, flush=True)
    print(f"wrote reports/bench/{RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
