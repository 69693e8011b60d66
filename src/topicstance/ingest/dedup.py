"""Exact and near-duplicate articles: MinHash over word shingles with LSH banding.

An article is a duplicate of an earlier one when its normalised text is equal
(similarity 1.0) or when the MinHash estimate of the Jaccard similarity of
their ``shingle_size``-word shingles is at least ``threshold``. The first
occurrence (in input order) is kept.

Speed (a million table rows): a word is hashed once (blake2b, cached) and a
shingle's hash is a polynomial of its words' hashes, computed for all of a
text's shingles at once; signatures are computed for ``SIG_BATCH`` texts in
one array operation; each LSH band is keyed by one 64-bit integer. Only the
bucket walk, which depends on the texts before, stays a loop.
"""
from __future__ import annotations

import hashlib
import re

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)


SIG_BATCH = 512
_POLY = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier of the shingle polynomial (mod 2**64)


def _word_hash(w: str) -> int:
    return int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")


_EMPTY = np.array([_word_hash("") >> 4], dtype=np.uint64)


class _Shingler:
    """Hashes of a text's distinct ``k``-word shingles; word hashes cached across texts."""

    def __init__(self, k: int):
        self.k = k
        self.cache: dict[str, int] = {}
        self.pows = np.array([pow(int(_POLY), k - 1 - i, 1 << 64) for i in range(k)], dtype=np.uint64)

    def __call__(self, text: str) -> np.ndarray:
        toks = _WORD.findall(text.lower())
        if not toks:
            return _EMPTY
        c = self.cache
        for t in toks:
            if t not in c:
                c[t] = _word_hash(t)
        th = np.fromiter((c[t] for t in toks), dtype=np.uint64, count=len(toks))
        k = min(self.k, len(toks))
        pows = self.pows[self.k - k:]
        n = len(toks) - k + 1
        h = np.zeros(n, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for i in range(k):
                h += th[i:i + n] * pows[i]
        return np.unique(h >> np.uint64(4))


def signatures(hashes: list[np.ndarray], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(len(hashes), num_perm)`` MinHash signatures of several texts' shingle hashes at once.

    Permutation ``i`` is the multiply-add hash ``(a_i * h + b_i) mod 2**64`` (``a_i`` odd), whose
    upper bits are a good 2-independent family: no modulo by a prime, which made the signatures
    the slowest step of ingest."""
    sizes = np.array([len(h) for h in hashes], dtype=np.int64)
    h = np.concatenate(hashes)
    with np.errstate(over="ignore"):
        vals = a[:, None] * h[None, :]
        vals += b[:, None]
    vals >>= np.uint64(32)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return np.minimum.reduceat(vals, starts, axis=1).T.copy()


def _perm_params(num_perm: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 1 << 63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)  # odd
    b = rng.integers(0, 1 << 63, size=num_perm, dtype=np.uint64)
    return a, b


def minhash(text: str, k: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The MinHash signature of one text (see :func:`signatures`)."""
    return signatures([_Shingler(k)(text)], a, b)[0]


def normalized_key(text: str) -> str:
    return hashlib.sha256(" ".join(_WORD.findall(text.lower())).encode()).hexdigest()


def find_duplicates(texts: list[str], threshold: float = 0.8, shingle_size: int = 5,
                    num_perm: int = 128) -> list[tuple[int, int, float]]:
    """Return ``(dropped_index, kept_index, similarity)`` for every duplicate."""
    out: list[tuple[int, int, float]] = []
    exact: dict[str, int] = {}
    a, b = _perm_params(num_perm)
    bands = _bands_for(threshold, num_perm)
    rows = num_perm // bands
    band_mult = np.array([pow(int(_POLY), rows - 1 - i, 1 << 64) for i in range(rows)], dtype=np.uint64)
    buckets: list[dict[int, object]] = [{} for _ in range(bands)]  # key -> row, or list of rows
    sigs: dict[int, np.ndarray] = {}
    shingle = _Shingler(shingle_size)
    for s0 in range(0, len(texts), SIG_BATCH):
        batch = texts[s0:s0 + SIG_BATCH]
        S = signatures([shingle(t) for t in batch], a, b)
        with np.errstate(over="ignore"):
            K = (S.reshape(len(batch), bands, rows) * band_mult).sum(axis=2)  # one key per band
        for off, t in enumerate(batch):
            i = s0 + off
            key = normalized_key(t)
            if key in exact:
                out.append((i, exact[key], 1.0))
                continue
            exact[key] = i
            sig, keys = S[off], K[off].tolist()
            cands: set[int] = set()
            for band in range(bands):
                hit = buckets[band].get(keys[band])
                if hit is not None:
                    cands.update(hit if isinstance(hit, list) else (hit,))
            best, best_sim = None, -1.0
            for j in sorted(cands):
                sim = float(np.mean(sigs[j] == sig))
                if sim > best_sim:
                    best, best_sim = j, sim
            if best is not None and best_sim >= threshold:
                out.append((i, best, round(best_sim, 4)))
                continue
            sigs[i] = sig
            for band in range(bands):
                bk = buckets[band]
                hit = bk.get(keys[band])
                if hit is None:
                    bk[keys[band]] = i
                elif isinstance(hit, list):
                    hit.append(i)
                else:
                    bk[keys[band]] = [hit, i]
    return out


def _bands_for(threshold: float, num_perm: int) -> int:
    """Pick the band count whose LSH S-curve midpoint sits well below ``threshold`` (few misses)."""
    best, best_gap = 1, 1e9
    for bands in range(1, num_perm + 1):
        if num_perm % bands:
            continue
        rows = num_perm // bands
        mid = (1.0 / bands) ** (1.0 / rows)
        gap = abs(mid - (threshold - 0.2))
        if gap < best_gap:
            best, best_gap = bands, gap
    return best
