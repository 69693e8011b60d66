"""Shared fixtures.

``project_outputs`` points at the seed pipeline's outputs that ``make test``
builds first with ``dvc repro``. Under ``CI=true`` missing outputs fail the
test; elsewhere they skip it with the command to run.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds" / "corpus"
SHARED = ROOT.parent / "shared"


def require(path: Path, how: str = "run `make repro` first"):
    if not path.exists():
        msg = f"missing pipeline output {path} ({how})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def project_outputs() -> Path:
    """The project root after `dvc repro` on the seeds (data/, models/, reports/)."""
    require(ROOT / "data" / "chunks.parquet")
    require(ROOT / "data" / "embeddings" / "vectors.npy")
    return ROOT


@pytest.fixture(scope="session")
def tokenizer():
    from topicstance.embed.model import load_tokenizer

    return load_tokenizer("all-MiniLM-L6-v2")


@pytest.fixture(autouse=True, scope="session")
def _no_inherited_cache_env():
    """`make` exports TOPICSTANCE_CACHE for the pipeline; tests choose their caches themselves
    (session scope, so it also holds while module- and session-scoped fixtures are built)."""
    saved = os.environ.pop("TOPICSTANCE_CACHE", None)
    yield
    if saved is not None:
        os.environ["TOPICSTANCE_CACHE"] = saved


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty embedding cache for one test."""
    d = tmp_path / "emb-cache"
    monkeypatch.setenv("TOPICSTANCE_CACHE", str(d))
    return d


def articles_table(texts: list[str]) -> pd.DataFrame:
    """A tiny articles.parquet frame that meets the data contract."""
    n = len(texts)
    return pd.DataFrame({"article_id": [f"a{i}" for i in range(n)], "source": ["test"] * n, "title": [None] * n,
                         "text": texts, "date": [None] * n, "page_date": [None] * n, "tags": [[]] * n,
                         "summary": [None] * n})
