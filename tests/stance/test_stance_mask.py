import numpy as np
import pandas as pd

from topicstance.stance.classifier import StanceClassifier
from topicstance.stance.mask import TargetMasker

from .conftest import AGAINST, FILLERS, make_labels

ALIASES = {"Russia": ["Moscow", "Kremlin", "Russian"], "Ukraine": ["Kyiv", "Ukrainian"]}


def test_the_row_target_becomes_TARGET_and_the_other_target_OTHER():
    m = TargetMasker(ALIASES).fit(["Russia", "Ukraine"])
    text = "Moscow called Kyiv's government a terrorist regime."
    assert m.transform([text, text], ["Ukraine", "Russia"]) == [
        "OTHER called TARGET's government a terrorist regime.",
        "TARGET called OTHER's government a terrorist regime."]


def test_whole_words_any_case_and_plural_s():
    m = TargetMasker(ALIASES).fit(["Russia"])
    out = m.transform(["RUSSIA, Russians and the Kremlin; Russianness and #Russia stay apart."], ["russia "])
    assert out == ["TARGET, TARGET and the TARGET; Russianness and #TARGET stay apart."]


def test_a_target_never_fitted_is_masked_by_its_own_name():
    m = TargetMasker(ALIASES).fit(["Russia", "Ukraine"])
    assert m.transform(["Belarus backed Moscow."], ["Belarus"]) == ["TARGET backed OTHER."]


def test_masking_carries_a_stance_learnt_for_one_target_to_another(tmp_path):
    """AGAINST examples exist for Russia only; an AGAINST text about Ukraine is still read as AGAINST.
    The transfer runs through the shared weights, so it is tested with plain feature augmentation
    (target_weight 1, embedding_weight 1, C 3: the defaults this test was written with); with
    target_weight 2 Ukraine's own block learns "never AGAINST" (docs/stance.md)."""
    df = make_labels(per_template=3)
    df = df[~((df["target"] == "Ukraine") & (df["stance"] == "AGAINST"))]
    held = [tpl.format(t="Ukraine", x=FILLERS[4]) for tpl in AGAINST]
    p, pred = {}, {}
    for mask in (True, False):
        clf = StanceClassifier(method="hybrid", cache_dir=str(tmp_path), precision="float32", mask_targets=mask,
                               class_weight="balanced", target_weight=1.0,
                               embedding_weight=1.0, C=3.0)
        clf.fit(df["text"].tolist(), df["target"].tolist(), df["stance"].tolist())
        p[mask] = clf.predict_proba(held, ["Ukraine"] * len(held))[:, 1]
        pred[mask] = clf.predict(held, ["Ukraine"] * len(held))
    assert (p[True] > p[False]).all()
    assert (pred[True] == "AGAINST").mean() >= 0.75 > (pred[False] == "AGAINST").mean()


def test_per_target_weights_balance_the_classes_within_each_target():
    clf = StanceClassifier(class_weight="balanced-per-target")
    targets = ["Russia"] * 6 + ["Ukraine"] * 4
    labels = ["AGAINST"] * 5 + ["FAVOR"] + ["NONE"] * 3 + ["AGAINST"]
    w = clf._sample_weights(targets, labels)
    df = pd.DataFrame({"t": targets, "y": labels, "w": w})
    per_cell = df.groupby(["t", "y"])["w"].sum()
    assert np.isclose(per_cell["Russia"]["AGAINST"], per_cell["Russia"]["FAVOR"])
    assert np.isclose(per_cell["Ukraine"]["NONE"], per_cell["Ukraine"]["AGAINST"])
    assert np.isclose(w.mean(), 1.0)
    assert StanceClassifier(class_weight="balanced")._sample_weights(targets, labels) is None


def test_the_saved_model_records_its_masking_and_an_older_model_loads_unmasked(tmp_path):
    import json

    df = make_labels(per_template=1)
    clf = StanceClassifier(method="tfidf", mask_targets=True, aliases=ALIASES).fit(df["text"].tolist(), df["target"].tolist(),
                                                               df["stance"].tolist())
    clf.save(tmp_path / "m")
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    assert cfg["masking"]["ukraine"] == ["Kyiv", "Ukraine", "Ukrainian"]
    text = ["Kyiv's army was praised this week."]
    assert np.allclose(StanceClassifier.load(tmp_path / "m").predict_proba(text, ["Ukraine"]),
                       clf.predict_proba(text, ["Ukraine"]))
    for k in ("mask_targets", "aliases"):  # as written before masking existed
        cfg["params"].pop(k)
    cfg.pop("masking")
    (tmp_path / "m" / "config.json").write_text(json.dumps(cfg))
    old = StanceClassifier.load(tmp_path / "m")
    assert old.mask_targets is False and old.feature_texts(text, ["Ukraine"]) == text
