"""StanceClassifier as a scikit-learn estimator: fit(X, y), Pipeline, GridSearchCV, state in the open."""
import json

import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from topicstance.stance.classifier import StanceClassifier

from .conftest import make_labels


def _xy(df):
    return df[["text", "target"]], df["stance"].to_numpy()


def test_fit_x_y_equals_fit_on_parallel_lists(labels):
    X, y = _xy(labels)
    a = StanceClassifier(method="tfidf").fit(X, y)
    b = StanceClassifier(method="tfidf").fit(labels["text"].tolist(), labels["target"].tolist(), y.tolist())
    assert np.allclose(a.predict_proba(X), b.predict_proba(labels["text"].tolist(), labels["target"].tolist()))
    pairs = list(zip(labels["text"], labels["target"]))
    assert (a.predict(pairs) == a.predict(X)).all() and a.score(X, y) > 0.9


def test_it_works_inside_a_pipeline_and_a_grid_search():
    train, held = make_labels(per_template=3), make_labels(per_template=5).iloc[lambda d: d.index % 5 >= 3]
    X, y = _xy(train)
    lower = FunctionTransformer(lambda d: d.assign(text=d["text"].str.lower()))
    pipe = Pipeline([("lower", lower), ("stance", StanceClassifier(method="tfidf"))]).fit(X, y)
    Xh, yh = _xy(held)
    assert (pipe.predict(Xh) == yh).mean() >= 0.9
    grid = GridSearchCV(StanceClassifier(method="tfidf"), {"C": [0.05, 1.0]}, cv=3, scoring="f1_macro").fit(X, y)
    assert grid.best_params_["C"] in (0.05, 1.0) and len(grid.cv_results_["mean_test_score"]) == 2
    assert (grid.predict(Xh) == yh).mean() >= 0.9


def test_state_is_plain_data_and_round_trips(labels):
    X, y = _xy(labels)
    clf = StanceClassifier(method="tfidf").fit(X, y)
    state = clf.get_state()
    json.dumps(state["config"]), json.dumps(state["json"])
    assert all(isinstance(a, np.ndarray) and a.dtype != object for a in state["arrays"].values())
    back = StanceClassifier.from_state(state)
    assert np.allclose(back.predict_proba(X), clf.predict_proba(X))


def test_learned_attributes_are_public_and_end_in_underscore(labels):
    clf = StanceClassifier(method="tfidf").fit(*_xy(labels))
    assert [k for k in vars(clf) if k.startswith("_")] == []
    assert {k for k in vars(clf) if k.endswith("_")} >= {"heads_", "targets_", "ngrams_", "classes_", "n_train_"}
