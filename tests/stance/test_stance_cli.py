"""The `topicstance stance ...` commands, in process, on tiny data and the real model."""
import json

import numpy as np
import pandas as pd
import pytest

from topicstance.cli import main
from topicstance.stance.labels import unit_id

from .conftest import make_labels


def run(*args) -> int:
    return main(["stance", *map(str, args)])


@pytest.fixture
def split_labels(tmp_path, params_file):
    p = tmp_path / "labels.csv"
    make_labels(per_template=4).to_csv(p, index=False)
    assert run("split", p, "--in-place", "--params", params_file) == 0
    return p


@pytest.fixture
def model(tmp_path, split_labels, params_file):
    assert run("train", split_labels, "--out", tmp_path / "model", "--split", "train", "--params", params_file) == 0
    return tmp_path / "model"


def test_split_writes_a_split_column_and_freezes_the_test_units(tmp_path, split_labels):
    df = pd.read_csv(split_labels)
    assert set(df["split"]) == {"train", "test"} and (df["split"] == "test").mean() >= 0.25
    assert (tmp_path / "test_split.txt").exists()


def test_train_without_split_uses_all_rows(tmp_path, split_labels, params_file):
    assert run("train", split_labels, "--out", tmp_path / "all", "--method", "tfidf", "--params", params_file) == 0
    cfg = json.loads((tmp_path / "all" / "config.json").read_text())
    assert cfg["n_train"] == len(pd.read_csv(split_labels)) and cfg["params"]["method"] == "tfidf"


def test_train_with_split_uses_only_train_rows(model, split_labels):
    cfg = json.loads((model / "config.json").read_text())
    assert cfg["n_train"] == (pd.read_csv(split_labels)["split"] == "train").sum()


def test_predict_keeps_rows_and_order_and_chunks_long_texts(tmp_path, model, params_file):
    long = " ".join(["Officials from Russia met in the capital on Tuesday."] * 45
                    + ["Russia committed brutal crimes and must be condemned."] * 20)  # ~800 tokens
    inp = pd.DataFrame({"id": [3, 1, 2, 9],
                        "text": ["Ukraine deserves praise for the courage of its soldiers.", long, "",
                                 "The regime in Russia is corrupt, aggressive and lying."],
                        "target": ["Ukraine", "Russia", "Russia", "Russia"]})
    inp.to_csv(tmp_path / "in.csv", index=False)
    assert run("predict", model, tmp_path / "in.csv", "--out", tmp_path / "out.csv", "--params", params_file) == 0
    out = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    assert list(out.columns) == ["id", "text", "target", "stance", "p_favor", "p_against", "p_none"]
    assert out["id"].tolist() == [3, 1, 2, 9]
    assert out["stance"].tolist() == ["FAVOR", "AGAINST", "", "AGAINST"]  # long text: max-evidence chunk decides


def test_predict_warns_about_rows_whose_target_was_never_trained(tmp_path, model, params_file, capsys):
    pd.DataFrame({"text": ["Belarus deserves praise.", "Russia committed brutal crimes."],
                  "target": ["Belarus", "Russia"]}).to_csv(tmp_path / "in.csv", index=False)
    assert run("predict", model, tmp_path / "in.csv", "--out", tmp_path / "out.csv", "--params", params_file) == 0
    err = capsys.readouterr().err
    assert "1 row(s) with targets unseen in training" in err and "label examples for those targets" in err


def test_evaluate_writes_metrics_and_plot_data(tmp_path, model, split_labels, params_file):
    assert run("evaluate", split_labels, "--model", model, "--reports", tmp_path / "rep", "--params", params_file) == 0
    m = json.loads((tmp_path / "rep" / "stance_metrics.json").read_text())
    t = m["test"]["model"]
    assert t["ci95"]["f_avg"][0] <= t["f_avg"] <= t["ci95"]["f_avg"][1]
    assert set(t["per_target"]) == {"Russia", "Ukraine"}
    assert t["per_class"]["FAVOR"]["support"] > 0
    assert {"baseline_majority", "baseline_tfidf"} <= set(m["test"])
    assert m["cv"]["n_folds"] == 3 and len(m["cv"]["folds"]) == 3
    assert [p["k"] for p in m["learning_curve"]] == [2, 4, 100, "all"]
    assert [p["supported"] for p in m["learning_curve"]] == [True, True, False, True]
    assert len(m["test_split"]["sha256"]) == 64 and 0.0 <= m["calibration"]["ece"] <= 1.0
    for f in ("confusion.csv", "learning_curve.csv", "reliability.csv"):
        assert len(pd.read_csv(tmp_path / "rep" / "stance" / f)) > 0
    assert len(pd.read_csv(tmp_path / "rep" / "stance" / "confusion.csv")) == t["n"]


