"""Stance toward a named target: FAVOR, AGAINST or NONE (see docs/stance.md).

Modules, one job each:

* :mod:`.labels`     read and check a labelled CSV (``text,target,stance[,split,unit_id]``)
* :mod:`.split`      the frozen, stratified test split (``seeds/labels/test_split.txt``)
* :mod:`.ngrams`     word and character tf-idf features, saved as JSON + arrays
* :mod:`.targets`    target-aware feature blocks (shared + one block per seen target)
* :mod:`.hashtags`   hashtags written out as words for the sentence encoder
* :mod:`.head`       the class-weighted multinomial logistic-regression head
* :mod:`.finetune`   SetFit contrastive fine-tuning of the sentence-transformer body
* :mod:`.classifier` :class:`StanceClassifier`, the scikit-learn style estimator
* :mod:`.persist`    the model directory (config JSON, .npy arrays, safetensors body)
* :mod:`.aggregate`  chunk -> text / article aggregation rules
* :mod:`.metrics`    F1, F_avg, bootstrap intervals, calibration
* :mod:`.evaluate`   the evaluate stage (test split, CV, learning curve, baselines)
* :mod:`.apply`      the apply stage (every chunk x target, then articles)
* :mod:`.suggest`    active learning: uncertain and diverse units to annotate next
* :mod:`.prevalence` :class:`StancePrevalence`: shares of each stance in a group, corrected for classifier error
* :mod:`.shares`     ``stance shares``: the applied output grouped by any column, the prevalence table

The ``topicstance stance ...`` commands live in :mod:`topicstance.cli.stance`.
"""
from __future__ import annotations

CLASSES = ("FAVOR", "AGAINST", "NONE")  # the column order of every probability matrix
# the one list of each choice: params.py, the CLI and the classifier read these
METHODS = ("tfidf", "embedding-lr", "hybrid", "hybrid-pair", "setfit", "ensemble")
CLASS_WEIGHTS = ("balanced", "balanced-per-target", "none")
ARTICLE_RULES = ("max-evidence", "mean")
HASHTAG_MODES = ("split", "keep")  # stance.hashtags: what the sentence encoder reads (see .hashtags)

__all__ = ["CLASSES", "METHODS", "CLASS_WEIGHTS", "ARTICLE_RULES", "HASHTAG_MODES", "StanceClassifier"]


def __getattr__(name: str):
    if name == "StanceClassifier":
        from .classifier import StanceClassifier

        return StanceClassifier
    raise AttributeError(name)
