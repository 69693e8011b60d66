import json
from pathlib import Path

import pandas as pd
import pytest

from topicstance.errors import InputError
from topicstance.stance.agreement import agreement, cohen_kappa

LABELS = Path(__file__).resolve().parents[2] / "seeds" / "labels"


def _csv(tmp_path, name, rows):
    p = tmp_path / name
    pd.DataFrame(rows).to_csv(p, index=False)
    return p


def test_cohen_kappa_of_a_worked_example():
    # observed agreement 3/4; chance (F .5*.25 + A .25*.5 + N .25*.25) = 0.3125
    assert cohen_kappa(["F", "F", "A", "N"], ["F", "A", "A", "N"]) == pytest.approx((0.75 - 0.3125) / 0.6875)


def test_first_labels_are_rebuilt_from_the_adjudication(tmp_path):
    final = _csv(tmp_path, "final.csv", [{"unit_id": "u1", "target": "Russia", "stance": "AGAINST"},
                                         {"unit_id": "u2", "target": "Russia", "stance": "NONE"}])
    blind = _csv(tmp_path, "blind.csv", [{"unit_id": "u1", "target": "russia", "stance": "AGAINST"},
                                         {"unit_id": "u2", "target": "Russia", "stance": "NONE"}])
    adj = _csv(tmp_path, "adj.csv", [{"unit_id": "u2", "target": "Russia", "first": "FAVOR", "blind": "NONE",
                                      "final": "NONE"}])
    r = agreement(final, blind, adj)["per_target"]["russia"]
    assert (r["n"], r["disagreements"], r["raw_agreement"]) == (2, 1, 0.5)


def test_a_disagreement_without_an_adjudication_row_is_an_error_naming_the_row(tmp_path):
    final = _csv(tmp_path, "final.csv", [{"unit_id": "u1", "target": "Ukraine", "stance": "FAVOR"}])
    blind = _csv(tmp_path, "blind.csv", [{"unit_id": "u1", "target": "Ukraine", "stance": "NONE"}])
    with pytest.raises(InputError, match=r"blind\.csv: row 2: blind NONE differs from the first label FAVOR"):
        agreement(final, blind)


def test_the_recorded_agreement_over_all_sources_is_what_the_label_files_give():
    got = agreement(LABELS / "stance.csv", LABELS / "blind_second_annotation.csv", LABELS / "adjudication.csv")
    recorded = json.loads((LABELS / "agreement.json").read_text(encoding="utf-8"))
    assert got["n_units_double_annotated"] == recorded["n_units_double_annotated"]
    assert got["per_target"] == recorded["per_target"]


def test_agreement_is_reported_per_source_with_the_share_double_annotated(tmp_path):
    final = _csv(tmp_path, "final.csv", [
        {"unit_id": "a", "target": "Russia", "stance": "NONE", "source": "seed"},
        {"unit_id": "b", "target": "Russia", "stance": "NONE", "source": "seed"},
        {"unit_id": "c", "target": "Russia", "stance": "FAVOR", "source": "pool"},
        {"unit_id": "d", "target": "Russia", "stance": "AGAINST", "source": "pool"}])
    blind = _csv(tmp_path, "blind.csv", [{"unit_id": "a", "target": "Russia", "stance": "NONE"},
                                         {"unit_id": "c", "target": "Russia", "stance": "FAVOR"},
                                         {"unit_id": "d", "target": "Russia", "stance": "FAVOR"}])
    adj = _csv(tmp_path, "adj.csv", [{"unit_id": "d", "target": "Russia", "first": "AGAINST", "blind": "FAVOR",
                                      "final": "AGAINST"}])
    r = agreement(final, blind, adj)
    assert r["per_source"]["seed"]["share_double_annotated"] == 0.5
    assert r["per_source"]["pool"]["share_double_annotated"] == 1.0
    assert r["per_source"]["pool"]["per_target"]["Russia"]["disagreements"] == 1
    assert r["per_source"]["seed"]["per_target"]["Russia"]["disagreements"] == 0
    assert r["per_target"]["Russia"]["n"] == 3
