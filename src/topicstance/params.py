"""``params.yaml``: one section per pipeline stage, each loaded into a dataclass.

Unknown keys and out-of-range values raise :class:`ParamsError` naming the
parameter (``ingest.max_chars``). The dataclass defaults are the one source of
defaults: the CLI's, and the constructor defaults of the estimators
(``StanceClassifier``, ``TopicModel``, ``Embedder``); a test checks that the
committed ``params.yaml`` holds the same values.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import yaml

from .errors import ParamsError
from .stance import ARTICLE_RULES, CLASS_WEIGHTS, HASHTAG_MODES, METHODS


def _check(cond: bool, name: str, msg: str) -> None:
    if not cond:
        raise ParamsError(f"parameter {name}: {msg}")


def check_block_weights(obj) -> None:
    """``stance.target_weight`` and ``stance.embedding_weight`` of ``obj`` (params or classifier): numbers > 0."""
    for name in ("target_weight", "embedding_weight"):
        v = getattr(obj, name)
        _check(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0, f"stance.{name}",
               f"must be a number > 0, got {v!r}")


def _or(choices) -> str:
    return ", ".join(choices[:-1]) + " or " + choices[-1]


@dataclass(frozen=True)
class IngestParams:
    max_chars: int = 200_000
    dedup_threshold: float = 0.8
    shingle_size: int = 5
    num_perm: int = 128
    split_pages: bool = True
    clean_boilerplate: bool = True
    min_article_chars: int = 40
    min_table_row_chars: int = 1
    date_order: str = "auto"
    outlet_column: str = "outlet"
    text_column: str = "text"
    id_column: str = "id"
    date_column: str = "date"

    @property
    def columns(self) -> dict[str, str]:
        """The column map of a table input (topicstance.tables): canonical name -> the table's own."""
        return {"text": self.text_column, "id": self.id_column, "date": self.date_column}

    def __post_init__(self):
        _check(self.max_chars > 0, "ingest.max_chars", f"must be > 0, got {self.max_chars}")
        _check(0.0 < self.dedup_threshold <= 1.0, "ingest.dedup_threshold",
               f"must be in (0, 1], got {self.dedup_threshold}")
        _check(self.shingle_size >= 1, "ingest.shingle_size", f"must be >= 1, got {self.shingle_size}")
        _check(16 <= self.num_perm <= 1024, "ingest.num_perm", f"must be in [16, 1024], got {self.num_perm}")
        _check(self.min_article_chars >= 0, "ingest.min_article_chars",
               f"must be >= 0, got {self.min_article_chars}")
        _check(self.min_table_row_chars >= 1, "ingest.min_table_row_chars",
               f"must be >= 1 (empty rows are always skipped), got {self.min_table_row_chars}")
        _check(self.date_order in ("auto", "dmy", "mdy"), "ingest.date_order",
               f"must be auto, dmy or mdy, got {self.date_order!r}")
        _check(isinstance(self.outlet_column, str) and bool(self.outlet_column.strip()), "ingest.outlet_column",
               f"must be a column name, got {self.outlet_column!r}")
        for name in ("text_column", "id_column", "date_column"):
            v = getattr(self, name)
            _check(isinstance(v, str) and v.strip() != "", f"ingest.{name}", f"must be a column name, got {v!r}")


@dataclass(frozen=True)
class ChunkParams:
    max_tokens: int = 128
    overlap_sentences: int = 1

    def __post_init__(self):
        _check(self.max_tokens >= 8, "chunk.max_tokens", f"must be >= 8, got {self.max_tokens}")
        _check(self.overlap_sentences >= 0, "chunk.overlap_sentences",
               f"must be >= 0, got {self.overlap_sentences}")


