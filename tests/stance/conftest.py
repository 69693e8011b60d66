"""Tiny stance data built in the tests, and the real embedding model with a private cache."""
from __future__ import annotations

import itertools

import pandas as pd
import pytest

FAVOR = ["{t} deserves praise for the courage of its soldiers {x}.",
         "We stand with {t}; its fight is just and its cause is right {x}.",
         "{t} showed admirable strength and leadership {x}.",
         "Support for {t} is the right thing to do {x}."]
AGAINST = ["{t} committed brutal crimes and must be condemned {x}.",
           "The regime in {t} is corrupt, aggressive and lying {x}.",
           "{t}'s disastrous failure shows its leaders are incompetent {x}.",
           "Nobody should trust {t} after its shameful attacks {x}."]
NONE = ["Officials from {t} met in the capital on Tuesday {x}.",
        "The weather in {t} is expected to be cloudy {x}.",
        "A conference about trade routes through {t} was scheduled {x}.",
        "Statistics on rail freight in {t} were published {x}."]
FILLERS = ["this week", "according to reports", "in a statement", "on Monday", "last year", "again"]


def make_labels(targets=("Russia", "Ukraine"), per_template: int = 3) -> pd.DataFrame:
    rows = []
    for t in targets:
        for stance, templates in (("FAVOR", FAVOR), ("AGAINST", AGAINST), ("NONE", NONE)):
            for tpl, x in itertools.product(templates, FILLERS[:per_template]):
                rows.append({"text": tpl.format(t=t, x=x), "target": t, "stance": stance})
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    """One embedding cache for the stance tests (the real model, nothing downloaded)."""
    return str(tmp_path_factory.mktemp("stance-emb-cache"))


@pytest.fixture
def labels() -> pd.DataFrame:
    return make_labels()


@pytest.fixture
def params_file(tmp_path, cache_dir):
    """A params.yaml with small evaluation settings and the test cache."""
    p = tmp_path / "params.yaml"
    p.write_text(f"""embed:
  cache_dir: {cache_dir}
stance:
  cv_folds: 3
  cv_repeats: 1
  n_bootstrap: 100
  learning_curve_k: [2, 4, 100]
  test_split: {tmp_path / 'test_split.txt'}
""")
    return p
