"""The prevalence estimator on constructed cases whose true shares are known."""
import json

import numpy as np
import pytest

from topicstance.errors import ModelFileError
from topicstance.stance import CLASSES
from topicstance.stance.prevalence import StancePrevalence, solve_simplex, solve_unconstrained

# columns: the true class (FAVOR, AGAINST, NONE); rows: the predicted class. Half of AGAINST is missed.
M = np.array([[0.80, 0.10, 0.05],
              [0.05, 0.50, 0.05],
              [0.15, 0.40, 0.90]])


def exact_rows(counts, rates=M):
    """Rows of each true class j, predicted i in exactly the share rates[i, j]; P is 0.7 on the prediction."""
    y, yhat = [], []
    for j, n in enumerate(counts):
        per = np.rint(rates[:, j] * n).astype(int)
        assert per.sum() == n
        for i, k in enumerate(per):
            y += [j] * k
            yhat += [i] * k
    y, yhat = np.array(y), np.array(yhat)
    P = np.full((len(y), 3), 0.15)
    P[np.arange(len(y)), yhat] = 0.7
    return np.array(CLASSES)[y], P


def sampled_rows(rng, counts, rates=M):
    """Rows drawn at random: true class j, prediction drawn from column j, noisy probabilities around it."""
    y = np.repeat(np.arange(3), counts)
    yhat = np.array([rng.choice(3, p=rates[:, j]) for j in y])
    P = rng.dirichlet([1.0, 1.0, 1.0], size=len(y)) * 0.4
    P[np.arange(len(y)), yhat] += 0.6
    return np.array(CLASSES)[y], P


def fitted(counts=(200, 200, 200), rates=M, **kw):
    labels, P = exact_rows(counts, rates)
    return StancePrevalence(n_bootstrap=200, **{"sources": (), **kw}).fit(labels, P, ["Russia"] * len(labels))


def test_acc_and_pacc_recover_a_known_prevalence_that_cc_gets_wrong():
    est = fitted()
    _, P = exact_rows((100, 600, 300))  # true shares 0.1, 0.6, 0.3
    e = est.estimate(P, "Russia")
    true = np.array([0.1, 0.6, 0.3])
    assert np.allclose(e["acc"], true, atol=1e-9) and np.allclose(e["pacc"], true, atol=1e-9)
    assert np.allclose(e["cc"], M @ true) and abs(e["cc"][1] - 0.6) > 0.25  # CC: AGAINST 0.32 instead of 0.6


def test_rate_matrices_are_the_ones_quapy_computes_and_the_simplex_solution_is_quapys():
    from quapy.method.aggregative import ACC, PACC

    rng = np.random.default_rng(3)
    labels, P = sampled_rows(rng, (50, 80, 200))
    est = StancePrevalence(n_bootstrap=100, sources=()).fit(labels, P, ["Russia"] * len(labels))
    pred = np.array(CLASSES)[P.argmax(1)]
    assert np.allclose(est.rates_["Russia"], ACC.getPteCondEstim(list(CLASSES), labels, pred))
    assert np.allclose(est.soft_rates_["Russia"], PACC.getPteCondEstim(list(CLASSES), labels, P))
    for _ in range(20):
        A, q = rng.dirichlet([1, 1, 1], size=3).T, rng.dirichlet([0.5, 0.5, 0.5])
        ref = ACC.solve_adjustment(A, q, method="inversion", solver="minimize")
        assert np.abs(solve_simplex(A, q) - ref).max() < 1e-3


def test_clip_solver_clips_the_unconstrained_solution_and_renormalises():
    est = fitted(solver="clip")
    P = np.tile([0.05, 0.05, 0.9], (100, 1))  # everything predicted NONE: below M's false-positive floor
    e = est.estimate(P, "Russia")
    raw = solve_unconstrained(est.rates_["Russia"], e["cc"])
    assert (raw[:2] < 0).all()
    assert np.allclose(e["acc"], [0.0, 0.0, 1.0]) and np.allclose(e["acc_unconstrained"], raw)