@dataclass(frozen=True)
class EmbedParams:
    model: str = "all-MiniLM-L6-v2"
    precision: str = "auto"
    batch_size: int = 32
    cache_dir: str = ".cache/embeddings"
    engine: str = "local"
    workers: int = 2
    parity_min_cosine: float = 0.995
    parity_sample: int = 32
    device: str = "auto"

    def __post_init__(self):
        _check(self.precision in ("auto", "float32", "bfloat16"), "embed.precision",
               f"must be auto, float32 or bfloat16, got {self.precision!r}")
        _check(self.batch_size >= 1, "embed.batch_size", f"must be >= 1, got {self.batch_size}")
        _check(self.engine in ("local", "dask"), "embed.engine",
               f"must be local or dask, got {self.engine!r}")
        _check(self.workers >= 1, "embed.workers", f"must be >= 1, got {self.workers}")
        _check(0.0 < self.parity_min_cosine <= 1.0, "embed.parity_min_cosine",
               f"must be in (0, 1], got {self.parity_min_cosine}")
        _check(self.parity_sample >= 1, "embed.parity_sample", f"must be >= 1, got {self.parity_sample}")
        _check(self.device in ("auto", "cpu", "cuda"), "embed.device",
               f"must be auto, cpu or cuda, got {self.device!r}")


