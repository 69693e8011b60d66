"""topicstance.report.stats: Wilson intervals, share tables and the scipy linkage used by the notebooks."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import is_valid_linkage

from topicstance.report.stats import scipy_linkage, share_table, wilson_interval


@pytest.mark.parametrize("k,n,lo,hi", [
    (5, 10, 0.2366, 0.7634),
    (0, 10, 0.0, 0.2775),
    (10, 10, 0.7225, 1.0),
    (1, 1, 0.2065, 1.0),
    (81, 263, 0.2553, 0.3662),  # Newcombe (1998), Stat Med 17:857, example (a)
])
def test_wilson_known_values(k, n, lo, hi):
    got = wilson_interval(k, n)
    assert got == pytest.approx((lo, hi), abs=1e-4)


def test_wilson_is_inside_0_1_contains_the_share_and_narrows_with_n():
    k = np.array([0, 1, 3, 7, 10, 50])
    n = np.array([10, 10, 10, 10, 10, 100])
    lo, hi = wilson_interval(k, n)
    p = k / n
    assert np.all((0 <= lo) & (lo <= p) & (p <= hi) & (hi <= 1))
    assert (hi - lo)[5] < (hi - lo)[3]  # 50/100 is narrower than 7/10
    lo90, hi90 = wilson_interval(k, n, level=0.90)
    assert np.all(hi90 - lo90 <= hi - lo)


def test_wilson_empty_group_is_nan_and_bad_input_raises():
    lo, hi = wilson_interval(np.array([0, 2]), np.array([0, 4]))
    assert np.isnan(lo[0]) and np.isnan(hi[0]) and not np.isnan(lo[1])
    assert all(np.isnan(v) for v in wilson_interval(0, 0))
    with pytest.raises(ValueError):
        wilson_interval(5, 4)
    with pytest.raises(ValueError):
        wilson_interval(1, 4, level=1.5)


def test_share_table_counts_every_category_per_group():
    df = pd.DataFrame({"target": ["A"] * 4 + ["B"] * 2,
                       "topic": [0, 0, 0, 1, 0, 0],
                       "stance": ["FAVOR", "NONE", "NONE", "AGAINST", "NONE", "NONE"]})
    tab = share_table(df, ["target", "topic"], "stance", ["FAVOR", "AGAINST", "NONE"])
    assert len(tab) == 3 * 3  # (A,0), (A,1), (B,0) x 3 stances, zeros included
    a0 = tab[(tab["target"] == "A") & (tab["topic"] == 0)].set_index("stance")
    assert a0["n"].tolist() == [1, 0, 2] and set(a0["total"]) == {3}
    assert a0.loc["NONE", "share"] == pytest.approx(2 / 3)
    assert tab.groupby(["target", "topic"])["share"].sum().tolist() == pytest.approx([1, 1, 1])
    assert (tab["lo"] <= tab["share"]).all() and (tab["share"] <= tab["hi"]).all()
    assert list(tab["stance"].cat.categories) == ["FAVOR", "AGAINST", "NONE"]


def test_scipy_linkage_from_chunk_counts():
    # 3 topics; the stage stores chunk counts in column 3 and a non-monotone height
    merges = np.array([[0, 1, 2.0, 150.0], [2, 3, 1.5, 183.0]])
    z = scipy_linkage(merges)
    assert is_valid_linkage(z)
    assert z[:, 3].tolist() == [2, 3]
    assert z[:, 2].tolist() == [2.0, 2.0]
    assert merges[0, 3] == 150.0  # input untouched
    assert scipy_linkage(np.empty((0, 4))).shape == (0, 4)
