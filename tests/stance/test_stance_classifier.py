import json
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from topicstance.errors import InputError, ModelFileError, ParamsError
from topicstance.stance import CLASSES
from topicstance.stance.classifier import StanceClassifier

from .conftest import make_labels


def _clf(cache_dir, **kw):
    return StanceClassifier(cache_dir=cache_dir, precision="float32", **kw)


def _fit(clf, df):
    return clf.fit(df["text"].tolist(), df["target"].tolist(), df["stance"].tolist())


def test_init_only_stores_parameters_and_clones():
    clf = StanceClassifier(method="tfidf", C=0.5)
    assert clf.get_params()["C"] == 0.5 and not [k for k in vars(clf) if k.endswith("_")]
    assert clone(clf).get_params() == clf.get_params()


def test_predict_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        StanceClassifier(method="tfidf").predict(["a"], ["Russia"])


def test_bad_method_names_the_parameter(labels):
    with pytest.raises(ParamsError, match="stance.method"):
        _fit(StanceClassifier(method="bert"), labels)


def test_probabilities_are_rows_over_favor_against_none(labels, cache_dir):
    clf = _fit(_clf(cache_dir, method="tfidf"), labels)
    P = clf.predict_proba(labels["text"].tolist(), labels["target"].tolist())
    assert clf.classes_ == CLASSES == ("FAVOR", "AGAINST", "NONE")
    assert P.shape == (len(labels), 3) and np.allclose(P.sum(1), 1.0)
    assert (np.array(CLASSES)[P.argmax(1)] == clf.predict(labels["text"].tolist(), labels["target"].tolist())).all()


@pytest.mark.parametrize("method", ["tfidf", "embedding-lr", "hybrid"])
def test_each_method_learns_held_out_phrasings(method, cache_dir):
    train = make_labels(per_template=3)
    held = make_labels(per_template=5).iloc[lambda d: d.index % 5 >= 3]  # fillers not seen in training
    clf = _fit(_clf(cache_dir, method=method), train)
    acc = (clf.predict(held["text"].tolist(), held["target"].tolist()) == held["stance"].to_numpy()).mean()
    assert acc >= 0.9


def test_target_aware_model_reads_the_same_text_differently_per_target(cache_dir):
    import pandas as pd

    texts = [f"Kyiv's troops pushed the invaders back near {c}." for c in ("Izium", "Kherson", "Bakhmut", "Lyman")]
    texts += [f"Moscow's army captured {c} after heavy shelling." for c in ("Avdiivka", "Mariupol", "Popasna", "Soledar")]
    df = pd.DataFrame({"text": texts * 2,
                       "target": ["Ukraine"] * 8 + ["Russia"] * 8,
                       "stance": (["FAVOR"] * 4 + ["AGAINST"] * 4) + (["AGAINST"] * 4 + ["FAVOR"] * 4)})
    clf = _fit(_clf(cache_dir, method="embedding-lr"), df)
    new = "Kyiv's troops pushed the invaders back near Vuhledar."
    assert list(clf.predict([new, new], ["Ukraine", "Russia"])) == ["FAVOR", "AGAINST"]


def test_unseen_target_falls_back_to_shared_weights(labels, cache_dir):
    clf = _fit(_clf(cache_dir, method="hybrid"), labels)
    text = ["Belarus deserves praise for the courage of its soldiers this week."]
    assert clf.unseen_targets(["Belarus", "russia "]) == 1
    assert clf.predict(text, ["Belarus"])[0] == "FAVOR"


def test_precomputed_embeddings_give_the_same_probabilities(labels, cache_dir):
    clf = _fit(_clf(cache_dir, method="hybrid"), labels)
    texts, targets = labels["text"].tolist()[:7], labels["target"].tolist()[:7]
    E = clf.frozen_embeddings(texts)
    assert np.allclose(clf.predict_proba(texts, targets), clf.predict_proba(texts, targets, embeddings=E))


def test_a_class_missing_from_training_gets_zero_probability(labels, cache_dir):
    df = labels[labels["stance"] != "FAVOR"]
    clf = _fit(_clf(cache_dir, method="tfidf"), df)
    P = clf.predict_proba(df["text"].tolist(), df["target"].tolist())
    assert P[:, 0].max() < 1e-6 and np.allclose(P.sum(1), 1.0)


def test_single_class_training_data_is_refused(labels):
    with pytest.raises(InputError, match="at least two stance classes"):
        _fit(StanceClassifier(method="tfidf"), labels.assign(stance="NONE"))


def test_class_weighting_raises_minority_recall(cache_dir):
    df = make_labels(per_template=3)
    rare = df[df["stance"] == "FAVOR"].iloc[::6]
    df = df[df["stance"] != "FAVOR"]
    import pandas as pd

    df = pd.concat([df, rare])
    held = make_labels(per_template=5).iloc[lambda d: (d.index % 5 >= 3)]
    held = held[held["stance"] == "FAVOR"]
    recall = {}
    for cw in ("balanced", "none"):
        clf = _fit(_clf(cache_dir, method="tfidf", class_weight=cw), df)
        recall[cw] = (clf.predict(held["text"].tolist(), held["target"].tolist()) == "FAVOR").mean()
    assert recall["balanced"] > recall["none"]