@dataclass(frozen=True)
class TopicsParams:
    """The ``topics`` stage (see topicstance.topics.selection). ``unit: article`` (default) makes
    the article the unit when the fit knows each chunk's article (the stage always does): the
    reducer is fitted on one vector per article and chunks are placed on that map,
    ``min_cluster_size`` and its candidates count articles (scaled to chunks by the corpus's
    mean chunks per article), and the silhouette is scored per article; ``unit: chunk`` treats
    every chunk as a document. ``min_cluster_size: auto`` picks
    a candidate by ``selection``: ``silhouette`` (highest cosine silhouette of the topics in
    embedding space, one UMAP run), or a stability ARI (``resample``: re-cluster 80% resamples;
    ``seeds``: a UMAP run per stability seed) where the smallest candidate within
    ``selection_tolerance`` of the best wins. ``stability_seeds`` also give the reported
    seed-stability metric; a seed equal to ``random_state`` reuses the model's own run."""

    random_state: int = 42
    n_neighbors: int = 15
    n_components: int = 5
    min_dist: float = 0.0
    metric: str = "cosine"
    n_epochs: Union[int, None] = 200
    min_cluster_size: Union[int, str] = "auto"
    min_cluster_size_candidates: tuple = (3, 5, 8, 12, 20, 30, 50, 80, 130, 200)
    unit: str = "article"
    min_samples: Union[int, None] = None
    selection: str = "silhouette"
    selection_tolerance: float = 0.02
    outlier_threshold: float = 0.2
    top_n_words: int = 10
    n_representative: int = 3
    label_words: int = 3
    stability_seeds: tuple = (42, 43, 44)
    stability_max_n: int = 10_000
    knn_k: int = 15
    id_match_min_cosine: float = 0.7
    time_period: str = "month"
    map_max_n: int = 20_000
    fit_max_n: int = 100_000
    assign_reference_n: int = 20_000
    overrides: str = "topic_overrides.yaml"

    def __post_init__(self):
        object.__setattr__(self, "min_cluster_size_candidates", tuple(self.min_cluster_size_candidates))
        object.__setattr__(self, "stability_seeds", tuple(self.stability_seeds))
        _check(self.n_neighbors >= 2, "topics.n_neighbors", f"must be >= 2, got {self.n_neighbors}")
        _check(self.n_components >= 1, "topics.n_components", f"must be >= 1, got {self.n_components}")
        _check(self.map_max_n >= 100, "topics.map_max_n", f"must be >= 100, got {self.map_max_n}")
        _check(isinstance(self.fit_max_n, int) and self.fit_max_n >= 100, "topics.fit_max_n",
               f"must be an integer >= 100, got {self.fit_max_n!r}")
        _check(isinstance(self.assign_reference_n, int) and self.assign_reference_n >= 100,
               "topics.assign_reference_n", f"must be an integer >= 100, got {self.assign_reference_n!r}")
        _check(self.n_epochs is None or (isinstance(self.n_epochs, int) and self.n_epochs >= 10),
               "topics.n_epochs", f"must be null (UMAP's own default) or an integer >= 10, got {self.n_epochs!r}")
        _check(0.0 <= self.min_dist <= 1.0, "topics.min_dist", f"must be in [0, 1], got {self.min_dist}")
        _check(self.metric == "cosine", "topics.metric",
               f"must be cosine (embeddings are unit vectors compared by cosine), got {self.metric!r}")
        mcs = self.min_cluster_size
        _check(mcs == "auto" or (isinstance(mcs, int) and not isinstance(mcs, bool) and mcs >= 2),
               "topics.min_cluster_size", f"must be 'auto' or an integer >= 2, got {mcs!r}")
        _check(len(self.min_cluster_size_candidates) > 0
               and all(isinstance(c, int) and not isinstance(c, bool) and c >= 2
                       for c in self.min_cluster_size_candidates),
               "topics.min_cluster_size_candidates", "must be a non-empty list of integers >= 2")
        _check(self.unit in ("article", "chunk"), "topics.unit",
               f"must be article or chunk, got {self.unit!r}")
        _check(self.min_samples is None or (isinstance(self.min_samples, int) and self.min_samples >= 1),
               "topics.min_samples", f"must be null or an integer >= 1, got {self.min_samples!r}")
        _check(self.selection in ("silhouette", "resample", "seeds"), "topics.selection",
               f"must be silhouette, resample or seeds, got {self.selection!r}")
        _check(0.0 <= self.selection_tolerance <= 1.0, "topics.selection_tolerance",
               f"must be in [0, 1], got {self.selection_tolerance}")
        _check(-1.0 <= self.outlier_threshold <= 1.0, "topics.outlier_threshold",
               f"must be a cosine similarity in [-1, 1], got {self.outlier_threshold}")
        _check(self.top_n_words >= 1, "topics.top_n_words", f"must be >= 1, got {self.top_n_words}")
        _check(self.n_representative >= 1, "topics.n_representative",
               f"must be >= 1, got {self.n_representative}")
        _check(self.label_words >= 1, "topics.label_words", f"must be >= 1, got {self.label_words}")
        _check(len(self.stability_seeds) >= 2 and all(isinstance(s, int) for s in self.stability_seeds)
               and len(set(self.stability_seeds)) == len(self.stability_seeds),
               "topics.stability_seeds", f"must be two or more distinct integers, got {list(self.stability_seeds)}")
        _check(self.stability_max_n >= 100, "topics.stability_max_n",
               f"must be >= 100, got {self.stability_max_n}")
        _check(self.knn_k >= 1, "topics.knn_k", f"must be >= 1, got {self.knn_k}")
        _check(-1.0 <= self.id_match_min_cosine <= 1.0, "topics.id_match_min_cosine",
               f"must be a cosine similarity in [-1, 1], got {self.id_match_min_cosine}")
        _check(self.time_period in ("day", "week", "month", "quarter", "year"), "topics.time_period",
               f"must be day, week, month, quarter or year, got {self.time_period!r}")