def test_evaluate_refuses_a_model_trained_on_test_rows(tmp_path, split_labels, params_file, capsys):
    assert run("train", split_labels, "--out", tmp_path / "leaky", "--method", "tfidf", "--params", params_file) == 0
    capsys.readouterr()
    assert run("evaluate", split_labels, "--model", tmp_path / "leaky", "--reports", tmp_path / "r",
               "--params", params_file) == 2
    err = capsys.readouterr().err.strip()
    assert "trained on" in err and "test unit" in err and "\n" not in err


def test_cv_is_skipped_with_a_reason_when_a_class_has_one_example(tmp_path, params_file):
    df = make_labels(per_template=4)
    fav = df.index[df["stance"] == "FAVOR"]
    df = df.drop(fav[1:])  # a single FAVOR row left
    df["split"] = ["test" if i % 3 == 0 else "train" for i in range(len(df))]
    df.loc[fav[0], "split"] = "train"
    df.to_csv(tmp_path / "l.csv", index=False)
    assert run("train", tmp_path / "l.csv", "--out", tmp_path / "m", "--split", "train", "--method", "tfidf",
               "--params", params_file) == 0
    assert run("evaluate", tmp_path / "l.csv", "--model", tmp_path / "m", "--reports", tmp_path / "r",
               "--params", params_file) == 0
    m = json.loads((tmp_path / "r" / "stance_metrics.json").read_text())
    assert "FAVOR has 1 training example" in m["cv"]["skipped"]


def test_unknown_stance_is_one_line_naming_file_and_row(tmp_path, params_file, capsys):
    df = make_labels()
    df.loc[5, "stance"] = "maybe"
    df.to_csv(tmp_path / "bad.csv", index=False)
    assert run("train", tmp_path / "bad.csv", "--out", tmp_path / "m", "--params", params_file) == 2
    err = capsys.readouterr().err.strip()
    assert err == "topicstance: error: " + f"{tmp_path / 'bad.csv'}: line 7: unknown stance 'maybe' (expected FAVOR, AGAINST or NONE)"


def test_suggest_leaves_out_labelled_units_and_leaves_stance_empty(tmp_path, model, split_labels, params_file):
    labelled = pd.read_csv(split_labels)["text"].tolist()
    fresh = [f"Troops from {t} crossed the river near village {i}." for t in ("Russia", "Ukraine") for i in range(8)]
    pd.DataFrame({"chunk_id": [f"c{i}" for i in range(len(labelled[:10]) + len(fresh))],
                  "text": labelled[:10] + fresh}).to_csv(tmp_path / "cands.csv", index=False)
    assert run("suggest", model, tmp_path / "cands.csv", "--labels", split_labels, "--n", 3, "--out",
               tmp_path / "s.csv", "--params", params_file) == 0
    s = pd.read_csv(tmp_path / "s.csv", keep_default_na=False)
    assert list(s.columns[:4]) == ["unit_id", "text", "target", "stance"]
    assert (s["stance"] == "").all() and sorted(s["target"].unique()) == ["Russia", "Ukraine"]
    assert (s.groupby("target").size() == 3).all()
    assert not set(s["text"]) & set(labelled)
    assert s.groupby("target")["unit_id"].nunique().eq(3).all()