def test_a_group_that_no_prevalence_explains_is_flagged_outside_the_simplex():
    est = fitted((600, 600, 600))
    bad = np.tile([0.05, 0.05, 0.9], (1000, 1))  # never FAVOR, though 5% of true NONE is predicted FAVOR
    _, good = exact_rows((100, 600, 300))
    assert "outside_simplex" in est.shares(bad, "Russia")["flags"]
    assert "outside_simplex" not in est.shares(good, "Russia")["flags"]


def test_a_singular_correction_is_flagged_and_still_gives_a_share():
    singular = np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 0.0], [0.5, 0.5, 1.0]])  # FAVOR and AGAINST look the same
    est = fitted(rates=singular)
    _, P = exact_rows((100, 100, 200), singular)
    r = est.shares(P, "Russia")
    assert "ill_conditioned" in r["flags"]
    assert not np.isfinite(r["condition"]) or r["condition"] > 1e6
    assert np.isclose(r["estimates"]["acc"].sum(), 1.0) and (r["estimates"]["acc"] >= 0).all()
    assert "ill_conditioned" not in fitted().shares(P, "Russia")["flags"]


def test_a_tiny_group_is_flagged_few_units():
    est = fitted(min_units=20)
    _, P = exact_rows((100, 600, 300))
    assert "few_units" in est.shares(P[::200], "Russia")["flags"]  # 5 units
    assert "few_units" not in est.shares(P, "Russia")["flags"]


def test_a_target_without_labelled_rows_gets_only_the_raw_shares():
    est = fitted()
    r = est.shares(np.tile([0.2, 0.2, 0.6], (30, 1)), "Belarus")
    assert r["flags"] == ["no_correction"] and np.isnan(r["estimates"]["acc"]).all()
    assert np.allclose(r["estimates"]["cc"], [0, 0, 1])


def test_a_class_without_labels_is_flagged():
    labels, P = exact_rows((200, 0, 200), np.array([[0.8, 0.1, 0.05], [0.05, 0.5, 0.05], [0.15, 0.4, 0.9]]))
    est = StancePrevalence(n_bootstrap=100, sources=()).fit(labels, P, ["Ukraine"] * len(labels))
    assert np.allclose(est.rates_["Ukraine"][:, 1], [0, 1, 0])  # identity column for AGAINST
    assert "class_unlabelled" in est.shares(P, "Ukraine")["flags"]


OTHER = np.array([[0.50, 0.05, 0.30],  # another kind of text: NONE often read as FAVOR
                  [0.10, 0.90, 0.10],
                  [0.40, 0.05, 0.60]])


def two_sources(counts_news=(200, 200, 200), counts_other=(400, 400, 400)):
    ln, pn = exact_rows(counts_news, M)
    lo, po = exact_rows(counts_other, OTHER)
    return (np.concatenate([ln, lo]), np.concatenate([pn, po]),
            np.array(["news"] * len(ln) + ["diary"] * len(lo)))


def test_the_correction_from_the_texts_own_source_recovers_what_the_pooled_one_misses():
    labels, P, src = two_sources()
    _, group = exact_rows((100, 600, 300), M)  # news texts, true shares 0.1, 0.6, 0.3
    pooled = StancePrevalence(n_bootstrap=100, sources=()).fit(labels, P, ["Russia"] * len(labels), sources=src)
    own = StancePrevalence(n_bootstrap=100, sources=("news",), prior_rows=0.0).fit(
        labels, P, ["Russia"] * len(labels), sources=src)
    true = np.array([0.1, 0.6, 0.3])
    assert np.allclose(own.estimate(group, "Russia")["acc"], true, atol=1e-9)
    assert np.abs(pooled.estimate(group, "Russia")["acc"] - true).max() > 0.1


def test_a_class_missing_from_the_chosen_source_borrows_the_rates_of_all_rows():
    labels, P, src = two_sources(counts_news=(200, 0, 200))
    est = StancePrevalence(n_bootstrap=100, sources=("news",), prior_rows=10.0).fit(
        labels, P, ["Russia"] * len(labels), sources=src)
    assert np.allclose(est.rates_["Russia"][:, 1], OTHER[:, 1])  # AGAINST: only diary rows have it
    assert est.source_class_counts_["Russia"].tolist() == [200, 0, 200]
    assert "class_unlabelled" not in est.shares(P[:50], "Russia")["flags"]