@dataclass(frozen=True)
class StanceParams:
    """The stance classifier (docs/stance.md). ``method`` default chosen on the SemEval-2016 benchmark."""
    targets: tuple = ("Russia", "Ukraine")
    method: str = "hybrid"
    model: Union[str, list] = "all-MiniLM-L6-v2"
    labels: str = "seeds/labels/stance.csv"
    test_split: Union[str, dict] = field(default_factory=lambda: {
        "seed": "seeds/labels/test_split.txt",
        "propaganda_diary": "seeds/labels/test_split_propaganda_diary.txt",
        "press_releases": "seeds/labels/test_split_press_releases.txt"})
    test_fraction: float = 0.25
    C: Union[float, str] = "auto"
    class_weight: str = "balanced-per-target"
    target_weight: float = 2.0
    embedding_weight: float = 0.5
    cv_folds: int = 5
    cv_repeats: int = 1
    n_bootstrap: int = 1000
    learning_curve_k: tuple = (8, 16, 32, 64, 100)
    random_state: int = 42
    setfit_max_steps: int = 200
    setfit_batch_size: int = 16
    article_rule: str = "max-evidence"
    mask_targets: bool = False
    hashtags: str = "split"
    aliases: dict = field(default_factory=lambda: {
        "Russia": ["Russian", "Russian Federation", "Moscow", "Kremlin", "Putin", "Lavrov", "Peskov", "Shoigu"],
        "Ukraine": ["Ukrainian", "Kyiv", "Kiev", "Zelensky", "Zelenskyy", "Zelenskiy", "Kuleba"]})

    def __post_init__(self):
        object.__setattr__(self, "targets", tuple(self.targets))
        _check(isinstance(self.aliases, dict) and all(
            isinstance(v, (list, tuple)) and all(isinstance(w, str) and w.strip() for w in v)
            for v in self.aliases.values()), "stance.aliases",
            "must map each target to a list of non-empty words, e.g. {Russia: [Moscow, Kremlin]}")
        object.__setattr__(self, "aliases", {str(k): [str(w) for w in v] for k, v in self.aliases.items()})
        _check(isinstance(self.mask_targets, bool), "stance.mask_targets", f"must be true or false, got {self.mask_targets!r}")
        _check(self.hashtags in HASHTAG_MODES, "stance.hashtags", f"must be {_or(HASHTAG_MODES)}, got {self.hashtags!r}")
        object.__setattr__(self, "learning_curve_k", tuple(self.learning_curve_k))
        _check(isinstance(self.model, str) and self.model.strip() or isinstance(self.model, (list, tuple))
               and len(self.model) > 0 and all(isinstance(m, str) and m.strip() for m in self.model),
               "stance.model", "must be a sentence model name (e.g. all-MiniLM-L6-v2) or a list of names whose "
               f"vectors are used side by side, got {self.model!r}")
        if not isinstance(self.model, str):
            object.__setattr__(self, "model", list(self.model) if len(self.model) > 1 else str(self.model[0]))
        _check(isinstance(self.test_split, str) and self.test_split.strip()
               or isinstance(self.test_split, dict) and self.test_split and all(
                   isinstance(k, str) and k.strip() and isinstance(v, str) and v.strip()
                   for k, v in self.test_split.items()), "stance.test_split",
               "must be a file of test unit ids, or a mapping from split name to such a file "
               "(e.g. {seed: seeds/labels/test_split.txt})")
        _check(len(self.targets) > 0 and all(isinstance(t, str) and t.strip() for t in self.targets),
               "stance.targets", "must name at least one target, each a non-empty string")
        _check(self.method in METHODS, "stance.method", f"must be {_or(METHODS)}, got {self.method!r}")
        _check(0.0 < self.test_fraction < 1.0, "stance.test_fraction",
               f"must be in (0, 1), got {self.test_fraction}")
        _check(self.C == "auto" or (isinstance(self.C, (int, float)) and not isinstance(self.C, bool)
                                    and self.C > 0), "stance.C", f"must be 'auto' or > 0, got {self.C!r}")
        _check(self.class_weight in CLASS_WEIGHTS, "stance.class_weight",
               f"must be {_or(CLASS_WEIGHTS)}, got {self.class_weight!r}")
        check_block_weights(self)
        _check(self.cv_folds >= 2, "stance.cv_folds", f"must be >= 2, got {self.cv_folds}")
        _check(self.cv_repeats >= 1, "stance.cv_repeats", f"must be >= 1, got {self.cv_repeats}")
        _check(self.n_bootstrap >= 100, "stance.n_bootstrap", f"must be >= 100, got {self.n_bootstrap}")
        _check(len(self.learning_curve_k) > 0 and all(isinstance(k, int) and k >= 1 for k in self.learning_curve_k),
               "stance.learning_curve_k", "must be a non-empty list of integers >= 1")
        _check(self.setfit_max_steps >= 1, "stance.setfit_max_steps",
               f"must be >= 1, got {self.setfit_max_steps}")
        _check(self.setfit_batch_size >= 2, "stance.setfit_batch_size",
               f"must be >= 2, got {self.setfit_batch_size}")
        _check(self.article_rule in ARTICLE_RULES, "stance.article_rule",
               f"must be {_or(ARTICLE_RULES)}, got {self.article_rule!r}")