@pytest.fixture()
def applied_corpus(tmp_path, cache_dir):
    """Two articles of two chunks each, with their embed-stage vectors."""
    from topicstance.embed.encoder import Embedder
    from topicstance.embed.model import read_model_info
    from topicstance.embed.store import write_embeddings

    texts = ["Officials from Russia met in the capital on Tuesday.",
             "Russia committed brutal crimes and must be condemned.",
             "Ukraine deserves praise for the courage of its soldiers.",
             "The weather in Ukraine is expected to be cloudy."]
    chunks = pd.DataFrame({"chunk_id": ["a0", "a1", "b0", "b1"], "article_id": ["a", "a", "b", "b"],
                           "position": [0, 1, 0, 1], "char_start": [0, 60, 0, 60], "char_end": [55, 115, 58, 110],
                           "n_tokens": [12, 12, 12, 12], "text": texts})
    chunks.to_parquet(tmp_path / "chunks.parquet", index=False)
    info = read_model_info("all-MiniLM-L6-v2")
    vecs = Embedder(cache_dir=cache_dir, precision="float32").encode(texts)
    write_embeddings(tmp_path / "emb", chunks["chunk_id"].tolist(), vecs,
                     {"weights_sha256": info.weights_sha256, "dimension": 384})
    return tmp_path


def test_apply_reuses_chunk_embeddings_and_aggregates_articles(applied_corpus, model, params_file):
    from topicstance.stance.apply import apply_stance
    from topicstance.params import load_params

    d = applied_corpus
    stats = apply_stance(model, d / "chunks.parquet", d / "emb", d / "stance.parquet",
                         d / "art.parquet", load_params(params_file))
    assert stats["embeddings_reused"] == 4 and stats["embeddings_encoded"] == 0
    st = pd.read_parquet(d / "stance.parquet")
    assert len(st) == 8 and list(st.columns) == ["chunk_id", "article_id", "target", "stance", "p_favor",
                                                 "p_against", "p_none"]
    art = pd.read_parquet(d / "art.parquet").set_index(["article_id", "target"])
    assert art.loc[("a", "Russia"), "stance"] == "AGAINST" and art.loc[("a", "Russia"), "evidence_chunk_id"] == "a1"
    assert art.loc[("b", "Ukraine"), "stance"] == "FAVOR"
    assert np.allclose(st[["p_favor", "p_against", "p_none"]].sum(1), 1.0)


def test_apply_in_batches_gives_the_rows_of_one_batch(applied_corpus, model, params_file):
    from topicstance.stance.apply import apply_stance
    from topicstance.params import load_params

    d = applied_corpus
    for name, size in (("all", 10_000), ("one", 1)):  # batch_size 1: one article (two chunks) per batch
        apply_stance(model, d / "chunks.parquet", d / "emb", d / f"st_{name}.parquet", d / f"art_{name}.parquet",
                     load_params(params_file), batch_size=size)
    for kind in ("st", "art"):
        a, b = pd.read_parquet(d / f"{kind}_all.parquet"), pd.read_parquet(d / f"{kind}_one.parquet")
        pd.testing.assert_frame_equal(a, b, check_exact=False, atol=1e-9)


def test_long_text_is_cut_into_chunks_under_the_token_budget(model, cache_dir):
    from topicstance.embed.model import load_tokenizer
    from topicstance.stance.classifier import StanceClassifier
    from topicstance.stance.predict import predict_rows

    clf = StanceClassifier.load(model, cache_dir=cache_dir)
    long = " ".join(["Officials from Russia met in the capital on Tuesday."] * 45)
    out, stats = predict_rows(clf, [long, "Short text about Russia."], ["Russia", "Russia"],
                              tokenizer=load_tokenizer("all-MiniLM-L6-v2"), max_tokens=128, overlap_sentences=1,
                              rule="mean")
    assert stats["chunked_rows"] == 1 and out["n_chunks"].tolist()[0] >= 4 and out["n_chunks"].tolist()[1] == 1


