"""Stance prevalence: the share of FAVOR, AGAINST and NONE in a group of texts, corrected for classifier error.

A share counted from predictions ("39% of the chunks are AGAINST") inherits the
classifier's habits: a class it misses is under-counted, one it over-predicts is
over-counted. :class:`StancePrevalence` estimates the shares five ways, per target:

``cc``
    classify and count: the share of units whose predicted (argmax) stance is c.
``pcc``
    probabilistic classify and count: the mean predicted probability of c.
``acc``
    adjusted classify and count. With ``M[i, j] = P(predicted i | true j)``, the
    classifier's misclassification rates, the predicted shares ``q`` of a group
    whose true shares are ``p`` are ``q = M p``; ACC solves that system for p.
``pacc``
    the same with ``M[i, j] = E[p_i | true j]`` (mean probabilities) and ``q`` from pcc.
``kdey``
    distribution matching by kernel density estimation, maximum likelihood
    (KDEy-ML, Moreo, González and del Coz, Machine Learning 2024): each true stance's
    out-of-fold probability vectors, smoothed by a Gaussian kernel of width
    ``bandwidth``, give that stance's density of predictions (``kde_space``: in
    centred log-ratio coordinates, :func:`kde_points`, or in the probability
    simplex itself as in the paper); the group's shares are the mixture weights of those densities
    that make the group's own probability vectors most likely (the likelihood is
    concave in them: :func:`mixture_weights` finds its maximum exactly). It reads
    the whole shape of each stance's predictions, not only their means.

``M`` is learnt from **out-of-fold** predictions on the labelled set (each
labelled row predicted by a model that did not see it: ``stance evaluate``
writes them to ``reports/stance/cv_predictions.csv``), separately per target.
The correction holds only if the classifier errs on the counted texts as it
did on those rows, so ``sources`` picks the labelled sources most like them;
each class column then also counts ``prior_rows`` pseudo-rows with the rates of
all labelled rows, so a class the chosen sources barely have borrows from the
rest (empty ``sources``: all rows, no prior). A class with no labelled row at
all for a target keeps the identity column (it is assumed recognised
perfectly) and the ``class_unlabelled`` flag is raised.

**Constraints** (``solver``): ``simplex`` (default) solves the constrained least
squares ``min ||M p - q||^2`` over the probability simplex (p >= 0, sum 1)
exactly, by trying every support of p (7 for 3 classes) and keeping the best
feasible solution; this is QuaPy's default ``solver='minimize'`` computed in
closed form. ``clip`` takes the unconstrained solution ``M^-1 q``, clips it to
[0, 1] and renormalises. Either way the unconstrained solution is kept
(``*_unconstrained``), because its leaving the simplex is a diagnostic.

**Intervals** are percentile bootstrap intervals. Every replicate resamples the
labelled set by ``groups`` (a unit, a story, a release: rows that are not
independent travel together) and re-estimates ``M``, and resamples the group's
units by ``clusters`` (the chunks of one article together), so both the
correction's uncertainty and the group's sampling noise are in the interval.

**Flags** (:data:`FLAGS`), raised on the corrected estimate of ``method``
(for ``kdey``, whose estimate has no rate matrix, the diagnostics of ``pacc``:
its condition number and its unconstrained solution):

``few_units``
    fewer than ``min_units`` resampled units (clusters) in the group.
``ill_conditioned``
    the condition number of ``M`` exceeds ``max_condition``: errors in q are
    amplified up to that factor in p, so the correction is mostly noise.
``class_unlabelled``
    a class has no labelled row for this target (see above).
``outside_simplex``
    for some class the whole interval of the *unconstrained* estimate lies
    below ``-tolerance``: no prevalence vector explains the group's predictions
    with the labelled set's error rates, beyond sampling noise. The
    class-conditional behaviour of the classifier is not the same in this group.
``methods_disagree``
    the paired bootstrap interval of (unconstrained ACC - unconstrained PACC)
    lies wholly outside ``[-tolerance, tolerance]`` for some class (at level
    ``1 - (1 - level) / 3``, one test per class). Both are consistent when the
    assumption holds (only the class mix differs from the labelled set), so a
    clear gap says the classifier's hard decisions and its scores do not shift
    together here.
``no_correction``
    the correction has no labelled rows for this target: only cc and pcc.
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..errors import InputError, ModelFileError, ParamsError
from ..params import PrevalenceParams
from . import CLASSES
from .labels import target_key

METHODS = ("cc", "pcc", "acc", "pacc", "kdey")
CORRECTED = ("acc", "pacc", "kdey")
# the rate matrix whose condition number and unconstrained solution the flags read, per corrected method
# (kdey has no matrix of its own: pacc's describes the same out-of-fold probabilities)
DIAGNOSTIC = {"acc": "acc", "pacc": "pacc", "kdey": "pacc"}
SOLVERS = ("simplex", "clip")
KDE_SPACES = ("logratio", "simplex")
LOGRATIO_EPS = 1e-3  # added to every probability before its logarithm: a (near-)zero probability stays finite
FLAGS = ("few_units", "ill_conditioned", "class_unlabelled", "outside_simplex", "methods_disagree", "no_correction")
# raised by :mod:`.shares`, which knows the texts: "seen_in_training" (the group holds texts the model was trained on)
FORMAT = "topicstance-stance-prevalence"
FORMAT_VERSION = 1
K = len(CLASSES)


# -- the linear algebra, batched over bootstrap replicates -------------------------------------------
def _supports(k: int) -> list[np.ndarray]:
    """Every non-empty subset of the classes, largest first (ties in the objective go to the largest)."""
    out = []
    for size in range(k, 0, -1):
        for s in itertools.combinations(range(k), size):
            out.append(np.array(s))
    return out


def solve_unconstrained(M: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``p`` with ``M p = q`` (least squares with the pseudo-inverse where M is singular); batched.

    Because every column of M and q sum to 1, an invertible M gives a p that sums to 1, but p
    may have negative entries.
    """
    M, q = np.asarray(M, dtype=float), np.asarray(q, dtype=float)
    return np.einsum("...ij,...j->...i", np.linalg.pinv(M), q)