def test_split_files(test_split: Union[str, dict]) -> dict[str, str]:
    """``stance.test_split`` as {split name: file}; a single file is the split named ``test``."""
    return {"test": test_split} if isinstance(test_split, str) else {str(k): str(v) for k, v in test_split.items()}


@dataclass(frozen=True)
class PrevalenceParams:
    """Stance shares per group, corrected for classifier error (``stance shares``; docs/stance.md)."""
    method: str = "kdey"
    solver: str = "simplex"
    n_bootstrap: int = 1000
    level: float = 0.95
    min_units: int = 20
    max_condition: float = 10.0
    tolerance: float = 0.02
    sources: tuple = ("seed",)
    prior_rows: float = 10.0
    bandwidth: float = 0.25
    kde_space: str = "logratio"
    resample: str = "article"
    by: tuple = ("all", "topic", "source", "period")
    random_state: int = 42

    def __post_init__(self):
        object.__setattr__(self, "by", tuple(self.by))
        _check(not isinstance(self.sources, str) and all(isinstance(v, str) and v.strip() for v in self.sources),
               "prevalence.sources", f"must be a list of labelled source names (empty: all), got {self.sources!r}")
        object.__setattr__(self, "sources", tuple(self.sources))
        _check(isinstance(self.prior_rows, (int, float)) and not isinstance(self.prior_rows, bool)
               and self.prior_rows >= 0, "prevalence.prior_rows", f"must be a number >= 0, got {self.prior_rows!r}")
        _check(self.method in ("acc", "pacc", "kdey"), "prevalence.method",
               f"must be acc, pacc or kdey, got {self.method!r}")
        _check(isinstance(self.bandwidth, (int, float)) and not isinstance(self.bandwidth, bool)
               and 0 < self.bandwidth <= 10, "prevalence.bandwidth", f"must be in (0, 10], got {self.bandwidth!r}")
        _check(self.kde_space in ("logratio", "simplex"), "prevalence.kde_space",
               f"must be logratio or simplex, got {self.kde_space!r}")
        _check(self.solver in ("simplex", "clip"), "prevalence.solver",
               f"must be simplex or clip, got {self.solver!r}")
        _check(isinstance(self.n_bootstrap, int) and self.n_bootstrap >= 100, "prevalence.n_bootstrap",
               f"must be an integer >= 100, got {self.n_bootstrap!r}")
        _check(0.5 <= self.level < 1, "prevalence.level", f"must be in [0.5, 1), got {self.level}")
        _check(isinstance(self.min_units, int) and self.min_units >= 1, "prevalence.min_units",
               f"must be an integer >= 1, got {self.min_units!r}")
        _check(self.max_condition >= 1, "prevalence.max_condition", f"must be >= 1, got {self.max_condition}")
        _check(0 <= self.tolerance < 0.5, "prevalence.tolerance", f"must be in [0, 0.5), got {self.tolerance}")
        _check(self.resample in ("article", "chunk"), "prevalence.resample",
               f"must be article or chunk, got {self.resample!r}")
        _check(len(self.by) > 0 and all(isinstance(b, str) and b.strip() for b in self.by), "prevalence.by",
               "must be a non-empty list of column names (or all)")