def test_evaluate_reports_each_named_split_and_source_beside_its_shortcut_baseline(tmp_path, cache_dir):
    df = make_labels(per_template=4)
    df["unit_id"] = [unit_id(t) for t in df["text"]]
    units = sorted(set(df["unit_id"]))
    df["source"] = ["propaganda_diary" if units.index(u) % 2 else "seed" for u in df["unit_id"]]
    df["kind"] = np.where(df["source"] == "propaganda_diary", "claim", "")
    df["group"] = df["unit_id"]
    pool_units = sorted(set(df.loc[df["source"] == "propaganda_diary", "unit_id"]))
    seed_units = sorted(set(df.loc[df["source"] == "seed", "unit_id"]))
    (tmp_path / "t_seed.txt").write_text("\n".join(seed_units[::4]) + "\n")
    (tmp_path / "t_pool.txt").write_text("\n".join(pool_units[::4]) + "\n")
    params = tmp_path / "params.yaml"
    params.write_text(f"""embed:
  cache_dir: {cache_dir}
stance:
  cv_folds: 3
  cv_repeats: 1
  n_bootstrap: 100
  learning_curve_k: [2]
  test_split:
    seed: {tmp_path / 't_seed.txt'}
    propaganda_diary: {tmp_path / 't_pool.txt'}
""")
    lab = tmp_path / "labels.csv"
    df.to_csv(lab, index=False)
    assert run("split", lab, "--in-place", "--params", params) == 0
    assert run("train", lab, "--out", tmp_path / "m", "--split", "train", "--method", "tfidf", "--params", params) == 0
    assert run("evaluate", lab, "--model", tmp_path / "m", "--reports", tmp_path / "rep", "--params", params) == 0
    m = json.loads((tmp_path / "rep" / "stance_metrics.json").read_text())
    assert set(m["test_by_split"]) == {"seed", "propaganda_diary"}
    assert m["test_by_split"]["seed"]["n_rows"] + m["test_by_split"]["propaganda_diary"]["n_rows"] \
        == m["test"]["model"]["n"]
    assert "baseline_kind" in m["test_by_source"]["propaganda_diary"]
    assert "baseline_kind" not in m["test_by_source"]["seed"]
    assert set(m["cv"]["by_source"]) == {"seed", "propaganda_diary"}
    assert set(m["test_split"]["frozen_files"]) == {"seed", "propaganda_diary"}


def test_train_drops_conflicting_pairs_with_a_warning_and_strict_refuses_them(tmp_path, params_file, capsys):
    df = make_labels(per_template=2)
    flipped = df.iloc[:1].assign(stance="NONE" if df["stance"].iloc[0] != "NONE" else "FAVOR")
    p = tmp_path / "conflict.csv"
    pd.concat([df, flipped]).to_csv(p, index=False)
    assert run("train", p, "--out", tmp_path / "m", "--method", "tfidf", "--params", params_file) == 0
    err = capsys.readouterr().err
    assert "dropped 1 (text, target) pair(s) labelled with different stances (2 rows" in err
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    assert cfg["training_data"]["conflicting_pairs_dropped"] == 1 and cfg["training_data"]["rows"] == len(df) - 1
    assert run("train", p, "--out", tmp_path / "m2", "--method", "tfidf", "--strict", "--params", params_file) == 2
    err = capsys.readouterr().err.strip()
    assert "labelled" in err and "\n" not in err and not (tmp_path / "m2" / "config.json").exists()


