"""Shared fixtures.

``project_outputs`` points at the seed pipeline's outputs that ``make test``
builds first with ``dvc repro``. ``press_release_run`` is a ``topicstance run``
(with stance and the report) over a slice of the presidential press releases in
``../shared/corpora``. Under ``CI=true`` missing inputs or outputs fail the
test; elsewhere they skip it with what to do.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds" / "corpus"
SHARED = ROOT.parent / "shared"


def missing_input(msg: str):
    """A test input that is not there: a failure under ``CI=true``, else a skip."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg)
    pytest.skip(msg)


def require(path: Path, how: str = "run `make repro` first"):
    if not path.exists():
        missing_input(f"missing pipeline output {path} ({how})")
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


PRESS_RELEASES = SHARED / "corpora" / "presidential_press_releases"
PRESS_OUTLETS = ("kremlin", "president_of_ukraine")


def press_release_slice(per_outlet: int, start: str = "2022-01-10", end: str = "2022-04-10"):
    """``per_outlet`` releases of each office, evenly spread in time over [start, end) (across the
    invasion of 24 February 2022), as one table with an ``outlet`` column: the README's one-liner
    (``link`` -> ``id``, ``headline`` -> ``title``, ``body`` -> ``text``) on a slice."""
    import numpy as np
    import pandas as pd

    parts = []
    for outlet in PRESS_OUTLETS:
        f = require(PRESS_RELEASES / f"{outlet}.csv", "the shared corpus ../shared/corpora/presidential_press_releases")
        df = pd.read_csv(f).assign(outlet=outlet).sort_values("date", kind="stable")
        df = df[(df["date"] >= start) & (df["date"] < end)]
        parts.append(df.iloc[np.linspace(0, len(df) - 1, per_outlet).round().astype(int)])
    return pd.concat(parts).rename(columns={"link": "id", "headline": "title", "body": "text"})


@pytest.fixture(scope="session")
def press_release_run(tmp_path_factory) -> Path:
    """``topicstance run`` over 30 releases per office (Jan-Apr 2022) with a stance model trained on
    the project's labels (tf-idf, the quickest method), then ``topicstance report``: real data for
    the time and outlet views. Its own embedding cache."""
    import pandas as pd

    from topicstance.params import EmbedParams, Params
    from topicstance.pipeline import run_pipeline
    from topicstance.stance.classifier import StanceClassifier

    out = tmp_path_factory.mktemp("press-run")
    press_release_slice(30).to_csv(out / "press_releases.csv", index=False)
    labels = pd.read_csv(require(ROOT / "seeds" / "labels" / "stance.csv", "the committed stance labels"))
    labels = labels[labels["split"] == "train"]
    StanceClassifier(method="tfidf").fit(labels["text"].tolist(), labels["target"].tolist(),
                                         labels["stance"].tolist()).save(out / "stance-model")
    params = Params(embed=EmbedParams(cache_dir=str(out / "emb-cache")))
    run_pipeline(out / "press_releases.csv", out / "run", params, stance_model=out / "stance-model")
    return out / "run"  # run writes data/, models/ and reports/ (with the report figures) there


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
    return pd.DataFrame({"article_id": [f"a{i}" for i in range(n)], "source": ["test"] * n, "outlet": [None] * n,
                         "title": [None] * n, "text": texts, "date": [None] * n, "page_date": [None] * n, "tags": [[]] * n,
                         "summary": [None] * n})
