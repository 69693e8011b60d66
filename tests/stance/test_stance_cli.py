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
    assert run("split", p, "--params", params_file) == 0
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
    assert err == "topicstance: error: " + f"{tmp_path / 'bad.csv'}: row 7: unknown stance 'maybe' (expected FAVOR, AGAINST or NONE)"


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


def test_apply_reuses_chunk_embeddings_and_aggregates_articles(tmp_path, model, params_file, cache_dir):
    from topicstance.embed.encoder import Embedder
    from topicstance.embed.model import read_model_info
    from topicstance.embed.store import write_embeddings
    from topicstance.stance.apply import apply_stance
    from topicstance.params import load_params

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
    stats = apply_stance(model, tmp_path / "chunks.parquet", tmp_path / "emb", tmp_path / "stance.parquet",
                         tmp_path / "art.parquet", load_params(params_file))
    assert stats["embeddings_reused"] == 4 and stats["embeddings_encoded"] == 0
    st = pd.read_parquet(tmp_path / "stance.parquet")
    assert len(st) == 8 and list(st.columns) == ["chunk_id", "article_id", "target", "stance", "p_favor",
                                                 "p_against", "p_none"]
    art = pd.read_parquet(tmp_path / "art.parquet").set_index(["article_id", "target"])
    assert art.loc[("a", "Russia"), "stance"] == "AGAINST" and art.loc[("a", "Russia"), "evidence_chunk_id"] == "a1"
    assert art.loc[("b", "Ukraine"), "stance"] == "FAVOR"
    assert np.allclose(st[["p_favor", "p_against", "p_none"]].sum(1), 1.0)
    # in batches of one chunk: the same rows and probabilities
    apply_stance(model, tmp_path / "chunks.parquet", tmp_path / "emb", tmp_path / "stance1.parquet",
                 tmp_path / "art1.parquet", load_params(params_file), batch_size=1)
    st1 = pd.read_parquet(tmp_path / "stance1.parquet")
    assert st1["chunk_id"].tolist() == st["chunk_id"].tolist()
    assert np.allclose(st1[["p_favor", "p_against", "p_none"]], st[["p_favor", "p_against", "p_none"]], atol=1e-9)


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
    assert run("split", lab, "--params", params) == 0
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
