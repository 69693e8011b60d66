"""Tiny data for the topics tests, built here.

* ``blobs``: Gaussian blobs on the unit sphere (clustering-only tests).
* ``themed_texts``: short sentences on four themes, made from templates, and
  ``themed_embeddings``: their real all-MiniLM-L6-v2 embeddings through
  :class:`Embedder` with a fresh (empty) cache.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

THEMES = {
    "football": (["The striker", "Our goalkeeper", "The home team", "The young midfielder", "The club captain",
                  "The visiting side"],
                 ["scored a late goal in", "was sent off during", "celebrated a win in", "missed a penalty in",
                  "trained hard before"],
                 ["the league match", "the cup final", "the derby against the rivals", "the football championship",
                  "the second half of the game"]),
    "cooking": (["The chef", "My grandmother", "The pastry cook", "The restaurant kitchen", "A home baker",
                 "The cookery teacher"],
                ["slowly roasted", "baked", "seasoned and grilled", "simmered", "chopped and fried"],
                ["garlic and onions for the soup", "fresh bread dough in the oven", "a tomato sauce with basil",
                 "vegetables for the dinner recipe", "chocolate cake for dessert"]),
    "markets": (["Investors", "The central bank", "Bond traders", "Shareholders", "The stock exchange",
                 "Hedge funds"],
                ["sold shares after", "reacted nervously to", "bought bonds because of", "worried about",
                 "cut their forecasts following"],
                ["rising interest rates", "weak quarterly earnings", "inflation figures", "a slump in share prices",
                 "the currency falling against the dollar"]),
    "space": (["The rocket", "Astronauts", "The space agency", "A satellite", "The lunar probe",
               "Mission control"],
              ["launched toward", "docked with", "sent images from", "orbited", "prepared a mission to"],
              ["the International Space Station", "the surface of Mars", "the far side of the Moon",
               "a distant asteroid", "Jupiter's icy moons"]),
}


def make_texts(per_theme: int = 30, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    texts, themes = [], []
    for name, (subj, verb, obj) in THEMES.items():
        combos = list(itertools.product(subj, verb, obj))
        pick = rng.choice(len(combos), size=per_theme, replace=False)
        for i in pick:
            s, v, o = combos[i]
            texts.append(f"{s} {v} {o}.")
            themes.append(name)
    return texts, themes


def embed(texts, cache_dir, monkeypatch=None):
    from topicstance.embed.encoder import Embedder

    e = Embedder(cache_dir=cache_dir, precision="float32", show_progress=False)
    v = e.encode(texts)
    assert e.stats.misses == len(set(texts)), "the cache was expected to be empty"
    e.cache.close()
    return v


@pytest.fixture(scope="session")
def themed_texts():
    return make_texts()


@pytest.fixture(scope="session")
def themed_embeddings(themed_texts, tmp_path_factory):
    """Real embeddings of ``themed_texts`` from a fresh cache."""
    with pytest.MonkeyPatch.context() as mp:
        d = tmp_path_factory.mktemp("emb-cache")
        mp.setenv("TOPICSTANCE_CACHE", str(d))
        return embed(themed_texts[0], d)


def make_blobs(n_per: int = 40, k: int = 4, dim: int = 32, spread: float = 0.08, seed: int = 0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(k, dim))
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    X = np.concatenate([c + spread * rng.normal(size=(n_per, dim)) for c in centers]).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = np.repeat(np.arange(k), n_per)
    words = [["alpha", "apple", "amber"], ["beta", "banana", "bronze"], ["gamma", "grape", "garnet"],
             ["delta", "date", "diamond"], ["eps", "elder", "emerald"], ["zeta", "zest", "zircon"]]
    texts = [" ".join(rng.choice(words[c % len(words)], size=4)) + f" item{i}" for i, c in enumerate(y)]
    return texts, X, y


@pytest.fixture(scope="session")
def blobs():
    return make_blobs()


def small_project(root, texts, X, *, article_of=None, dates=None, sources=None, duplicates=None):
    """Write chunks/articles/duplicates/embeddings under ``root/data`` as the earlier stages would."""
    from topicstance.embed.store import write_embeddings

    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    n = len(texts)
    article_of = article_of or [f"a{i // 2:03d}" for i in range(n)]
    chunk_ids = [f"{a}#{i}" for i, a in enumerate(article_of)]
    pos = pd.Series(article_of).groupby(article_of).cumcount().to_numpy()
    pd.DataFrame({"chunk_id": chunk_ids, "article_id": article_of, "position": pos.astype("int64"),
                  "char_start": np.zeros(n, dtype="int64"), "char_end": np.array([len(t) for t in texts], dtype="int64"),
                  "n_tokens": np.full(n, 12, dtype="int64"), "text": texts}).to_parquet(data / "chunks.parquet",
                                                                                          index=False)
    arts = list(dict.fromkeys(article_of))
    pd.DataFrame({"article_id": arts,
                  "source": sources or [("s1" if i % 2 else "s2") for i in range(len(arts))],
                  "outlet": [None] * len(arts),
                  "title": [None] * len(arts), "text": ["x"] * len(arts),
                  "date": dates or [f"2024-0{1 + i % 3}-15" for i in range(len(arts))],
                  "page_date": ["2030-12-31"] * len(arts), "tags": [None] * len(arts),
                  "summary": [None] * len(arts)}).to_parquet(data / "articles.parquet", index=False)
    dups = duplicates or []
    pd.DataFrame({"article_id": [d[0] for d in dups], "duplicate_of": [d[1] for d in dups],
                  "similarity": [1.0] * len(dups)}).astype({"article_id": "object", "duplicate_of": "object",
                                                            "similarity": "float64"}).to_parquet(
        data / "duplicates.parquet", index=False)
    write_embeddings(data / "embeddings", chunk_ids, X, {"model": "all-MiniLM-L6-v2", "weights_sha256": "test"})
    return data
