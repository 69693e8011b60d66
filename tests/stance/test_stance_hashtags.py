import numpy as np
import pytest

from topicstance.errors import ParamsError
from topicstance.stance.classifier import StanceClassifier
from topicstance.stance.hashtags import encoder_texts, split_hashtags


@pytest.mark.parametrize("text,want", [
    ("Vote #HillaryClinton now", "Vote Hillary Clinton now"),
    ("see #SCOTUS today", "see SCOTUS today"),
    ("#CFCC15 starts", "CFCC 15 starts"),
    ("#uniteblue rally", "unite blue rally"),
    ("for #womensrights", "for womens rights"),
    ("take it#HaveYourSay", "take it Have Your Say"),
])
def test_a_hashtag_is_written_out_as_words(text, want):
    assert split_hashtags(text) == want


@pytest.mark.parametrize("text", ["We are #1 in 2014 #2014", "C# code", "it&#x27;s fine", "no tags at all"])
def test_numbers_html_entities_and_text_without_tags_stay_as_written(text):
    assert split_hashtags(text) == text


def test_keep_leaves_the_encoder_texts_as_written():
    texts = ["#WakeUpAmerica now", "plain"]
    assert encoder_texts(texts, "keep") == texts
    assert encoder_texts(texts, "split") == ["Wake Up America now", "plain"]


def _train():
    texts = ["#StandWithUkraine today", "#StopTheWar please", "the weather is mild",
             "#StandWithUkraine again", "#StopTheWar now", "rain later today"] * 3
    targets = ["Ukraine"] * len(texts)
    labels = ["FAVOR", "AGAINST", "NONE"] * 6
    return texts, targets, labels


def test_given_vectors_are_replaced_only_for_texts_with_a_hashtag(monkeypatch):
    """The vectors a caller passes are of the texts as written; a row whose hashtag is split is
    encoded again from its split text, every other row keeps the given vector."""
    texts, targets, labels = _train()
    clf = StanceClassifier(method="embedding-lr", cache_dir=None)
    seen = []
    real = StanceClassifier.frozen_embeddings

    def spy(self, t, **kw):
        seen.append(list(t))
        return real(self, t, **kw)

    monkeypatch.setattr(StanceClassifier, "frozen_embeddings", spy)
    given = real(clf, texts)
    clf.fit(texts, targets, labels, embeddings=given)
    assert seen == [[split_hashtags(t) for t in texts if "#" in t]]
    feats = clf._features(texts, targets, given)["frozen"]
    plain = np.array(["#" not in t for t in texts])
    assert np.array_equal(feats[plain], given[plain])
    assert not np.allclose(feats[~plain], given[~plain])
    assert np.allclose(feats[~plain], real(clf, [split_hashtags(t) for t in np.array(texts)[~plain]]), atol=1e-6)


def test_a_model_saved_before_the_parameter_loads_with_the_tags_as_written(tmp_path):
    import json

    texts, targets, labels = _train()
    clf = StanceClassifier(method="tfidf").fit(texts, targets, labels)
    path = clf.save(tmp_path / "m")
    cfg = json.loads((path / "config.json").read_text())
    assert cfg["params"]["hashtags"] == "split"
    del cfg["params"]["hashtags"]
    (path / "config.json").write_text(json.dumps(cfg))
    assert StanceClassifier.load(path).hashtags == "keep"


def test_an_unknown_mode_is_refused_by_name():
    texts, targets, labels = _train()
    with pytest.raises(ParamsError, match=r"stance\.hashtags"):
        StanceClassifier(method="tfidf", hashtags="drop").fit(texts, targets, labels)