def _applied_data_dir(d, rng):
    """A data folder as the pipeline leaves it: 40 articles of 3 chunks, 2 topics, 2 sources, half dated."""
    d.mkdir()
    arts = pd.DataFrame({"article_id": [f"a{i}" for i in range(40)], "source": ["x.txt", "y.txt"] * 20, "outlet": None,
                         "title": None, "text": "t", "date": [f"2022-0{1 + i % 2}-15" if i < 20 else None
                                                              for i in range(40)],
                         "page_date": None, "tags": [[] for _ in range(40)], "summary": None})
    arts.to_parquet(d / "articles.parquet")
    chunks = pd.DataFrame({"chunk_id": [f"c{i}" for i in range(120)], "article_id": [f"a{i // 3}" for i in range(120)],
                           "position": [i % 3 for i in range(120)], "char_start": 0, "char_end": 1, "n_tokens": 5,
                           "text": "t"})
    chunks.to_parquet(d / "chunks.parquet")
    topic = [(i // 3) % 2 for i in range(120)]
    pd.DataFrame({"chunk_id": chunks["chunk_id"], "topic_raw": topic, "topic": topic, "probability": 1.0}).to_parquet(
        d / "topics.parquet")
    pd.DataFrame({"article_id": arts["article_id"], "topic": [i % 2 for i in range(40)],
                  "topic_label": ["war front" if i % 2 == 0 else "energy prices" for i in range(40)],
                  "topic_mix": "{}", "duplicate_of": None, "skipped": None}).to_parquet(d / "article_topics.parquet")
    parts = []
    for target in ("Russia", "Ukraine"):
        P = rng.dirichlet([1, 1, 2], size=120)
        parts.append(pd.DataFrame({"chunk_id": chunks["chunk_id"], "article_id": chunks["article_id"], "target": target,
                                   "stance": np.array(["FAVOR", "AGAINST", "NONE"])[P.argmax(1)],
                                   "p_favor": P[:, 0], "p_against": P[:, 1], "p_none": P[:, 2]}))
    pd.concat(parts, ignore_index=True).to_parquet(d / "stance.parquet")
    return d


def test_evaluate_writes_the_out_of_fold_predictions_that_shares_learns_from(tmp_path, split_labels, params_file, capsys):
    assert run("train", split_labels, "--out", tmp_path / "m", "--split", "train", "--method", "tfidf",
               "--params", params_file) == 0
    assert run("evaluate", split_labels, "--model", tmp_path / "m", "--reports", tmp_path / "rep",
               "--params", params_file) == 0
    cv = pd.read_csv(tmp_path / "rep" / "stance" / "cv_predictions.csv")
    n_train = (pd.read_csv(split_labels)["split"] == "train").sum()
    assert len(cv) == n_train and set(cv["method"]) == {"tfidf"}  # params_file: one repeat
    assert np.allclose(cv[["p_favor", "p_against", "p_none"]].sum(1), 1.0)
    data = _applied_data_dir(tmp_path / "data", np.random.default_rng(0))
    capsys.readouterr()
    assert run("shares", data, "--by", "topic", "period", "--cv-predictions", tmp_path / "rep" / "stance" / "cv_predictions.csv",
               "--correction", tmp_path / "corr", "--sources", "--out", tmp_path / "shares.csv", "--params", params_file) == 0
    err = capsys.readouterr().err
    assert "period: 2 groups (60 chunks without a value, left out)" in err
    t = pd.read_csv(tmp_path / "shares.csv", keep_default_na=False)
    assert len(t) == (2 + 2) * 2 * 3  # (2 topics + 2 months) x 2 targets x 3 stances
    assert set(t.loc[t["by"] == "topic", "label"]) == {"war front", "energy prices"}
    per, top = t[t["by"] == "period"], t[t["by"] == "topic"]
    assert (per["n"] == 30).all() and (per["n_clusters"] == 10).all()
    assert (top["n"] == 60).all() and (top["n_clusters"] == 20).all()
    assert per["flags"].str.contains("few_units").all()  # 10 articles < prevalence.min_units (20)
    assert not top["flags"].str.contains("few_units").any()
    sums = t.groupby(["by", "group", "target"])[["cc", "corrected"]].sum()
    assert np.allclose(sums, 1.0, atol=1e-5)
    assert ((t["lo"] <= t["corrected"] + 1e-9) & (t["corrected"] <= t["hi"] + 1e-9)).all()


def test_shares_reads_a_saved_correction_and_names_a_missing_column(tmp_path, params_file, capsys):
    from topicstance.stance.prevalence import StancePrevalence

    rng = np.random.default_rng(1)
    y = np.repeat(["FAVOR", "AGAINST", "NONE"], 60)
    P = rng.dirichlet([1, 1, 1], size=len(y))
    StancePrevalence(n_bootstrap=100, sources=()).fit(np.concatenate([y, y]), np.concatenate([P, P]),
                                          ["Russia"] * len(y) + ["Ukraine"] * len(y)).save(tmp_path / "corr")
    data = _applied_data_dir(tmp_path / "data", rng)
    assert run("shares", data, "--by", "all", "source", "--correction", tmp_path / "corr", "--sources",
               "--out", tmp_path / "s.parquet", "--params", params_file) == 0
    t = pd.read_parquet(tmp_path / "s.parquet")
    assert sorted(set(t["group"])) == ["all", "x.txt", "y.txt"] and (t.loc[t["by"] == "all", "n"] == 120).all()
    capsys.readouterr()
    assert run("shares", data, "--by", "desk", "--correction", tmp_path / "corr", "--sources",
               "--params", params_file) == 2
    err = capsys.readouterr().err.strip()
    assert "--by desk: no such column" in err and "source" in err and "\n" not in err
