import numpy as np
import pytest
from sklearn.metrics import f1_score

from topicstance.errors import ParamsError
from topicstance.stance.aggregate import aggregate
from topicstance.stance.metrics import bootstrap_ci, reliability, summary

Y = ["FAVOR", "AGAINST", "NONE", "AGAINST", "AGAINST", "NONE", "FAVOR", "NONE"]
P = ["FAVOR", "NONE", "NONE", "AGAINST", "FAVOR", "NONE", "AGAINST", "AGAINST"]


def test_f_avg_is_mean_of_favor_and_against_f1():
    s = summary(Y, P)
    ref = f1_score(Y, P, labels=["FAVOR", "AGAINST"], average=None)
    assert s["f_avg"] == pytest.approx(ref.mean())
    assert s["macro_f1"] == pytest.approx(f1_score(Y, P, average="macro"))
    assert s["per_class"]["AGAINST"]["support"] == 3 and s["per_class"]["AGAINST"]["predicted"] == 3


def test_bootstrap_interval_brackets_the_estimate():
    rng = np.random.default_rng(0)
    y = rng.choice(["FAVOR", "AGAINST", "NONE"], 300)
    p = np.where(rng.random(300) < 0.7, y, rng.choice(["FAVOR", "AGAINST", "NONE"], 300))
    ci = bootstrap_ci(y, p, 500, seed=1)
    s = summary(y, p)
    assert ci["f_avg"][0] < s["f_avg"] < ci["f_avg"][1] and ci["macro_f1"][0] < s["macro_f1"] < ci["macro_f1"][1]


def test_perfect_predictions_have_a_degenerate_interval():
    ci = bootstrap_ci(Y, Y, 200)
    assert ci["macro_f1"] == [1.0, 1.0] and ci["f_avg"] == [1.0, 1.0]


def test_a_class_absent_from_truth_and_predictions_is_left_out_of_the_averages():
    y = ["AGAINST", "NONE", "AGAINST"]
    s = summary(y, y)
    assert s["per_class"]["FAVOR"]["f1"] is None and s["macro_f1"] == 1.0 and s["f_avg"] == 1.0


def test_ece_is_zero_when_confident_and_right_and_one_when_confident_and_wrong():
    onehot = np.eye(3)[[0, 1, 2, 1]]
    y = ["FAVOR", "AGAINST", "NONE", "AGAINST"]
    assert reliability(onehot, y)[0] == pytest.approx(0.0)
    assert reliability(onehot, ["NONE", "NONE", "FAVOR", "NONE"])[0] == pytest.approx(1.0)


def test_max_evidence_takes_the_most_opinionated_chunk():
    P = np.array([[0.1, 0.1, 0.8], [0.05, 0.7, 0.25], [0.6, 0.1, 0.3]])
    p, i = aggregate(P, rule="max-evidence")
    assert i == 1 and np.allclose(p, P[1])


def test_mean_rule_weights_chunks_by_tokens():
    P = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    p, _ = aggregate(P, weights=[1, 3], rule="mean")
    assert np.allclose(p, [0.25, 0.0, 0.75])


def test_grouped_aggregation_decides_each_group_by_its_own_chunks():
    from topicstance.stance.aggregate import aggregate_groups

    # group 0: a tie in evidence (0.7 twice) goes to the first row; group 1: one row; group 2 mean-only check below
    P = np.array([[0.1, 0.7, 0.2], [0.7, 0.1, 0.2], [0.2, 0.2, 0.6], [0.3, 0.3, 0.4]])
    g = np.array([0, 0, 1, 1])
    Q, idx = aggregate_groups(P, g, rule="max-evidence")
    assert idx.tolist() == [0, 3] and np.allclose(Q, P[[0, 3]])
    Q, idx = aggregate_groups(P, g, weights=[1, 3, 0, 0], rule="mean")  # group 1 has no positive weight
    assert idx.tolist() == [-1, -1]
    assert np.allclose(Q, [[0.55, 0.25, 0.2], [0.25, 0.25, 0.5]])


