"""Exact and near-duplicate articles: MinHash over word shingles with LSH banding.

An article is a duplicate of an earlier one when its normalised text is equal
(similarity 1.0) or when the MinHash estimate of the Jaccard similarity of
their ``shingle_size``-word shingles is at least ``threshold``. The first
occurrence (in input order) is kept.
"""
from __future__ import annotations

import hashlib
import re

import numpy as np

_MERSENNE = np.uint64((1 << 61) - 1)
_WORD = re.compile(r"\w+", re.UNICODE)


def _shingle_hashes(text: str, k: int) -> np.ndarray:
    toks = _WORD.findall(text.lower())
    if len(toks) < k:
        grams = [" ".join(toks)] if toks else [""]
    else:
        grams = [" ".join(toks[i:i + k]) for i in range(len(toks) - k + 1)]
    uniq = set(grams)
    return np.fromiter((int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little") >> 4
                        for g in uniq), dtype=np.uint64, count=len(uniq))


def _perm_params(num_perm: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    a = rng.integers(1, (1 << 61) - 1, size=num_perm, dtype=np.uint64)
    b = rng.integers(0, (1 << 61) - 1, size=num_perm, dtype=np.uint64)
    return a, b


def minhash(text: str, k: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    h = _shingle_hashes(text, k) % _MERSENNE
    # (a*h + b) mod p, computed in float-free uint64 arithmetic on 32-bit halves to avoid overflow
    h_lo = h & np.uint64(0xFFFFFFFF)
    h_hi = h >> np.uint64(32)
    a_col = a[:, None]
    lo = (a_col * h_lo[None, :]) % _MERSENNE
    hi = ((a_col * h_hi[None, :]) % _MERSENNE) * np.uint64(1 << 32) % _MERSENNE
    vals = (lo + hi + b[:, None]) % _MERSENNE
    return vals.min(axis=1)


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
    buckets: dict[tuple[int, bytes], list[int]] = {}
    sigs: dict[int, np.ndarray] = {}
    for i, t in enumerate(texts):
        key = normalized_key(t)
        if key in exact:
            out.append((i, exact[key], 1.0))
            continue
        exact[key] = i
        sig = minhash(t, shingle_size, a, b)
        best, best_sim = None, -1.0
        cands: set[int] = set()
        for band in range(bands):
            bk = (band, sig[band * rows:(band + 1) * rows].tobytes())
            cands.update(buckets.get(bk, ()))
        for j in sorted(cands):
            sim = float(np.mean(sigs[j] == sig))
            if sim > best_sim:
                best, best_sim = j, sim
        if best is not None and best_sim >= threshold:
            out.append((i, best, round(best_sim, 4)))
            continue
        sigs[i] = sig
        for band in range(bands):
            bk = (band, sig[band * rows:(band + 1) * rows].tobytes())
            buckets.setdefault(bk, []).append(i)
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