def test_intervals_cover_the_true_share_of_random_groups():
    rng = np.random.default_rng(0)
    hits = []
    for trial in range(40):
        labels, P = sampled_rows(rng, (150, 150, 150))
        est = StancePrevalence(n_bootstrap=200, random_state=trial, sources=()).fit(labels, P, ["Russia"] * len(labels))
        counts = rng.multinomial(120, rng.dirichlet([1, 1, 1]))
        truth, Pg = sampled_rows(rng, counts)
        r = est.shares(Pg, "Russia")
        lo, hi = r["intervals"]["pacc"]
        true = counts / counts.sum()
        hits += list((lo - 1e-9 <= true) & (true <= hi + 1e-9))
    assert np.mean(hits) >= 0.88


def test_the_correction_uncertainty_widens_the_interval():
    _, P = exact_rows((100, 600, 300))
    small, large = fitted((20, 20, 20)), fitted((1000, 1000, 1000))
    width = {k: np.subtract(*est.shares(P, "Russia")["intervals"]["acc"][::-1]).mean()
             for k, est in (("small", small), ("large", large))}
    assert width["small"] > 1.5 * width["large"]


def test_chunks_of_one_article_are_resampled_together():
    est = fitted()
    _, P = exact_rows((100, 600, 300))
    P = np.repeat(P[::10], 10, axis=0)  # 100 articles of 10 identical chunks
    articles = np.repeat(np.arange(100), 10)
    by_article = est.shares(P, "Russia", clusters=articles)
    by_chunk = est.shares(P, "Russia")
    w = {k: np.subtract(*r["intervals"]["cc"][::-1]).mean() for k, r in (("a", by_article), ("c", by_chunk))}
    assert by_article["n_clusters"] == 100 and by_article["n"] == 1000
    assert w["a"] > 2 * w["c"]


def test_save_and_load_give_the_same_shares_from_json_and_npy_files(tmp_path):
    est = fitted()
    _, P = exact_rows((100, 600, 300))
    est.save(tmp_path / "corr", meta={"note": "x"})
    files = sorted(p.name for p in (tmp_path / "corr").iterdir())
    assert files == ["correction.json", "group_codes.npy", "labels.npy", "proba.npy", "source_codes.npy",
                     "target_codes.npy"]
    back = StancePrevalence.load(tmp_path / "corr")
    a, b = est.shares(P, "Russia"), back.shares(P, "Russia")
    assert np.allclose(a["intervals"]["pacc"], b["intervals"]["pacc"]) and back.meta_ == {"note": "x"}
    doc = json.loads((tmp_path / "corr" / "correction.json").read_text())
    assert np.allclose(doc["per_target"]["Russia"]["rates"], M)


def test_a_changed_correction_file_is_refused(tmp_path):
    fitted().save(tmp_path / "corr")
    arr = np.load(tmp_path / "corr" / "proba.npy")
    np.save(tmp_path / "corr" / "proba.npy", arr[::-1])
    with pytest.raises(ModelFileError, match="proba.npy: changed"):
        StancePrevalence.load(tmp_path / "corr")