def test_save_load_round_trip_without_pickle(tmp_path, labels, cache_dir):
    clf = _fit(_clf(cache_dir, method="hybrid"), labels)
    clf.save(tmp_path / "m")
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert not [f for f in files if f.endswith((".pkl", ".pickle", ".joblib", ".skops"))]
    for f in (tmp_path / "m").glob("*.npy"):
        np.load(f, allow_pickle=False)
    back = StanceClassifier.load(tmp_path / "m", cache_dir=cache_dir)
    texts, targets = labels["text"].tolist(), labels["target"].tolist()
    assert np.allclose(back.predict_proba(texts, targets), clf.predict_proba(texts, targets), atol=1e-6)


def test_block_weights_change_the_model_and_survive_save_and_load(tmp_path, labels, cache_dir):
    texts, targets = labels["text"].tolist(), labels["target"].tolist()
    plain = _fit(_clf(cache_dir, method="hybrid", target_weight=1.0, embedding_weight=1.0), labels)
    weighted = _fit(_clf(cache_dir, method="hybrid", target_weight=3.0, embedding_weight=0.5), labels)
    assert not np.allclose(weighted.predict_proba(texts, targets), plain.predict_proba(texts, targets), atol=1e-3)
    back = StanceClassifier.load(weighted.save(tmp_path / "m"), cache_dir=cache_dir)
    assert (back.target_weight, back.embedding_weight) == (3.0, 0.5)
    assert np.allclose(back.predict_proba(texts, targets), weighted.predict_proba(texts, targets), atol=1e-6)


@pytest.mark.parametrize("name", ["target_weight", "embedding_weight"])
def test_a_block_weight_that_is_not_positive_names_the_parameter(labels, name):
    with pytest.raises(ParamsError, match=f"stance.{name}"):
        _fit(StanceClassifier(method="tfidf", **{name: 0}), labels)


def test_changed_model_file_is_refused(tmp_path, labels, cache_dir):
    _fit(_clf(cache_dir, method="tfidf"), labels).save(tmp_path / "m")
    coef = tmp_path / "m" / "head_tfidf_coef.npy"
    a = np.load(coef)
    np.save(coef, a * 2)
    with pytest.raises(ModelFileError, match="changed since the model was saved"):
        StanceClassifier.load(tmp_path / "m")


def test_model_from_another_version_loads_with_a_warning(tmp_path, labels, cache_dir):
    _fit(_clf(cache_dir, method="tfidf"), labels).save(tmp_path / "m")
    cfg_path = tmp_path / "m" / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["topicstance_version"] = "0.0.1"
    cfg_path.write_text(json.dumps(cfg))
    with pytest.warns(UserWarning, match="saved by topicstance 0.0.1"):
        clf = StanceClassifier.load(tmp_path / "m")
    assert clf.predict(["Russia deserves praise for the courage of its soldiers."], ["Russia"])[0] == "FAVOR"


def test_not_a_model_directory_is_a_clear_error(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(ModelFileError, match="no config.json"):
        StanceClassifier.load(tmp_path / "x")


def test_setfit_finetunes_and_saves_a_safetensors_body(tmp_path, cache_dir):
    df = make_labels(per_template=1)
    clf = _clf(cache_dir, method="setfit", setfit_max_steps=3, setfit_batch_size=4)
    _fit(clf, df)
    clf.save(tmp_path / "m")
    assert (tmp_path / "m" / "body" / "model.safetensors").exists()
    assert not list((tmp_path / "m").rglob("*.bin")) and not list((tmp_path / "m").rglob("*.pkl"))
    texts, targets = df["text"].tolist()[:6], df["target"].tolist()[:6]
    back = StanceClassifier.load(tmp_path / "m", cache_dir=cache_dir, precision="float32")
    assert np.allclose(back.predict_proba(texts, targets), clf.predict_proba(texts, targets), atol=1e-3)
    # the body really changed: its embeddings differ from the frozen model's
    frozen = clf.frozen_embeddings(texts)
    tuned = clf._tuned_embeddings(texts)
    assert np.abs(frozen - tuned).max() > 1e-4


def test_ensemble_is_the_normalised_geometric_mean_of_hybrid_and_setfit(cache_dir):
    df = make_labels(per_template=1)
    clf = _fit(_clf(cache_dir, method="ensemble", setfit_max_steps=2, setfit_batch_size=4), df)
    texts, targets = df["text"].tolist()[:5], df["target"].tolist()[:5]
    feats = clf._features(texts, targets)
    ph = clf.heads_["hybrid"].predict_proba(clf._design("hybrid", feats, targets))
    ps = clf.heads_["setfit"].predict_proba(clf._design("setfit", feats, targets))
    g = np.sqrt(ph * ps)
    assert np.allclose(clf.predict_proba(texts, targets), g / g.sum(1, keepdims=True), atol=1e-6)
