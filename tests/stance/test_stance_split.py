import math

import pandas as pd

from topicstance.stance.labels import unit_id
from topicstance.stance.split import assign_split, choose_test_units, read_frozen


def _units(labels):
    return labels.assign(unit_id=[unit_id(t) for t in labels["text"]])


def _paragraph_labels(n=40):
    """Each paragraph labelled for both targets, skewed classes as in news."""
    rows = []
    for i in range(n):
        text = f"Paragraph number {i} about the war."
        rows.append({"text": text, "target": "Russia", "stance": "AGAINST" if i % 3 == 0 else "NONE"})
        rows.append({"text": text, "target": "Ukraine", "stance": "FAVOR" if i % 5 == 0 else "NONE"})
    return _units(pd.DataFrame(rows))


def test_every_target_stance_cell_gets_a_quarter_into_test():
    df = _paragraph_labels()
    test = set(choose_test_units(df, 0.25))
    for (_, _), g in df.groupby(["target", "stance"]):
        units = set(g["unit_id"])
        assert len(units & test) >= math.ceil(0.25 * len(units))
        assert units - test  # and at least one stays in train
    assert len(test) / df["unit_id"].nunique() >= 0.25


def test_choice_is_deterministic_and_independent_of_row_order():
    df = _paragraph_labels()
    assert choose_test_units(df) == choose_test_units(df.sample(frac=1.0, random_state=3))


def test_a_paragraph_never_straddles_train_and_test(tmp_path):
    df, _ = assign_split(_paragraph_labels(), tmp_path / "ts.txt")
    assert (df.groupby("unit_id")["split"].nunique() == 1).all()


def test_frozen_split_sends_later_labels_to_train(tmp_path):
    first = _paragraph_labels(40)
    df1, s1 = assign_split(first, tmp_path / "ts.txt")
    frozen = read_frozen(tmp_path / "ts.txt")
    more = pd.concat([first, _units(pd.DataFrame({"text": [f"A new paragraph {i}." for i in range(20)],
                                                  "target": "Russia", "stance": "FAVOR"}))])
    df2, s2 = assign_split(more, tmp_path / "ts.txt")
    assert s1["created"] and not s2["created"]
    assert read_frozen(tmp_path / "ts.txt") == frozen
    new = df2[df2["text"].str.startswith("A new paragraph")]
    assert (new["split"] == "train").all()
    assert set(df2.loc[df2["split"] == "test", "unit_id"]) == set(df1.loc[df1["split"] == "test", "unit_id"])


def test_named_splits_are_read_from_every_file_and_a_unit_in_two_is_an_error(tmp_path):
    import pytest

    from topicstance.errors import InputError
    from topicstance.stance.split import read_named_splits, split_of_units

    (tmp_path / "a.txt").write_text("# a\nu1\nu2\n")
    (tmp_path / "b.txt").write_text("u3\n")
    named = read_named_splits({"seed": str(tmp_path / "a.txt"), "pool": str(tmp_path / "b.txt")})
    assert named == {"seed": {"u1", "u2"}, "pool": {"u3"}}
    assert split_of_units(["u3", "u9", "u1"], named) == ["pool", "", "seed"]
    (tmp_path / "c.txt").write_text("u2\n")
    with pytest.raises(InputError, match=r"c\.txt: unit u2 is also in test split 'seed'"):
        read_named_splits({"seed": str(tmp_path / "a.txt"), "pool": str(tmp_path / "c.txt")})
    with pytest.raises(InputError, match=r"missing\.txt: test split file 'pool' not found"):
        read_named_splits({"seed": str(tmp_path / "a.txt"), "pool": str(tmp_path / "missing.txt")})


def test_a_mapping_of_split_files_puts_the_units_of_all_of_them_in_test(tmp_path):
    df = _paragraph_labels(8)
    ids = sorted(set(df["unit_id"]))
    (tmp_path / "a.txt").write_text(ids[0] + "\n")
    (tmp_path / "b.txt").write_text(ids[1] + "\n")
    out, summary = assign_split(df, {"seed": str(tmp_path / "a.txt"), "pool": str(tmp_path / "b.txt")})
    assert set(out.loc[out["split"] == "test", "unit_id"]) == {ids[0], ids[1]}
    assert summary["created"] is False


def test_cross_validation_folds_never_split_a_group_and_shrink_to_the_smallest_class():
    import numpy as np

    from topicstance.stance.evaluate import grouped_folds

    y = np.array(["FAVOR"] * 3 + ["AGAINST"] * 12 + ["NONE"] * 15)
    groups = np.array([f"g{i // 2}" for i in range(len(y))])  # pairs of rows share a group
    folds = grouped_folds(y, groups, cv_folds=5, random_state=0)
    assert len(folds) == 3  # FAVOR has 3 rows: 5 folds lowered to 3
    tested = np.concatenate([b for _, b in folds])
    assert sorted(tested) == list(range(len(y)))  # each row tested exactly once
    for a, b in folds:
        assert not set(groups[a]) & set(groups[b])
    again = grouped_folds(y, groups, cv_folds=5, random_state=0)
    assert all(np.array_equal(b, b2) for (_, b), (_, b2) in zip(folds, again))