def test_owner_aggregation_matches_one_text_at_a_time():
    import pandas as pd

    from topicstance.stance.predict import aggregate_owners

    rng = np.random.default_rng(3)
    n = 60
    P = rng.dirichlet(np.ones(3), n).round(1)
    P = P / P.sum(axis=1, keepdims=True)  # rounding makes ties in evidence
    df = pd.DataFrame({"owner": rng.integers(0, 15, n), "target": rng.choice(["Russia", "Ukraine"], n),
                       "position": rng.permutation(n), "n_tokens": rng.integers(0, 3, n), "chunk_index": np.arange(n),
                       "p_favor": P[:, 0], "p_against": P[:, 1], "p_none": P[:, 2],
                       "stance": np.array(["FAVOR", "AGAINST", "NONE"])[P.argmax(axis=1)]})
    for rule in ("max-evidence", "mean"):
        out = aggregate_owners(df, rule).set_index(["owner", "target"])
        groups = df.sort_values("position").groupby(["owner", "target"])
        assert len(out) == groups.ngroups
        for key, grp in groups:
            p, i = aggregate(grp[["p_favor", "p_against", "p_none"]].to_numpy(), weights=grp["n_tokens"], rule=rule)
            row = out.loc[key]
            assert np.allclose(row[["p_favor", "p_against", "p_none"]].to_numpy(dtype=float), p)
            assert row["evidence"] == (grp["chunk_index"].iloc[i] if i >= 0 else -1)
            assert row["n_chunks"] == len(grp) and row["n_against_chunks"] == (grp["stance"] == "AGAINST").sum()


def test_unknown_rule_names_the_parameter():
    with pytest.raises(ParamsError, match="stance.article_rule"):
        aggregate(np.array([[0.2, 0.3, 0.5]]), rule="vote")


def test_class_balanced_scores_weight_every_stance_equally_within_a_target():
    from topicstance.stance.metrics import class_balanced

    # Ukraine: 8 NONE all right, 2 AGAINST both missed; Russia: 2 FAVOR right, 2 NONE right
    y = ["NONE"] * 8 + ["AGAINST"] * 2 + ["FAVOR"] * 2 + ["NONE"] * 2
    p = ["NONE"] * 8 + ["NONE"] * 2 + ["FAVOR"] * 2 + ["NONE"] * 2
    t = ["Ukraine"] * 10 + ["Russia"] * 4
    b = class_balanced(y, p, t)
    assert b["recall"]["Ukraine"]["AGAINST"] == {"recall": 0.0, "n": 2}
    assert b["recall"]["Russia"]["FAVOR"] == {"recall": 1.0, "n": 2}
    assert b["f1"]["AGAINST"] == 0.0 and b["f1"]["FAVOR"] == 1.0
    # NONE: all its weight is right, but the missed AGAINST rows (weight 1/4 of the total) land on it
    assert abs(b["f1"]["NONE"] - 2 * 0.5 / (2 * 0.5 + 0.25)) < 1e-9
    unweighted_none_f1 = 2 * 10 / (2 * 10 + 2)
    assert b["f1"]["NONE"] < unweighted_none_f1


def test_grouped_bootstrap_counts_a_group_once_so_its_interval_is_wider():
    import numpy as np

    from topicstance.stance.metrics import bootstrap_ci

    rng = np.random.default_rng(0)
    y = rng.choice(["FAVOR", "AGAINST", "NONE"], size=40)
    p = np.where(rng.random(40) < 0.7, y, rng.choice(["FAVOR", "AGAINST", "NONE"], size=40))
    y4, p4 = np.repeat(y, 4), np.repeat(p, 4)  # every unit's row four times over: one group of four
    rows = bootstrap_ci(y4, p4, 1000, 1)
    grouped = bootstrap_ci(y4, p4, 1000, 1, groups=np.repeat(np.arange(40), 4))
    width = lambda ci: ci["macro_f1"][1] - ci["macro_f1"][0]  # noqa: E731
    assert width(grouped) > 1.5 * width(rows)
    assert grouped["resampled"] == "40 groups" and rows["resampled"] == "rows"
