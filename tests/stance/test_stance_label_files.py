"""The committed label files: evidence, grouped splits, agreement (docs/annotation.md)."""
import json
from pathlib import Path

import pandas as pd

from topicstance import params as tsparams
from topicstance.stance.agreement import agreement
from topicstance.stance.labels import read_labels, unit_id
from topicstance.stance.split import read_frozen

ROOT = Path(__file__).resolve().parents[2]
LABELS = ROOT / "seeds" / "labels"


def _raw() -> pd.DataFrame:
    return pd.read_csv(LABELS / "stance.csv", dtype=str, keep_default_na=False)


def test_every_favor_or_against_label_quotes_evidence_that_occurs_in_its_text():
    df = _raw()
    opinion = df[df["stance"].isin(["FAVOR", "AGAINST"])]
    missing = [(r.unit_id, r.target) for r in opinion.itertuples() if not r.evidence or r.evidence not in r.text]
    assert len(opinion) > 0 and missing == []
    assert (df.loc[df["stance"] == "NONE", "evidence"] == "").all()


def test_unit_ids_are_the_hash_of_the_text_and_every_unit_has_both_targets():
    df = _raw()
    assert (df["unit_id"] == df["text"].map(unit_id)).all()
    per_unit = df.groupby("unit_id")["target"].apply(lambda s: tuple(sorted(s)))
    assert set(per_unit) == {("Russia", "Ukraine")}


def test_the_split_column_follows_the_frozen_files():
    df = read_labels(LABELS / "stance.csv", require_split=True)
    files = tsparams.test_split_files(tsparams.load_params(ROOT / "params.yaml").stance.test_split)
    test_ids = set().union(*(set(read_frozen(ROOT / f)) for f in files.values()))
    assert set(df.loc[df["split"] == "test", "unit_id"]) == test_ids & set(df["unit_id"])


def test_no_group_sits_on_both_sides_of_a_split():
    df = read_labels(LABELS / "stance.csv", require_split=True)
    sides = df.groupby(["source", "group"])["split"].nunique()
    assert sides.max() == 1
    for name in ("propaganda_diary", "press_releases"):  # the pools' own unit files, every unit labelled or not
        units = pd.read_csv(LABELS / f"units_{name}.csv", dtype=str, keep_default_na=False)
        test = set(read_frozen(LABELS / f"test_split_{name}.txt"))
        units["test"] = units["unit_id"].isin(test)
        assert units.groupby("group")["test"].nunique().max() == 1
        assert 0.2 <= units["test"].mean() <= 0.3


def test_recorded_agreement_is_what_the_label_files_give():
    got = agreement(LABELS / "stance.csv", LABELS / "blind_second_annotation.csv", LABELS / "adjudication.csv")
    recorded = json.loads((LABELS / "agreement.json").read_text(encoding="utf-8"))
    assert got["per_target"] == recorded["per_target"]
    assert got["per_source"] == recorded["per_source"]
