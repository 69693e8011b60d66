"""`StanceClassifier`: (text, target) -> FAVOR / AGAINST / NONE with probabilities.

A scikit-learn style estimator: ``__init__`` only stores its parameters,
``fit(texts, targets, labels)`` returns ``self``, learned state ends in ``_``,
and ``predict``/``predict_proba`` begin with ``check_is_fitted``. The columns
of ``predict_proba`` are ``classes_ == ("FAVOR", "AGAINST", "NONE")``.

Methods (``stance.method``):

``tfidf``
    word 1-3 + char 2-5-gram tf-idf, target-aware, logistic regression.
``embedding-lr``
    frozen sentence embeddings (all-MiniLM-L6-v2), target-aware, logistic regression.
``hybrid``
    both feature sets in one target-aware logistic regression (feature fusion).
``hybrid-pair``
    ``hybrid`` plus the frozen embedding of the target and the text encoded together
    (``"TARGET: text"``), one more vector per (text, target) row.
``setfit``
    SetFit contrastive fine-tuning of the body (from the local model folder,
    ``setfit_max_steps`` steps), then a target-aware logistic-regression head on
    the fine-tuned embeddings.
``ensemble``
    ``hybrid`` and ``setfit`` together: the normalised geometric mean of their
    probabilities.

"Target-aware" is explained in :mod:`.targets`; a target unseen in training
falls back to the shared weights. ``target_weight`` scales the per-target blocks
against the shared one, ``embedding_weight`` the sentence-embedding features
against the n-gram block (whose rows have unit norm, like a sentence embedding):
under one L2 penalty each is a relative regularisation strength.

With ``mask_targets`` (off by default) every text is first rewritten relative to its target (:mod:`.mask`: mentions of the
target and its ``aliases`` become TARGET, other targets' become OTHER), so what
is learnt about one target carries over to the others.

With ``hashtags="split"`` (the default) the sentence encoder reads hashtags
written out as words (``#WakeUpAmerica`` -> ``Wake Up America``, :mod:`.hashtags`);
the n-grams keep the text as written.

Class weighting: ``balanced`` reweights each class by n / (3 * n_class) over
all rows; ``balanced-per-target`` does it within each target, so a stance that
is rare toward one target (AGAINST Ukraine in Western news) weighs as much as
the common ones: the choice for a model judged on balanced data.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from ..errors import InputError, ModelFileError, ParamsError
from ..params import EmbedParams, StanceParams, check_block_weights
from . import CLASS_WEIGHTS, CLASSES, HASHTAG_MODES, METHODS
from .hashtags import encoder_texts
from .head import LinearHead
from .labels import unit_id
from .ngrams import NgramFeatures
from .targets import TargetBlocks

# component name -> the feature sets it reads
COMPONENT_FEATURES = {"tfidf": ("ngrams",), "embedding-lr": ("frozen",), "hybrid": ("ngrams", "frozen"),
                      "hybrid-pair": ("ngrams", "frozen", "pair"), "setfit": ("tuned",)}
METHOD_COMPONENTS = {"tfidf": ("tfidf",), "embedding-lr": ("embedding-lr",), "hybrid": ("hybrid",),
                     "hybrid-pair": ("hybrid-pair",), "setfit": ("setfit",), "ensemble": ("hybrid", "setfit")}
# Inverse regularisation used when C == "auto": chosen per component by cross-validation, never on
# a test split (docs/stance.md). hybrid: 1 with the default block weights (target_weight 2,
# embedding_weight 0.5; 2026-12-03, bench/stance_methods.py: grouped 5-fold CV on the project train
# split 0.715 macro-F1, SemEval val F_avg 0.761, against 0.697 / 0.724 for weights 1, 1 at C=3, the
# default before); the others from 4-fold CV on the SemEval-2016 training split.
AUTO_C = {"tfidf": 0.3, "embedding-lr": 3.0, "hybrid": 1.0, "hybrid-pair": 1.0, "setfit": 1.0}
_S, _E = StanceParams(), EmbedParams()  # the one source of defaults
_LOG = logging.getLogger(__name__)


def _as_list(x, name: str) -> list[str]:
    if isinstance(x, str):
        raise InputError(f"{name}: expected a list of strings, got one string")
    return [str(v) for v in x]


def text_and_target(X) -> tuple[list, list]:
    """The texts and targets of ``X``: a DataFrame with ``text`` and ``target`` columns, a 2-column
    array, or a sequence of (text, target) pairs."""
    if hasattr(X, "columns"):
        missing = [c for c in ("text", "target") if c not in X.columns]
        if missing:
            raise InputError(f"X: no {missing[0]!r} column (columns: {', '.join(map(str, X.columns))})")
        return X["text"].tolist(), X["target"].tolist()
    if isinstance(X, str):
        raise InputError("X: expected rows of (text, target), got one string")
    rows = X.tolist() if hasattr(X, "tolist") else list(X)
    if any(isinstance(r, str) or len(r) != 2 for r in rows):
        raise InputError("X: expected (text, target) per row, or a DataFrame with text and target columns")
    return [r[0] for r in rows], [r[1] for r in rows]


def pair_texts(texts: list[str], targets: list[str]) -> list[str]:
    """The target and the text as one input to the sentence model (``hybrid-pair``)."""
    return [f"{g}: {t}" for t, g in zip(texts, targets)]


class StanceClassifier(ClassifierMixin, BaseEstimator):
    """Stance toward a target; see the module docstring for the methods.

    ``fit(X, y)``, ``predict(X)``, ``predict_proba(X)`` and ``score(X, y)`` take X holding the
    text and the target of each row (a DataFrame with ``text`` and ``target`` columns, or
    (text, target) pairs), so the classifier works inside scikit-learn's ``Pipeline`` and
    ``GridSearchCV``; ``fit(texts, targets, labels)`` and ``predict(texts, targets)`` work too.

    Parameters mirror ``stance`` and ``embed`` in params.yaml, and default to their values there
    (``aliases=None``: ``stance.aliases``' default, taken at fit time; a dict default would be shared).
    """

    def __init__(self, method: str = _S.method, C=_S.C, class_weight: str = _S.class_weight,
                 target_weight: float = _S.target_weight, embedding_weight: float = _S.embedding_weight,
                 model: str | list = _S.model, precision: str = _E.precision, batch_size: int = _E.batch_size,
                 cache_dir: str | None = _E.cache_dir, setfit_max_steps: int = _S.setfit_max_steps,
                 setfit_batch_size: int = _S.setfit_batch_size, random_state: int = _S.random_state,
                 mask_targets: bool = _S.mask_targets, aliases: dict | None = None, verbose: bool = False,
                 device: str = _E.device, hashtags: str = _S.hashtags):
        self.method = method
        self.C = C
        self.class_weight = class_weight
        self.target_weight = target_weight
        self.embedding_weight = embedding_weight
        self.model = model
        self.precision = precision
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.setfit_max_steps = setfit_max_steps
        self.setfit_batch_size = setfit_batch_size
        self.random_state = random_state
        self.mask_targets = mask_targets
        self.aliases = aliases
        self.verbose = verbose
        self.device = device
        self.hashtags = hashtags

    @classmethod
    def from_params(cls, stance, embed, method: str | None = None, **kw) -> "StanceClassifier":
        return cls(method=method or stance.method, C=stance.C, class_weight=stance.class_weight,
                   target_weight=stance.target_weight, embedding_weight=stance.embedding_weight,
                   model=stance.model, precision=embed.precision, batch_size=embed.batch_size,
                   cache_dir=embed.cache_dir, setfit_max_steps=stance.setfit_max_steps,
                   setfit_batch_size=stance.setfit_batch_size, random_state=stance.random_state,
                   mask_targets=stance.mask_targets, aliases=dict(stance.aliases), device=embed.device,
                   hashtags=stance.hashtags, **kw)

    # -- helpers ------------------------------------------------------------
    def _log(self, msg: str) -> None:
        _LOG.log(logging.INFO if self.verbose else logging.DEBUG, f"stance: {msg}")

    def _check_params(self) -> None:
        if self.method not in METHODS:
            raise ParamsError(f"parameter stance.method: must be one of {', '.join(METHODS)}, got {self.method!r}")
        if not (self.C == "auto" or (isinstance(self.C, (int, float)) and self.C > 0)):
            raise ParamsError(f"parameter stance.C: must be 'auto' or > 0, got {self.C!r}")
        if self.hashtags not in HASHTAG_MODES:
            raise ParamsError(f"parameter stance.hashtags: must be one of {', '.join(HASHTAG_MODES)}, "
                              f"got {self.hashtags!r}")
        if self.class_weight not in CLASS_WEIGHTS:
            raise ParamsError(f"parameter stance.class_weight: must be {', '.join(CLASS_WEIGHTS)}, "
                              f"got {self.class_weight!r}")
        check_block_weights(self)
        if not (isinstance(self.model, str) and self.model.strip() or isinstance(self.model, (list, tuple))
                and self.model and all(isinstance(m, str) and m.strip() for m in self.model)):
            raise ParamsError(f"parameter stance.model: must be a model name or a list of names, got {self.model!r}")
        if not isinstance(self.aliases, (dict, type(None))) or any(
                not isinstance(v, (list, tuple)) for v in (self.aliases or {}).values()):
            raise ParamsError("parameter stance.aliases: must map each target to a list of words")

    def _c_for(self, component: str) -> float:
        return AUTO_C[component] if self.C == "auto" else float(self.C)

    @property
    def components(self) -> tuple[str, ...]:
        return METHOD_COMPONENTS[self.method]

    def uses_features(self, kind: str) -> bool:
        """Whether the method reads the feature set ``kind`` (``ngrams``, ``frozen``, ``tuned``)."""
        return any(kind in COMPONENT_FEATURES[c] for c in self.components)

    def _embedder(self, model: str | None = None):
        from ..embed.encoder import Embedder

        return Embedder(model=model or self.models[0], precision=self.precision, batch_size=self.batch_size,
                        cache_dir=self.cache_dir, show_progress=False, device=self.device)

    @property
    def models(self) -> list[str]:
        """The sentence model(s) of the frozen features (``stance.model``: one name, or several whose
        vectors sit side by side)."""
        return [self.model] if isinstance(self.model, str) else [str(m) for m in self.model]

    def frozen_embeddings(self, texts: list[str], *, given: np.ndarray | None = None,
                          given_sha256: str | None = None) -> np.ndarray:
        """The frozen features of ``texts``: each model's vectors (cached), side by side. ``given``
        vectors (row for row) are used for the model whose weights hash is ``given_sha256``, and only
        for it: vectors of other weights are never taken for the stance model's."""
        blocks = []
        shas = getattr(self, "embedding_models_", None)
        for i, m in enumerate(self.models):
            sha = shas[i]["weights_sha256"] if shas else None
            if given is not None and given_sha256 is not None and sha == given_sha256:
                blocks.append(np.asarray(given, dtype=np.float32))
                continue
            emb = self._embedder(m)
            try:
                blocks.append(emb.encode(texts))
            finally:
                emb.cache.close()
        return blocks[0] if len(blocks) == 1 else np.hstack(blocks).astype(np.float32, copy=False)

    def reuses(self, weights_sha256: str | None) -> bool:
        """Whether vectors of the weights ``weights_sha256`` are part of this model's frozen features."""
        check_is_fitted(self, "heads_")
        return bool(weights_sha256) and any(e["weights_sha256"] == weights_sha256
                                            for e in getattr(self, "embedding_models_", []) or [])

    def _tuned_embeddings(self, texts: list[str]) -> np.ndarray:
        if getattr(self, "body_", None) is not None:
            from .finetune import encode_body

            return encode_body(self.body_, texts, self.batch_size)
        emb = self._embedder(str(self.body_path_))
        try:
            return emb.encode(texts)
        finally:
            emb.cache.close()

    def feature_texts(self, texts: list[str], targets: list[str]) -> list[str]:
        """The texts the features are made from: target-masked when ``mask_targets`` is on."""
        masker = getattr(self, "masker_", None)
        return masker.transform(texts, targets) if masker is not None else list(texts)

    def encoder_texts(self, ftexts: list[str]) -> list[str]:
        """What the sentence encoder reads of the feature texts: hashtags written out as words
        under ``hashtags="split"`` (:mod:`.hashtags`); the n-grams keep ``ftexts`` as written."""
        return encoder_texts(ftexts, self.hashtags)

    def _features(self, texts, targets, embeddings=None) -> dict:
        """Features of ``texts``; ``embeddings`` (vectors of ``texts`` as given) are used for every row
        whose encoder text is the text itself (no target masked, no hashtag rewritten); the others
        are encoded."""
        ftexts = self.feature_texts(texts, targets)
        feats = {}
        if self.uses_features("ngrams"):
            feats["ngrams"] = self.ngrams_.transform(ftexts)
        ftexts = self.encoder_texts(ftexts)
        if self.uses_features("frozen"):
            if embeddings is not None:
                embeddings = np.asarray(embeddings, dtype=np.float32)
                if embeddings.shape != (len(texts), self.embedding_dim_):
                    raise InputError(f"embeddings have shape {embeddings.shape}, expected "
                                     f"({len(texts)}, {self.embedding_dim_})")
                changed = [i for i, (a, b) in enumerate(zip(texts, ftexts)) if a != b]
                if changed:
                    embeddings = embeddings.copy()
                    embeddings[changed] = self.frozen_embeddings([ftexts[i] for i in changed])
                feats["frozen"] = embeddings
            else:
                feats["frozen"] = self.frozen_embeddings(ftexts)
        if self.uses_features("pair"):
            feats["pair"] = self.frozen_embeddings(pair_texts(ftexts, targets))
        if self.uses_features("tuned"):
            feats["tuned"] = self._tuned_embeddings(ftexts)
        return feats

    def _sample_weights(self, targets: list[str], labels: list[str]) -> np.ndarray | None:
        """Per-row weights for ``balanced-per-target`` (mean 1); None otherwise."""
        if self.class_weight != "balanced-per-target":
            return None
        from .labels import target_key
        from .metrics import stance_balance_weights

        w = stance_balance_weights(labels, [target_key(t) for t in targets], equal_targets=False)
        return w * (len(w) / w.sum())

    def _design(self, component: str, feats: dict, targets: list[str]):
        w = float(self.embedding_weight)
        parts = [feats[k] if k == "ngrams" or w == 1.0 else w * feats[k] for k in COMPONENT_FEATURES[component]]
        if any(sp.issparse(p) for p in parts):
            X = sp.hstack([sp.csr_matrix(p) for p in parts], format="csr")
        else:
            X = np.hstack(parts) if len(parts) > 1 else parts[0]
        return self.targets_.transform(X, targets)

    # -- fit / predict ---------------------------------------------------------
    def fit(self, X, y=None, labels=None, *, embeddings=None, ngram_counts=None) -> "StanceClassifier":
        """Train on ``X`` (text and target per row, see the class doc) and the stances ``y``; or on
        parallel lists ``fit(texts, targets, labels)``.

        ``embeddings`` optionally gives the frozen vectors of the texts;
        ``ngram_counts`` (an :class:`~.ngrams.NgramCounts` holding these texts)
        speeds up repeated fits on subsets of one corpus, with identical results.
        """
        self._check_params()
        if labels is None:
            texts, targets = text_and_target(X)
            labels = y
        else:
            texts, targets = X, y
        if labels is None:
            raise InputError("fit needs the stance labels: fit(X, y)")
        texts, targets, labels = _as_list(texts, "texts"), _as_list(targets, "targets"), _as_list(labels, "labels")
        if not (len(texts) == len(targets) == len(labels)):
            raise InputError(f"texts, targets and labels differ in length ({len(texts)}, {len(targets)}, {len(labels)})")
        bad = sorted(set(labels) - set(CLASSES))
        if bad:
            raise InputError(f"unknown stance label {bad[0]!r} (expected FAVOR, AGAINST or NONE)")
        if len(set(labels)) < 2:
            raise InputError(f"all {len(labels)} training rows are {labels[0] if labels else '-'}: "
                             "need at least two stance classes")
        t0 = time.perf_counter()
        self.classes_ = CLASSES
        self.targets_ = TargetBlocks(self.target_weight).fit(targets)
        self.n_train_ = len(texts)
        self.train_counts_ = {c: int(sum(1 for v in labels if v == c)) for c in CLASSES}
        self.train_units_ = sorted({unit_id(t) for t in texts})
        self.body_ = None
        self.masker_ = None
        if self.mask_targets:
            from .mask import TargetMasker

            aliases = dict(_S.aliases) if self.aliases is None else self.aliases
            self.masker_ = TargetMasker(aliases).fit(targets)
        ftexts = self.feature_texts(texts, targets)
        if self.uses_features("ngrams"):
            self.ngrams_ = NgramFeatures().fit(ftexts, counts=ngram_counts)
            self._log(f"{self.ngrams_.n_features} n-gram features")
        if self.uses_features("frozen"):
            from ..embed.model import read_model_info

            infos = [read_model_info(m) for m in self.models]
            self.embedding_models_ = [{"model": m, "weights_sha256": i.weights_sha256, "dimension": int(i.dimension)}
                                      for m, i in zip(self.models, infos)]
            self.embedding_dim_ = sum(e["dimension"] for e in self.embedding_models_)
            self.embedding_sha256_ = "+".join(e["weights_sha256"] for e in self.embedding_models_)
        if self.uses_features("tuned"):
            from ..embed.model import resolve_model_path
            from .finetune import finetune_body

            self._log(f"setfit: fine-tuning the body for {self.setfit_max_steps} steps")
            t1 = time.perf_counter()
            self.body_ = finetune_body(self.encoder_texts(ftexts), [f"{t}|{y}" for t, y in zip(targets, labels)],
                                       str(resolve_model_path(self.models[0])), max_steps=self.setfit_max_steps,
                                       batch_size=self.setfit_batch_size, seed=self.random_state)
            self.finetune_seconds_ = time.perf_counter() - t1
        t1 = time.perf_counter()
        feats = self._features(texts, targets, embeddings)
        t2 = time.perf_counter()
        self.heads_ = {}
        cw = "balanced" if self.class_weight == "balanced" else None
        sw = self._sample_weights(targets, labels)
        for comp in self.components:
            X = self._design(comp, feats, targets)
            self.heads_[comp] = LinearHead(C=self._c_for(comp), class_weight=cw,
                                           random_state=self.random_state).fit(X, labels, sample_weight=sw)
        self.fit_seconds_ = time.perf_counter() - t0
        self.fit_timings_ = {"finetune": round(getattr(self, "finetune_seconds_", 0.0), 1),
                             "features": round(t2 - t1, 1), "heads": round(time.perf_counter() - t2, 1)}
        self._log(f"trained {self.method} on {len(texts)} rows in {self.fit_seconds_:.1f}s "
                  f"(features incl. embeddings {self.fit_timings_['features']}s, "
                  f"heads {self.fit_timings_['heads']}s, fine-tuning {self.fit_timings_['finetune']}s)")
        return self

    def predict_proba(self, X, targets=None, embeddings=None) -> np.ndarray:
        """(n, 3) probabilities, columns ``classes_`` = FAVOR, AGAINST, NONE, of ``X`` (text and
        target per row) or of ``predict_proba(texts, targets)``."""
        check_is_fitted(self, "heads_")
        texts, targets = text_and_target(X) if targets is None else (X, targets)
        texts, targets = _as_list(texts, "texts"), _as_list(targets, "targets")
        if len(texts) != len(targets):
            raise InputError(f"texts and targets differ in length ({len(texts)}, {len(targets)})")
        if not texts:
            return np.zeros((0, len(CLASSES)))
        feats = self._features(texts, targets, embeddings)
        logs = [np.log(np.clip(self.heads_[c].predict_proba(self._design(c, feats, targets)), 1e-12, 1.0))
                for c in self.components]
        z = np.mean(logs, axis=0)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X, targets=None, embeddings=None) -> np.ndarray:
        check_is_fitted(self, "heads_")
        p = self.predict_proba(X, targets, embeddings)
        return np.array(CLASSES, dtype=object)[p.argmax(axis=1)] if len(p) else np.array([], dtype=object)

    def unseen_targets(self, targets) -> int:
        """How many of ``targets`` were not seen in training (they use the shared weights)."""
        check_is_fitted(self, "heads_")
        return self.targets_.unseen(_as_list(targets, "targets"))

    @property
    def uses_frozen_embeddings(self) -> bool:
        return self.uses_features("frozen")

    # -- state and persistence ------------------------------------------------------
    def get_state(self) -> dict:
        """The fitted model as plain data: ``config`` (JSON), ``arrays`` (name -> ndarray), ``json``
        (name -> JSON document) and ``body`` (SetFit's fine-tuned body: the model, or the folder it
        was loaded from; else None). :mod:`.persist` writes exactly this."""
        check_is_fitted(self, "heads_")
        arrays, docs, heads = {}, {"train_units": list(self.train_units_)}, {}
        for name, h in self.heads_.items():
            arrays[f"head_{name}_coef"], arrays[f"head_{name}_intercept"] = h.coef_, h.intercept_
            heads[name] = {"C": h.C, "class_weight": h.class_weight, "classes_present": h.classes_present_}
        if getattr(self, "ngrams_", None) is not None and self.uses_features("ngrams"):
            meta, arr = self.ngrams_.get_state()
            docs["ngrams"] = meta
            arrays.update({f"ngrams_{k}": a for k, a in arr.items()})
        params = self.get_params()
        params.pop("verbose", None)
        config = {
            "params": params, "classes": list(CLASSES), "targets": self.targets_.names_,
            "n_train": self.n_train_, "train_counts": self.train_counts_,
            "components": list(self.components), "heads": heads,
            "embedding": ({"model": self.model, "weights_sha256": self.embedding_sha256_,
                           "dimension": self.embedding_dim_, "models": self.embedding_models_}
                          if self.uses_features("frozen") else None),
            "masking": (self.masker_.table_ if getattr(self, "masker_", None) is not None else None),
            "fit_seconds": round(float(getattr(self, "fit_seconds_", 0.0)), 3),
            "training_data": getattr(self, "training_data_", None),
        }
        body = None
        if self.uses_features("tuned"):
            body = self.body_ if getattr(self, "body_", None) is not None else self.body_path_
        return {"config": config, "arrays": arrays, "json": docs, "body": body}

    @classmethod
    def from_state(cls, state: dict, *, cache_dir: str | None | object = ..., precision: str | None = None,
                   verbose: bool = False) -> "StanceClassifier":
        """A fitted classifier from :meth:`get_state`'s data (``state["path"]``, when given, names the
        model in messages). ``cache_dir``/``precision`` override the saved ones."""
        where = state.get("path", "stance model")
        cfg, arrays, docs = state["config"], state["arrays"], state["json"]
        known = set(cls().get_params())
        params = {k: v for k, v in cfg["params"].items() if k in known}
        params.setdefault("mask_targets", False)  # saved before target masking existed: trained without
        params.setdefault("aliases", None)
        params.setdefault("target_weight", 1.0)  # saved before the weights existed: trained with 1 and 1
        params.setdefault("embedding_weight", 1.0)
        params.setdefault("hashtags", "keep")  # saved before stance.hashtags existed: encoded the tags as written
        if cache_dir is not ...:
            params["cache_dir"] = cache_dir
        if precision is not None:
            params["precision"] = precision
        params["verbose"] = verbose
        clf = cls(**params)
        clf.classes_ = tuple(cfg["classes"])
        if clf.classes_ != CLASSES:
            raise ModelFileError(f"{where}: classes {clf.classes_} differ from {CLASSES}")
        clf.targets_ = TargetBlocks(clf.target_weight).fit(cfg["targets"])
        clf.masker_ = None
        if clf.mask_targets:
            from .mask import TargetMasker

            clf.masker_ = (TargetMasker.from_table(cfg["masking"]) if cfg.get("masking")
                           else TargetMasker(clf.aliases).fit(cfg["targets"]))
        clf.n_train_, clf.train_counts_ = cfg["n_train"], cfg["train_counts"]
        clf.train_units_ = list(docs.get("train_units", []))
        clf.body_ = None
        if "ngrams" in docs:
            clf.ngrams_ = NgramFeatures.from_state(docs["ngrams"], {k[len("ngrams_"):]: a for k, a in arrays.items()
                                                                   if k.startswith("ngrams_")})
        if cfg.get("embedding"):
            from ..embed.model import read_model_info

            e = cfg["embedding"]
            parts = e.get("models") or [{"model": e["model"], "weights_sha256": e["weights_sha256"],
                                          "dimension": e["dimension"]}]
            for part, name in zip(parts, clf.models):
                info = read_model_info(name)
                if info.weights_sha256 != part["weights_sha256"]:
                    raise ModelFileError(f"{where}: trained on embeddings of {part['model']} with weights sha256 "
                                         f"{part['weights_sha256'][:12]}..., but {name!r} now resolves to weights "
                                         f"{info.weights_sha256[:12]}...; retrain the model")
            clf.embedding_models_ = [dict(p) for p in parts]
            clf.embedding_dim_, clf.embedding_sha256_ = int(e["dimension"]), e["weights_sha256"]
        if "setfit" in cfg["components"]:
            if state.get("body") is None:
                raise ModelFileError(f"{where}: setfit model without its fine-tuned body")
            clf.body_path_ = Path(state["body"]).resolve()
        clf.heads_ = {}
        for name, h in cfg["heads"].items():
            head = LinearHead(C=h["C"], class_weight=h["class_weight"])
            head.coef_, head.intercept_ = arrays[f"head_{name}_coef"], arrays[f"head_{name}_intercept"]
            head.classes_present_ = h["classes_present"]
            clf.heads_[name] = head
        clf.fit_seconds_ = cfg.get("fit_seconds", 0.0)
        return clf

    def save(self, path: str | Path) -> Path:
        from .persist import save_state

        return save_state(self.get_state(), path)

    @classmethod
    def load(cls, path: str | Path, *, cache_dir: str | None | object = ..., precision: str | None = None,
             verbose: bool = False) -> "StanceClassifier":
        from .persist import load_state

        return cls.from_state(load_state(path), cache_dir=cache_dir, precision=precision, verbose=verbose)