def solve_simplex(M: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``argmin ||M p - q||^2`` over the probability simplex, exactly; batched over leading axes.

    For every support S of p, the equality-constrained problem (p = 0 off S, sum p = 1) is
    solved through its KKT system; the feasible candidate (p >= 0) with the smallest
    objective is the minimum, because the objective is convex and the true minimiser is the
    solution of the problem restricted to its own support.
    """
    M, q = np.asarray(M, dtype=float), np.asarray(q, dtype=float)
    lead = M.shape[:-2]
    k = M.shape[-1]
    Mf, qf = M.reshape(-1, k, k), q.reshape(-1, k)
    n = len(Mf)
    best = np.full((n, k), np.nan)
    best_obj = np.full(n, np.inf)
    for S in _supports(k):
        A = Mf[:, :, S]  # (n, k, s)
        s = len(S)
        kkt = np.zeros((n, s + 1, s + 1))
        kkt[:, :s, :s] = 2 * np.einsum("nki,nkj->nij", A, A)
        kkt[:, :s, s] = 1.0
        kkt[:, s, :s] = 1.0
        rhs = np.zeros((n, s + 1))
        rhs[:, :s] = 2 * np.einsum("nki,nk->ni", A, qf)
        rhs[:, s] = 1.0
        sol = np.einsum("nij,nj->ni", np.linalg.pinv(kkt), rhs)[:, :s]
        p = np.zeros((n, k))
        p[:, S] = sol
        ok = (p >= -1e-9).all(axis=1) & (np.abs(p.sum(axis=1) - 1.0) < 1e-6)
        p = np.clip(p, 0.0, None)
        p /= np.where(p.sum(axis=1, keepdims=True) > 0, p.sum(axis=1, keepdims=True), 1.0)
        obj = ((np.einsum("nij,nj->ni", Mf, p) - qf) ** 2).sum(axis=1)
        better = ok & (obj < best_obj - 1e-12)
        best[better], best_obj[better] = p[better], obj[better]
    return best.reshape(*lead, k)


def clip_to_simplex(p: np.ndarray) -> np.ndarray:
    """Clip to [0, 1] and renormalise; a vector with nothing left becomes uniform."""
    c = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    s = c.sum(axis=-1, keepdims=True)
    return np.where(s > 0, c / np.where(s > 0, s, 1.0), 1.0 / c.shape[-1])


def rates_from_counts(cells: np.ndarray, soft: np.ndarray, prior: tuple | None = None,
                      prior_rows: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hard and soft rate matrices from (..., true, predicted) counts and (..., true, class) probability sums.

    Returns ``(M_hard, M_soft, class_counts)`` with ``M[..., i, j]`` the rate of predicted
    class i among true class j; an empty true class gets the identity column. With ``prior``
    (hard and soft rate matrices) each column also counts ``prior_rows`` pseudo-rows that
    behave as the prior says, so a class with few rows leans on the prior and one with none
    takes it.
    """
    n = cells.sum(axis=-1)  # (..., true)
    if prior is not None and prior_rows > 0:
        cells = cells + prior_rows * np.swapaxes(prior[0], -1, -2)
        soft = soft + prior_rows * np.swapaxes(prior[1], -1, -2)
        n_eff = n + prior_rows
        hard = cells / n_eff[..., None]
        soft_r = soft / n_eff[..., None]
        return np.swapaxes(hard, -1, -2), np.swapaxes(soft_r, -1, -2), n
    eye = np.eye(cells.shape[-1])
    denom = np.where(n > 0, n, 1.0)[..., None]
    hard = np.where((n > 0)[..., None], cells / denom, eye)
    soft_r = np.where((n > 0)[..., None], soft / denom, eye)
    return np.swapaxes(hard, -1, -2), np.swapaxes(soft_r, -1, -2), n


def _multiplicities(rng: np.random.Generator, n_boot: int, n_units: int) -> np.ndarray:
    """(n_boot, n_units) counts of each unit in a resample of n_units drawn with replacement."""
    draw = rng.integers(0, n_units, size=(n_boot, n_units)) + n_units * np.arange(n_boot)[:, None]
    return np.bincount(draw.ravel(), minlength=n_boot * n_units).reshape(n_boot, n_units).astype(float)


def kde_class_weights(y: np.ndarray, chosen: np.ndarray, row_weights: np.ndarray, prior_rows: float,
                      use_prior: bool) -> np.ndarray:
    """Each labelled row's weight in each class's kernel density, batched over leading axes of ``row_weights``.

    ``y`` (n,) are the rows' classes, ``chosen`` (n,) marks the rows of the chosen sources,
    ``row_weights`` (..., n) their multiplicities (1, or a bootstrap resample's). Returns (..., n + K, K):
    column c sums to 1 over the rows of class c, the chosen rows counting one each and, with
    ``use_prior``, ``prior_rows`` pseudo-rows spread over all rows of class c; the last K rows are
    pseudo-rows at the corners of the simplex, which take a class's whole weight only when it has no
    row (it is then assumed recognised perfectly, as the rate matrices' identity column).
    """
    onehot = (y[:, None] == np.arange(K)).astype(float)  # (n, K)
    w = np.asarray(row_weights, dtype=float)[..., :, None] * onehot  # (..., n, K)
    num = w * np.asarray(chosen, dtype=float)[:, None]
    if use_prior:
        tot = w.sum(axis=-2, keepdims=True)
        num = num + prior_rows * w / np.where(tot > 0, tot, 1.0)
    den = num.sum(axis=-2, keepdims=True)
    empty = den[..., 0, :] <= 0  # (..., K)
    num = num / np.where(den > 0, den, 1.0)
    corners = empty[..., None, :] * np.eye(K)  # (..., K, K)
    return np.concatenate([num, corners], axis=-2)


def kde_points(P: np.ndarray, space: str) -> np.ndarray:
    """The points the kernel densities live on: the probability vectors themselves (``simplex``), or
    their centred log-ratios (``logratio``: log(p + eps) minus its mean over the classes), the
    simplex's own (Aitchison) geometry, in which the confident predictions crowded into a corner
    of the simplex are spread out by how confident they are."""
    P = np.asarray(P, dtype=float)
    if space == "simplex":
        return P
    L = np.log(P + LOGRATIO_EPS)
    return L - L.mean(axis=1, keepdims=True)


def kernel_matrix(P: np.ndarray, rows: np.ndarray, bandwidth: float) -> np.ndarray:
    """Gaussian kernel between each unit's probability vector and each labelled row, (n_units, n_rows).

    Each unit's row is scaled so its nearest labelled row scores 1: the maximum-likelihood mixture is
    unchanged by a constant per unit, and no density underflows."""
    d2 = (P * P).sum(1)[:, None] + (rows * rows).sum(1)[None, :] - 2.0 * P @ rows.T
    d2 = np.maximum(d2, 0.0)
    d2 -= d2.min(axis=1, keepdims=True)
    return np.exp(-d2 / (2.0 * bandwidth * bandwidth)).astype(np.float32)


def _loglik(D: np.ndarray, v: np.ndarray, a: np.ndarray) -> np.ndarray:
    s = np.einsum("...nk,...k->...n", D, a)
    return (v * np.log(np.maximum(s, np.finfo(float).tiny))).sum(axis=-1)


def _edge_optimum(D: np.ndarray, v: np.ndarray, c: int, d: int, steps: int = 60) -> np.ndarray:
    """The best mix of classes c and d alone: t D_c + (1 - t) D_d, by bisection on the derivative
    of the (concave) log-likelihood in t; batched, returns (..., K) weights."""
    diff = D[..., c] - D[..., d]

    def slope(t):
        s = D[..., d] + t[..., None] * diff
        return (v * diff / np.maximum(s, np.finfo(float).tiny)).sum(axis=-1)

    lo, hi = np.zeros(D.shape[:-2]), np.ones(D.shape[:-2])
    at0, at1 = slope(lo) <= 0, slope(hi) >= 0
    for _ in range(steps):
        mid = (lo + hi) / 2
        up = slope(mid) > 0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    t = np.where(at0, 0.0, np.where(at1, 1.0, (lo + hi) / 2))
    a = np.zeros(D.shape[:-2] + (K,))
    a[..., c], a[..., d] = t, 1.0 - t
    return a


def _interior_newton(D: np.ndarray, v: np.ndarray, iters: int = 50, tol: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    """Damped Newton ascent of the log-likelihood from the uniform mix, for (B, n, K) densities,
    kept strictly inside the simplex (each step at most 99% of the way to its boundary, halved until
    the likelihood rises). Returns the weights and whether Newton converged (half the Newton
    decrement below ``tol``): the maximum is then inside the simplex. A maximum on the boundary is
    never reached from inside; those problems stop when a step no longer raises the likelihood."""
    B = D.shape[0]
    a = np.full((B, K), 1.0 / K)
    inside = np.zeros(B, dtype=bool)
    act = np.arange(B)
    for _ in range(iters):
        Da, va, aa = D[act], v[act], a[act]
        E = Da[..., :-1] - Da[..., -1:]  # the free coordinates a_0..a_{K-2}
        s = np.maximum(np.einsum("bnk,bk->bn", Da, aa), np.finfo(float).tiny)
        w = va / s
        g = np.einsum("bn,bnj->bj", w, E)
        H = -np.einsum("bni,bnj->bij", E * (w / s)[..., None], E) - 1e-12 * np.eye(K - 1)
        step = -np.linalg.solve(H, g[..., None])[..., 0]
        conv = (g * step).sum(axis=-1) / 2 < tol
        inside[act[conv]] = True
        delta = np.concatenate([step, -step.sum(axis=-1, keepdims=True)], axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            room = np.where(delta < 0, aa / -delta, np.inf).min(axis=-1)
        t = np.minimum(1.0, 0.99 * room)
        L = (va * np.log(s)).sum(axis=-1)
        moved = conv.copy()
        for _ in range(30):
            cand = aa + t[:, None] * delta
            ok = (_loglik(Da, va, cand) > L) & ~moved
            aa = np.where(ok[:, None], cand, aa)
            moved |= ok
            if moved.all():
                break
            t = np.where(moved, t, t / 2)
        a[act] = aa
        act = act[~conv & moved]  # converged, or stalled against the boundary: done
        if not len(act):
            break
    return a, inside


def mixture_weights(D: np.ndarray, unit_weights: np.ndarray | None = None) -> np.ndarray:
    """The mixture weights a on the simplex that maximise L(a) = sum_i v_i log(sum_c a_c D[i, c]).

    ``D`` (n, K) or (B, n, K): the units' densities under each class, ``unit_weights`` the units'
    multiplicities (default 1). L is concave, so its maximum over the simplex is either inside it,
    where Newton's method converges to it, or on an edge, where it is a one-dimensional concave
    problem solved by bisection (a vertex is an edge's end): the best of those candidates."""
    D = np.asarray(D, dtype=float)
    one = D.ndim == 2
    if one:
        D = D[None]
    v = np.ones(D.shape[:-1]) if unit_weights is None else np.asarray(unit_weights, dtype=float).reshape(D.shape[:-1])
    v = v / v.sum(axis=-1, keepdims=True)
    a, inside = _interior_newton(D, v)
    edge = np.flatnonzero(~inside)
    if len(edge):
        De, ve = D[edge], v[edge]
        cands = [a[edge]] + [_edge_optimum(De, ve, c, d) for c, d in itertools.combinations(range(K), 2)]
        L = np.stack([_loglik(De, ve, c) for c in cands], axis=-1)
        a[edge] = np.stack(cands, axis=1)[np.arange(len(edge)), L.argmax(axis=-1)]
    return a[0] if one else a


def _group_codes(groups) -> np.ndarray:
    """0..k-1 codes of group keys (integer keys keep their order, so saved codes load unchanged)."""
    g = np.asarray(groups)
    return np.unique(g if g.dtype.kind in "iu" else g.astype(str), return_inverse=True)[1].ravel()


def _codes(labels) -> np.ndarray:
    idx = {c: i for i, c in enumerate(CLASSES)}
    try:
        return np.array([idx[str(v)] for v in labels], dtype=np.int64)
    except KeyError as exc:
        raise InputError(f"unknown stance label {exc.args[0]!r} (expected FAVOR, AGAINST or NONE)") from None


def _check_proba(proba, n: int | None = None, name: str = "proba") -> np.ndarray:
    P = np.asarray(proba, dtype=float)
    if P.ndim != 2 or P.shape[1] != K:
        raise InputError(f"{name}: expected an (n, {K}) array of probabilities (columns {', '.join(CLASSES)}), "
                         f"got shape {P.shape}")
    if n is not None and len(P) != n:
        raise InputError(f"{name}: {len(P)} rows, expected {n}")
    if len(P) and (not np.isfinite(P).all() or (P < -1e-9).any() or np.abs(P.sum(1) - 1).max() > 1e-4):
        raise InputError(f"{name}: every row must be probabilities that sum to 1")
    return P


_P = PrevalenceParams()  # the one source of defaults


class StancePrevalence(BaseEstimator):
    """Stance shares of a group with error-corrected estimates, intervals and flags (module docstring).

    ``fit(labels, proba, targets, groups)`` takes the out-of-fold predictions of the labelled set;
    ``estimate(proba, target)`` gives the point estimates of one group; ``shares(proba, target,
    clusters)`` adds the bootstrap intervals and the flags.

    Parameters mirror ``prevalence`` in params.yaml and default to its values there
    (:class:`~topicstance.params.PrevalenceParams`): ``sources`` defaults to ``("seed",)``, so
    ``fit`` then needs each row's source; ``sources=()`` uses all labelled rows with no prior.
    """

    def __init__(self, method: str = _P.method, solver: str = _P.solver, n_bootstrap: int = _P.n_bootstrap,
                 level: float = _P.level, min_units: int = _P.min_units, max_condition: float = _P.max_condition,
                 tolerance: float = _P.tolerance, sources: tuple = _P.sources, prior_rows: float = _P.prior_rows,
                 bandwidth: float = _P.bandwidth, kde_space: str = _P.kde_space, random_state: int = _P.random_state):
        self.method = method
        self.bandwidth = bandwidth
        self.kde_space = kde_space
        self.sources = sources
        self.prior_rows = prior_rows
        self.solver = solver
        self.n_bootstrap = n_bootstrap
        self.level = level
        self.min_units = min_units
        self.max_condition = max_condition
        self.tolerance = tolerance
        self.random_state = random_state

    def _check_params(self) -> None:
        if self.method not in CORRECTED:
            raise ParamsError(f"parameter prevalence.method: must be acc, pacc or kdey, got {self.method!r}")
        if not (isinstance(self.bandwidth, (int, float)) and 0 < self.bandwidth <= 10):
            raise ParamsError(f"parameter prevalence.bandwidth: must be in (0, 10], got {self.bandwidth!r}")
        if self.kde_space not in KDE_SPACES:
            raise ParamsError(f"parameter prevalence.kde_space: must be logratio or simplex, got {self.kde_space!r}")
        if self.solver not in SOLVERS:
            raise ParamsError(f"parameter prevalence.solver: must be simplex or clip, got {self.solver!r}")
        if not (isinstance(self.n_bootstrap, int) and self.n_bootstrap >= 100):
            raise ParamsError(f"parameter prevalence.n_bootstrap: must be an integer >= 100, got {self.n_bootstrap!r}")
        if not 0.5 <= self.level < 1:
            raise ParamsError(f"parameter prevalence.level: must be in [0.5, 1), got {self.level!r}")
        if not (isinstance(self.min_units, int) and self.min_units >= 1):
            raise ParamsError(f"parameter prevalence.min_units: must be an integer >= 1, got {self.min_units!r}")
        if not self.max_condition >= 1:
            raise ParamsError(f"parameter prevalence.max_condition: must be >= 1, got {self.max_condition!r}")
        if not 0 <= self.tolerance < 0.5:
            raise ParamsError(f"parameter prevalence.tolerance: must be in [0, 0.5), got {self.tolerance!r}")
        if isinstance(self.sources, str) or not all(isinstance(v, str) for v in (self.sources or ())):
            raise ParamsError(f"parameter prevalence.sources: must be a list of labelled source names, got {self.sources!r}")
        if not self.prior_rows >= 0:
            raise ParamsError(f"parameter prevalence.prior_rows: must be >= 0, got {self.prior_rows!r}")

    # -- fit -----------------------------------------------------------------------------------------
    def fit(self, labels, proba, targets, groups=None, sources=None) -> "StancePrevalence":
        """Learn each target's rate matrices from out-of-fold predictions of the labelled set.

        ``labels``: the true stances; ``proba``: (n, 3) out-of-fold probabilities (columns
        FAVOR, AGAINST, NONE); ``targets``: the target of each row; ``groups``: the labelled
        set's resampling units (default: every row is one); ``sources``: each row's labelled
        source, needed when the ``sources`` parameter picks the rows like the texts to be
        counted (the other rows then only form the prior, weighted ``prior_rows`` per class).
        """
        self._check_params()
        y = _codes(labels)
        P = _check_proba(proba, len(y))
        tg = [str(t) for t in targets]
        if len(tg) != len(y):
            raise InputError(f"labels and targets differ in length ({len(y)}, {len(tg)})")
        if len(y) == 0:
            raise InputError("no labelled rows to learn the correction from")
        g = np.arange(len(y)) if groups is None else _group_codes(groups)
        if len(g) != len(y):
            raise InputError(f"labels and groups differ in length ({len(y)}, {len(g)})")
        src = np.array(["labels"] * len(y), dtype=object) if sources is None else np.asarray(sources).astype(str)
        if len(src) != len(y):
            raise InputError(f"labels and sources differ in length ({len(y)}, {len(src)})")
        chosen = tuple(self.sources or ())
        if chosen:
            if sources is None:
                raise InputError("the sources parameter names labelled sources, but fit was given no row sources")
            missing = sorted(set(chosen) - set(src))
            if missing:
                raise InputError(f"parameter prevalence.sources: no labelled rows from {missing[0]!r} "
                                 f"(labelled sources: {', '.join(sorted(set(src)))})")
        self.source_names_ = sorted(set(src))
        self.source_codes_ = np.array([self.source_names_.index(v) for v in src], dtype=np.int64)
        in_src = np.isin(src, chosen) if chosen else np.ones(len(y), dtype=bool)
        names: dict[str, str] = {}
        for t in tg:
            names.setdefault(target_key(t), t)
        self.classes_ = CLASSES
        self.targets_ = list(names.values())
        self.meta_ = {}
        keys = np.array([target_key(t) for t in tg], dtype=object)
        self.labels_, self.proba_ = y, P
        self.target_codes_ = np.array([list(names).index(k) for k in keys], dtype=np.int64)
        self.group_codes_ = np.asarray(g, dtype=np.int64)
        self.rates_, self.soft_rates_, self.class_counts_, self.condition_ = {}, {}, {}, {}
        self.n_rows_, self.n_groups_, self.source_class_counts_ = {}, {}, {}
        self.boot_rates_, self.boot_soft_rates_ = {}, {}
        self.kde_rows_, self.kde_weights_, self.boot_kde_weights_ = {}, {}, {}
        rng = np.random.default_rng(self.random_state)
        for ti, t in enumerate(self.targets_):
            m = self.target_codes_ == ti
            yt, Pt = y[m], P[m]
            _, gt = np.unique(self.group_codes_[m], return_inverse=True)
            n_g = int(gt.max()) + 1
            st = in_src[m]
            # per labelled group: true x predicted counts, true x summed probability of each class;
            # [0] all rows (the prior), [1] the chosen sources' rows
            cells = np.zeros((2, n_g, K, K))
            soft = np.zeros((2, n_g, K, K))
            for k, rows in enumerate((np.ones(len(yt), dtype=bool), st)):
                np.add.at(cells[k], (gt[rows], yt[rows], Pt[rows].argmax(1)), 1.0)
                np.add.at(soft[k], (gt[rows], yt[rows]), Pt[rows])

            def rates(c, s):
                if not chosen:
                    return rates_from_counts(c[0], s[0])
                ph, ps, _ = rates_from_counts(c[0], s[0])
                return rates_from_counts(c[1], s[1], prior=(ph, ps), prior_rows=float(self.prior_rows))

            hard_r, soft_r, counts = rates(cells.sum(1), soft.sum(1))
            self.rates_[t], self.soft_rates_[t] = hard_r, soft_r
            self.class_counts_[t] = cells[0].sum(axis=(0, 2)).astype(int)
            self.source_class_counts_[t] = counts.astype(int)
            self.condition_[t] = {"acc": float(np.linalg.cond(hard_r)), "pacc": float(np.linalg.cond(soft_r))}
            self.n_rows_[t], self.n_groups_[t] = int(st.sum()), n_g
            W = _multiplicities(rng, self.n_bootstrap, n_g)
            bh, bs, _ = rates(np.einsum("bg,kgij->kbij", W, cells), np.einsum("bg,kgij->kbij", W, soft))
            self.boot_rates_[t], self.boot_soft_rates_[t] = bh, bs
            # kdey: the rows (and the corner pseudo-rows) and each class's weights on them; the bootstrap's,
            # from the same resamples, only where kdey is the method (only its interval is drawn)
            use_prior = bool(chosen) and float(self.prior_rows) > 0
            self.kde_rows_[t] = kde_points(np.vstack([Pt, np.eye(K)]), self.kde_space)
            self.kde_weights_[t] = kde_class_weights(yt, st, np.ones(len(yt)), float(self.prior_rows), use_prior)
            if self.method == "kdey":
                self.boot_kde_weights_[t] = kde_class_weights(yt, st, W[:, gt], float(self.prior_rows),
                                                              use_prior).astype(np.float32)
        return self

    def _target(self, target: str) -> str | None:
        check_is_fitted(self, "rates_")
        k = target_key(target)
        for t in self.targets_:
            if target_key(t) == k:
                return t
        return None

    def _correct(self, M: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raw = solve_unconstrained(M, q)
        return (solve_simplex(M, q) if self.solver == "simplex" else clip_to_simplex(raw)), raw

    def _kdey(self, kernel: np.ndarray, weights: np.ndarray, unit_weights: np.ndarray | None = None,
              max_bytes: float = 64e6) -> np.ndarray:
        """KDEy-ML mixture weights from the units' ``kernel`` rows and the classes' row ``weights``:
        (K,) for (n_rows, K) weights, (B, K) for (B, n_rows, K) bootstrap weights (then
        ``unit_weights`` (B, n_units)), in batches of replicates whose densities fit ``max_bytes``."""
        if weights.ndim == 2:
            return mixture_weights(kernel @ weights)
        batch = max(1, int(max_bytes // (len(kernel) * K * 8)))
        out = np.empty((len(weights), K))
        for s in range(0, len(weights), batch):
            Wb = weights[s:s + batch]
            D = np.einsum("ul,blk->buk", kernel, Wb, optimize=True)
            out[s:s + batch] = mixture_weights(D, None if unit_weights is None else unit_weights[s:s + batch])
        return out

    # -- estimates ----------------------------------------------------------------------------------
    def estimate(self, proba, target: str) -> dict[str, np.ndarray]:
        """Point estimates for one group: ``cc``, ``pcc``, ``acc``, ``pacc``, ``kdey`` (each a (3,)
        vector in CLASSES order) and ``acc_unconstrained``, ``pacc_unconstrained``; the corrected
        ones are NaN when the target has no correction."""
        P = _check_proba(proba)
        t = self._target(target)
        return self._estimates(P, t, None if t is None or not len(P) else self._kernel(P, t))

    def _kernel(self, P: np.ndarray, t: str) -> np.ndarray:
        return kernel_matrix(kde_points(P, self.kde_space), self.kde_rows_[t], self.bandwidth)

    def _estimates(self, P: np.ndarray, t: str | None, kern: np.ndarray | None) -> dict[str, np.ndarray]:
        if len(P) == 0:
            raise InputError("an empty group has no prevalence")
        q = np.bincount(P.argmax(1), minlength=K) / len(P)
        qs = P.mean(0)
        out = {"cc": q, "pcc": qs}
        for name, M, qq in (("acc", None if t is None else self.rates_[t], q),
                            ("pacc", None if t is None else self.soft_rates_[t], qs)):
            if M is None:
                out[name] = out[f"{name}_unconstrained"] = np.full(K, np.nan)
            else:
                out[name], out[f"{name}_unconstrained"] = self._correct(M, qq)
        out["kdey"] = np.full(K, np.nan) if t is None else self._kdey(kern, self.kde_weights_[t])
        return out

    def shares(self, proba, target: str, clusters=None, seed: int | None = None) -> dict:
        """Estimates, bootstrap intervals and flags for one group of units toward ``target``.

        ``clusters`` (one key per unit, e.g. the article of each chunk) are resampled whole;
        default: every unit is its own. Returns ``estimates`` (as :meth:`estimate`),
        ``intervals`` ({method: (lo, hi) arrays}), ``n``, ``n_clusters``, ``flags`` (sorted
        names), ``condition`` (of ``method``'s matrix) and ``p_outside`` (share of replicates
        whose unconstrained ``method`` estimate left the simplex).
        """
        P = _check_proba(proba)
        t = self._target(target)
        kern = None if t is None or not len(P) else self._kernel(P, t)
        est = self._estimates(P, t, kern)
        n = len(P)
        cl = np.arange(n) if clusters is None else _group_codes(clusters)
        if len(cl) != n:
            raise InputError(f"proba and clusters differ in length ({n}, {len(cl)})")
        n_cl = int(cl.max()) + 1
        hard = np.zeros((n_cl, K))
        np.add.at(hard, (cl, P.argmax(1)), 1.0)
        soft = np.zeros((n_cl, K))
        np.add.at(soft, cl, P)
        size = hard.sum(1)
        rng = np.random.default_rng(self.random_state if seed is None else seed)
        V = _multiplicities(rng, self.n_bootstrap, n_cl)
        tot = V @ size
        qb, qsb = (V @ hard) / tot[:, None], (V @ soft) / tot[:, None]
        lo_pct, hi_pct = (1 - self.level) / 2 * 100, (1 + self.level) / 2 * 100

        def interval(x):
            return np.percentile(x, lo_pct, axis=0), np.percentile(x, hi_pct, axis=0)

        intervals = {"cc": interval(qb), "pcc": interval(qsb)}
        flags = set()
        if n_cl < self.min_units:
            flags.add("few_units")
        out = {"estimates": est, "intervals": intervals, "n": n, "n_clusters": n_cl, "condition": np.nan,
               "p_outside": np.nan}
        if t is None:
            intervals["acc"] = intervals["pacc"] = intervals["kdey"] = (np.full(K, np.nan), np.full(K, np.nan))
            flags.add("no_correction")
            out["flags"] = sorted(flags, key=FLAGS.index)
            return out
        raw = {}
        for name, Mb, qq in (("acc", self.boot_rates_[t], qb), ("pacc", self.boot_soft_rates_[t], qsb)):
            fixed, raw[name] = self._correct(Mb, qq)
            intervals[name] = interval(fixed)
        if self.method == "kdey":  # its interval costs a kernel density per replicate: only when it is the method
            intervals["kdey"] = interval(self._kdey(kern, self.boot_kde_weights_[t], V[:, cl]))
        else:
            intervals["kdey"] = (np.full(K, np.nan), np.full(K, np.nan))
        diag = DIAGNOSTIC[self.method]
        cond = self.condition_[t][diag]
        out["condition"] = cond
        if not np.isfinite(cond) or cond > self.max_condition:
            flags.add("ill_conditioned")
        if (self.class_counts_[t] == 0).any():
            flags.add("class_unlabelled")
        r = raw[diag]
        out["p_outside"] = float((r < -1e-9).any(axis=1).mean())
        if (np.percentile(r, hi_pct, axis=0) < -self.tolerance).any():
            flags.add("outside_simplex")
        d = raw["acc"] - raw["pacc"]
        a = (1 - self.level) / K / 2 * 100
        dlo, dhi = np.percentile(d, a, axis=0), np.percentile(d, 100 - a, axis=0)
        if ((dlo > self.tolerance) | (dhi < -self.tolerance)).any():
            flags.add("methods_disagree")
        out["flags"] = sorted(flags, key=FLAGS.index)
        return out

    # -- persistence: JSON + .npy, no pickle ----------------------------------------------------------
    def save(self, path: str | Path, meta: dict | None = None) -> Path:
        """Write the correction as ``correction.json`` (parameters, per-target rate matrices, counts,
        condition numbers, ``meta``) and the labelled out-of-fold arrays as ``.npy`` files."""
        from ..io import atomic_path, dumps_json, sha256_file

        check_is_fitted(self, "rates_")
        path = Path(path)
        if path.exists() and not (path / "correction.json").exists():
            raise InputError(f"{path}: exists and is not a prevalence correction; refusing to overwrite it")
        with atomic_path(path, is_dir=True) as tmp:
            tmp.mkdir(parents=True, exist_ok=True)
            for name, arr in (("labels", self.labels_.astype(np.int8)), ("proba", self.proba_),
                              ("target_codes", self.target_codes_.astype(np.int32)),
                              ("group_codes", self.group_codes_.astype(np.int64)),
                              ("source_codes", self.source_codes_.astype(np.int32))):
                with open(tmp / f"{name}.npy", "wb") as fh:
                    np.save(fh, np.ascontiguousarray(arr), allow_pickle=False)
            files = {p.name: sha256_file(p) for p in sorted(tmp.glob("*.npy"))}
            doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "params": self.get_params(),
                   "classes": list(CLASSES), "targets": self.targets_, "sources": self.source_names_,
                   "matrix_convention": "M[i][j] = rate of predicted class i among labelled rows of true class j",
                   "per_target": {t: {"rates": self.rates_[t].tolist(), "soft_rates": self.soft_rates_[t].tolist(),
                                      "class_counts": dict(zip(CLASSES, self.class_counts_[t].tolist())),
                                      "source_class_counts": dict(zip(CLASSES, self.source_class_counts_[t].tolist())),
                                      "condition": self.condition_[t], "n_rows": self.n_rows_[t],
                                      "n_groups": self.n_groups_[t]} for t in self.targets_},
                   "meta": meta or {}, "files": files}
            (tmp / "correction.json").write_text(dumps_json(doc), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path, **overrides) -> "StancePrevalence":
        """Read a saved correction; ``overrides`` change parameters (e.g. ``n_bootstrap``), and the
        bootstrap replicates are drawn again from the saved labelled arrays."""
        from ..io import sha256_file

        d = Path(path)
        f = d / "correction.json"
        if not f.exists():
            raise ModelFileError(f"{d}: not a prevalence correction (no correction.json); write one with "
                                 "`topicstance stance shares ... --cv-predictions reports/stance/cv_predictions.csv`")
        try:
            doc = json.loads(f.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ModelFileError(f"{f}: not valid JSON ({exc.msg})") from None
        if doc.get("format") != FORMAT or doc.get("format_version") != FORMAT_VERSION:
            raise ModelFileError(f"{f}: not a topicstance prevalence correction of format version {FORMAT_VERSION}")
        if doc.get("classes") != list(CLASSES):
            raise ModelFileError(f"{f}: classes {doc.get('classes')} differ from {list(CLASSES)}")
        missing = [k for k in ("params", "targets", "sources", "per_target", "files") if k not in doc]
        want = {f"{n}.npy" for n in ("labels", "proba", "target_codes", "group_codes", "source_codes")}
        if missing or set(doc["files"]) != want:
            raise ModelFileError(f"{f}: incomplete correction ({'no ' + missing[0] if missing else 'files differ'}); "
                                 "write it again with `topicstance stance shares ... --cv-predictions FILE --correction DIR`")
        arrays = {}
        for name, sha in doc["files"].items():
            if not (d / name).exists():
                raise ModelFileError(f"{d}: missing file {name}")
            if sha256_file(d / name) != sha:
                raise ModelFileError(f"{d / name}: changed since the correction was saved (sha256 differs)")
            try:
                arrays[name[:-4]] = np.load(d / name, allow_pickle=False)
            except (OSError, ValueError) as exc:
                raise ModelFileError(f"{d / name}: unreadable array ({exc})") from None
        # a correction saved before kde_space existed had its densities in the simplex
        est = cls(**{"kde_space": "simplex", **doc["params"], **overrides})
        names = doc["targets"]
        sources = np.array(doc["sources"], dtype=object)[arrays["source_codes"]]
        est.fit(np.array(CLASSES)[arrays["labels"]], arrays["proba"],
                [names[i] for i in arrays["target_codes"]], arrays["group_codes"], sources)
        saved = doc["params"]
        if list(est.sources or ()) == list(saved.get("sources") or ()) and est.prior_rows == saved.get("prior_rows"):
            for t in names:  # the same rows and prior give the same matrices
                if not np.allclose(est.rates_[t], doc["per_target"][t]["rates"]):
                    raise ModelFileError(f"{f}: the rates of {t} do not match its arrays")
        est.meta_ = doc.get("meta", {})
        return est