def test_saving_never_overwrites_a_folder_that_is_not_a_correction(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(Exception, match="not a prevalence correction"):
        fitted().save(tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"


# -- kdey: kernel-density distribution matching ------------------------------------------------------
def shaped_rows(rng, counts):
    """True class j: probabilities from a Dirichlet leaning toward j, AGAINST and NONE overlapping a lot
    (their means are close, their shapes are not)."""
    alphas = ([6.0, 1.0, 1.0], [1.0, 2.5, 1.5], [1.0, 1.2, 3.0])
    P = np.concatenate([rng.dirichlet(alphas[j], size=n) for j, n in enumerate(counts)])
    return np.array(CLASSES)[np.repeat(np.arange(3), counts)], P


def test_kdey_is_the_maximum_likelihood_mixture_quapy_computes():
    from quapy.method._kdey import KDEyML
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(5)
    labels, P = shaped_rows(rng, (150, 150, 300))
    _, G = shaped_rows(rng, (30, 120, 50))
    ours = StancePrevalence(n_bootstrap=100, sources=(), method="kdey", bandwidth=0.1, kde_space="simplex").fit(
        labels, P, ["Russia"] * len(labels)).estimate(G, "Russia")["kdey"]
    clf = LogisticRegression()
    clf.classes_ = np.array(CLASSES)  # QuaPy reads the classes off an already trained classifier
    ref = KDEyML(classifier=clf, fit_classifier=False, val_split=None, bandwidth=0.1)
    ref.aggregation_fit(P, labels)
    assert np.abs(ours - ref.aggregate(G)).max() < 1e-3


def test_kdey_recovers_a_known_prevalence_that_cc_gets_wrong():
    rng = np.random.default_rng(6)
    labels, P = shaped_rows(rng, (400, 400, 400))
    est = StancePrevalence(n_bootstrap=100, sources=(), method="kdey").fit(labels, P, ["Russia"] * len(labels))
    _, G = shaped_rows(rng, (300, 1500, 1200))  # true shares 0.1, 0.5, 0.4
    e = est.estimate(G, "Russia")
    true = np.array([0.1, 0.5, 0.4])
    assert np.abs(e["kdey"] - true).max() < 0.04
    assert np.abs(e["cc"] - true).max() > 0.1


def test_kdey_in_either_space_recovers_a_known_prevalence_of_confident_predictions():
    # FAVOR's rows are confident (p near 0.95), crowded into their corner of the simplex
    rng = np.random.default_rng(11)
    alphas = ([40.0, 1.0, 1.0], [1.0, 12.0, 4.0], [1.0, 4.0, 12.0])

    def rows(counts):
        P = np.concatenate([rng.dirichlet(alphas[j], size=n) for j, n in enumerate(counts)])
        return np.array(CLASSES)[np.repeat(np.arange(3), counts)], P

    labels, P = rows((300, 300, 300))
    _, G = rows((200, 900, 900))
    true = np.array([0.1, 0.45, 0.45])
    for space, bw in (("simplex", 0.1), ("logratio", 0.25)):
        est = StancePrevalence(n_bootstrap=100, sources=(), method="kdey", kde_space=space, bandwidth=bw)
        e = est.fit(labels, P, ["Russia"] * len(labels)).estimate(G, "Russia")["kdey"]
        assert np.abs(e - true).max() < 0.05, space


def test_the_log_ratio_points_are_centred_and_order_like_the_probabilities():
    from topicstance.stance.prevalence import kde_points

    P = np.array([[0.98, 0.01, 0.01], [0.5, 0.3, 0.2], [0.0, 0.0, 1.0]])
    Z = kde_points(P, "logratio")
    assert np.allclose(Z.sum(axis=1), 0) and np.isfinite(Z).all()
    assert (np.argsort(Z, axis=1)[:, -1] == P.argmax(1)).all()
    assert np.array_equal(kde_points(P, "simplex"), P)


def test_a_correction_saved_before_kde_space_existed_loads_in_the_simplex(tmp_path):
    rng = np.random.default_rng(12)
    labels, P = shaped_rows(rng, (100, 100, 100))
    est = StancePrevalence(n_bootstrap=100, sources=(), method="kdey", kde_space="simplex", bandwidth=0.1).fit(
        labels, P, ["Russia"] * len(labels))
    est.save(tmp_path / "corr")
    f = tmp_path / "corr" / "correction.json"
    doc = json.loads(f.read_text())
    del doc["params"]["kde_space"]
    f.write_text(json.dumps(doc))
    back = StancePrevalence.load(tmp_path / "corr")
    assert back.kde_space == "simplex"
    assert np.allclose(back.estimate(P[:50], "Russia")["kdey"], est.estimate(P[:50], "Russia")["kdey"])


def test_an_unknown_kde_space_is_refused_naming_the_parameter():
    from topicstance.errors import ParamsError

    labels, P = exact_rows((100, 100, 100))
    with pytest.raises(ParamsError, match="prevalence.kde_space"):
        StancePrevalence(kde_space="euclid", sources=()).fit(labels, P, ["Russia"] * len(labels))


def test_the_mixture_maximum_on_an_edge_is_found_exactly():
    from topicstance.stance.prevalence import mixture_weights

    rng = np.random.default_rng(7)
    D = rng.uniform(0.2, 1.0, size=(200, 3))
    D[:, 2] *= 0.05  # the third class explains no unit well: the maximum has a_2 = 0
    grid = np.array([(x, y, 1 - x - y) for x in np.linspace(0, 1, 401) for y in np.linspace(0, 1, 401)
                     if x + y <= 1 + 1e-12])
    L = lambda a: np.log(D @ a.T).mean(axis=0)  # noqa: E731
    a = mixture_weights(D)
    assert a[2] == 0.0 and abs(a.sum() - 1) < 1e-12
    assert L(a[None])[0] >= L(grid).max() - 1e-12
    inner = rng.dirichlet([2, 2, 2], size=(200,)) @ np.diag([1.0, 0.6, 0.3])  # an interior maximum
    b = mixture_weights(inner)
    assert np.log(inner @ b).mean() >= np.log(inner @ grid.T).mean(axis=0).max() - 1e-12


def test_kdey_interval_covers_the_true_share_of_random_groups():
    rng = np.random.default_rng(8)
    hits = []
    for trial in range(25):
        labels, P = shaped_rows(rng, (150, 150, 150))
        est = StancePrevalence(n_bootstrap=200, random_state=trial, sources=(), method="kdey").fit(
            labels, P, ["Russia"] * len(labels))
        counts = rng.multinomial(120, rng.dirichlet([1, 1, 1]))
        _, G = shaped_rows(rng, counts)
        lo, hi = est.shares(G, "Russia")["intervals"]["kdey"]
        true = counts / counts.sum()
        hits += list((lo - 1e-9 <= true) & (true <= hi + 1e-9))
    assert np.mean(hits) >= 0.88


def test_kdey_reads_the_chosen_source_with_the_prior_of_all_rows():
    rng = np.random.default_rng(9)
    labels_a, Pa = shaped_rows(rng, (200, 200, 200))
    labels_b, Pb = shaped_rows(rng, (0, 50, 50))  # the chosen source has no FAVOR row
    labels = np.concatenate([labels_a, labels_b])
    src = ["other"] * len(labels_a) + ["news"] * len(labels_b)
    est = StancePrevalence(n_bootstrap=100, sources=("news",), prior_rows=10.0, method="kdey").fit(
        labels, np.vstack([Pa, Pb]), ["Russia"] * len(labels), sources=src)
    W = est.kde_weights_["Russia"]
    assert np.allclose(W[:-3].sum(axis=0), 1.0) and not W[-3:].any()  # no corner pseudo-row needed
    favor = np.asarray(labels) == "FAVOR"
    assert np.allclose(W[:-3][favor, 0], 1 / 200)  # FAVOR: the prior's rows alone, spread evenly
    news = np.array([s == "news" for s in src])
    against = np.asarray(labels) == "AGAINST"
    # AGAINST: the source's 50 rows count one each, the 10 prior rows are spread over all 250 AGAINST rows
    assert np.allclose(W[:-3][news & against, 1], (1 + 10 / 250) / 60)
    assert np.allclose(W[:-3][~news & against, 1], (10 / 250) / 60)


def test_a_class_with_no_labelled_row_sits_at_its_corner_for_kdey():
    rng = np.random.default_rng(10)
    labels, P = shaped_rows(rng, (100, 0, 100))
    est = StancePrevalence(n_bootstrap=100, sources=(), method="kdey").fit(labels, P, ["Russia"] * len(labels))
    W = est.kde_weights_["Russia"]
    assert np.allclose(W[-3:], [[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    r = est.shares(P[:60], "Russia")
    assert "class_unlabelled" in r["flags"] and np.isfinite(r["estimates"]["kdey"]).all()