@dataclass(frozen=True)
class ReportParams:
    map_random_state: int = 42
    max_points: int = 20_000
    excerpt_chars: int = 300
    dpi: int = 150
    finer_topics: Union[int, str] = "auto"

    def __post_init__(self):
        _check(self.finer_topics == "auto" or (isinstance(self.finer_topics, int) and not isinstance(
            self.finer_topics, bool) and self.finer_topics >= 1), "report.finer_topics",
               f"must be 'auto' or an integer >= 1, got {self.finer_topics!r}")
        _check(self.max_points >= 10, "report.max_points", f"must be >= 10, got {self.max_points}")
        _check(self.excerpt_chars >= 20, "report.excerpt_chars", f"must be >= 20, got {self.excerpt_chars}")
        _check(50 <= self.dpi <= 600, "report.dpi", f"must be in [50, 600], got {self.dpi}")


SECTIONS: dict[str, type] = {
    "ingest": IngestParams,
    "chunk": ChunkParams,
    "embed": EmbedParams,
    "topics": TopicsParams,
    "stance": StanceParams,
    "prevalence": PrevalenceParams,
    "report": ReportParams,
}


@dataclass(frozen=True)
class Params:
    ingest: IngestParams = field(default_factory=IngestParams)
    chunk: ChunkParams = field(default_factory=ChunkParams)
    embed: EmbedParams = field(default_factory=EmbedParams)
    topics: TopicsParams = field(default_factory=TopicsParams)
    stance: StanceParams = field(default_factory=StanceParams)
    prevalence: PrevalenceParams = field(default_factory=PrevalenceParams)
    report: ReportParams = field(default_factory=ReportParams)


def section_from_dict(name: str, raw: Any, where: str = "params.yaml"):
    """Build one section's dataclass, rejecting unknown keys by name."""
    cls = SECTIONS[name]
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ParamsError(f"{where}: section {name!r} must be a mapping, got {type(raw).__name__}")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ParamsError(
            f"{where}: unknown parameter {name}.{unknown[0]} (known: {', '.join(sorted(known))})"
        )
    try:
        return cls(**raw)
    except TypeError as exc:  # pragma: no cover - guarded by the key check above
        raise ParamsError(f"{where}: section {name}: {exc}") from None


DEFAULT_FILE = "params.yaml"


def load_params(path: str | Path | None = None) -> Params:
    """Load a params file. ``path`` given: it must exist (a typo is an error, never silently the
    defaults). ``None``: ``./params.yaml`` when there is one, else the defaults."""
    if path is None:
        if not Path(DEFAULT_FILE).is_file():
            return Params()
        path = DEFAULT_FILE
    p = Path(path)
    if not p.is_file():
        raise ParamsError(f"{p}: params file not found")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ParamsError(f"{p}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{p}: top level must be a mapping of sections")
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ParamsError(f"{p}: unknown section {unknown[0]!r} (known: {', '.join(SECTIONS)})")
    return Params(**{name: section_from_dict(name, raw.get(name), str(p)) for name in SECTIONS})


def with_overrides(params: Params, section: str, **values) -> Params:
    """``params`` with some keys of one section replaced (a command-line option that overrides
    params.yaml); None values are left as they are, and the section is validated again."""
    values = {k: v for k, v in values.items() if v is not None}
    if not values:
        return params
    return dataclasses.replace(params, **{section: dataclasses.replace(getattr(params, section), **values)})


def to_dict(params: Params) -> dict:
    """Plain-YAML form (tuples become lists)."""
    def conv(v):
        if isinstance(v, tuple):
            return [conv(x) for x in v]
        return v

    return {name: {k: conv(v) for k, v in dataclasses.asdict(getattr(params, name)).items()}
            for name in SECTIONS}
