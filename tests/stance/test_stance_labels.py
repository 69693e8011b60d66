import pandas as pd
import pytest

from topicstance.errors import InputError
from topicstance.stance.labels import check_trainable, read_labels, unit_id


def _write(tmp_path, df, name="l.csv"):
    p = tmp_path / name
    df.to_csv(p, index=False)
    return p


def test_unknown_stance_names_file_and_row(tmp_path, labels):
    labels.loc[3, "stance"] = "PRO"
    p = _write(tmp_path, labels)
    with pytest.raises(InputError, match=r"l\.csv: line 5: unknown stance 'PRO'"):
        read_labels(p)


def test_missing_column_is_named(tmp_path, labels):
    p = _write(tmp_path, labels.drop(columns="target"))
    with pytest.raises(InputError, match="missing column 'target'"):
        read_labels(p)


def test_empty_text_names_the_row(tmp_path, labels):
    labels.loc[0, "text"] = "  "
    p = _write(tmp_path, labels)
    with pytest.raises(InputError, match=r"line 2: column 'text' is empty"):
        read_labels(p)


def test_stance_is_case_insensitive(tmp_path, labels):
    labels["stance"] = labels["stance"].str.lower()
    df = read_labels(_write(tmp_path, labels))
    assert set(df["stance"]) == {"FAVOR", "AGAINST", "NONE"}


def test_exact_duplicates_are_skipped_and_counted(tmp_path, labels):
    df = read_labels(_write(tmp_path, pd.concat([labels, labels.iloc[:2]])))
    assert len(df) == len(labels) and df.attrs["n_duplicates_dropped"] == 2


def test_conflicting_duplicate_is_an_error_naming_both_rows(tmp_path, labels):
    extra = labels.iloc[[0]].assign(stance="NONE" if labels.iloc[0]["stance"] != "NONE" else "FAVOR")
    p = _write(tmp_path, pd.concat([labels, extra]))
    with pytest.raises(InputError, match=rf"lines 2 and {len(labels) + 2}"):
        read_labels(p)


def test_split_train_keeps_only_train_rows(tmp_path, labels):
    labels["split"] = ["test" if i % 4 == 0 else "train" for i in range(len(labels))]
    df = read_labels(_write(tmp_path, labels), split="train")
    assert len(df) == (labels["split"] == "train").sum() and set(df["split"]) == {"train"}


def test_split_requested_without_split_column_is_an_error(tmp_path, labels):
    with pytest.raises(InputError, match="missing column 'split'"):
        read_labels(_write(tmp_path, labels), split="train")


def test_single_class_overall_is_refused(tmp_path, labels):
    df = read_labels(_write(tmp_path, labels.assign(stance="NONE")))
    with pytest.raises(InputError, match="need at least two stance classes"):
        check_trainable(df, "l.csv")


def test_single_class_target_is_a_warning_naming_it(tmp_path, labels):
    labels.loc[labels["target"] == "Ukraine", "stance"] = "NONE"
    warnings = check_trainable(read_labels(_write(tmp_path, labels)), "l.csv")
    assert len(warnings) == 1 and "'Ukraine'" in warnings[0] and "single class" in warnings[0]


def test_unit_id_is_the_sha256_prefix_of_the_text():
    import hashlib

    text = "Kyiv said no."
    assert unit_id(text) == hashlib.sha256(text.encode()).hexdigest()[:16] != unit_id("Kyiv said yes.")


def test_conflicting_pairs_are_dropped_and_counted_when_asked(tmp_path, labels):
    bad = labels.iloc[:1].assign(stance="NONE" if labels["stance"].iloc[0] != "NONE" else "FAVOR")
    df = read_labels(_write(tmp_path, pd.concat([labels, bad])), on_conflict="drop")
    assert len(df) == len(labels) - 1
    assert df.attrs["conflicts_dropped"]["pairs"] == 1 and df.attrs["conflicts_dropped"]["rows"] == 2
