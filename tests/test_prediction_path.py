"""One prediction path, and `topicstance run` output that loads.

A tiny corpus (short texts, texts of 130-250 tokens that one chunk of 128 cannot hold but
the model's 256-token window can, and long ones) goes through `topicstance run` with a
stance model. Its article stances (`stance apply`), `topicstance predict` on the run's
models folder, and `stance predict` on (text, target) rows must agree row for row.
"""
import itertools
import json

import numpy as np
import pandas as pd
import pytest

from topicstance.cli import main

from .stance.conftest import AGAINST, FAVOR, FILLERS, NONE, make_labels

TARGETS = ("Russia", "Ukraine")


def _article(k: int, n_sentences: int) -> str:
    """Sentences on one of four themes (so there are topics), with stance sentences among them."""
    from .topics.conftest import THEMES

    rng = np.random.default_rng(k)
    subj, verb, obj = list(THEMES.values())[k % 4]
    pools = [FAVOR, AGAINST, NONE]
    out = []
    for i in range(n_sentences):
        if i % 3 == 1:
            tpl = pools[int(rng.integers(len(pools)))][int(rng.integers(4))]
            out.append(tpl.format(t=TARGETS[int(rng.integers(2))], x=FILLERS[int(rng.integers(len(FILLERS)))]))
        else:
            out.append(f"{subj[int(rng.integers(6))]} {verb[int(rng.integers(5))]} {obj[int(rng.integers(5))]}.")
    return " ".join(out)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("path")
    (root / "params.yaml").write_text(f"embed:\n  cache_dir: {root / 'cache'}\n")
    params = str(root / "params.yaml")
    labels = root / "labels.csv"
    make_labels(per_template=2).to_csv(labels, index=False)
    assert main(["stance", "train", str(labels), "--out", str(root / "stance"), "--params", params]) == 0
    sizes = [2, 3, 1, 2, 12, 14, 16, 13, 30, 45, 3, 2, 3, 2, 12, 40]  # sentences: ~30, ~150-250, ~400-600 tokens
    texts = [_article(k, n) for k, n in enumerate(sizes)]
    pd.DataFrame({"id": [f"art{k:02d}" for k in range(len(texts))], "text": texts}).to_csv(root / "corpus.csv",
                                                                                         index=False)
    assert main(["run", str(root / "corpus.csv"), "--out", str(root / "run"), "--stance-model",
                 str(root / "stance"), "--params", params]) == 0
    return root, params


def test_the_same_text_gets_the_same_stance_through_all_three_commands(project, capsys):
    root, params = project
    arts = pd.read_parquet(root / "run" / "data" / "articles.parquet")
    applied = pd.read_parquet(root / "run" / "data" / "article_stance.parquet").set_index(["article_id", "target"])
    chunks = pd.read_parquet(root / "run" / "data" / "chunks.parquet")
    per_article = chunks.groupby("article_id")["n_tokens"].agg(["size", "max"])
    assert (per_article["size"] == 1).any() and (per_article["size"] > 2).any()  # short and long texts

    arts[["article_id", "text"]].to_csv(root / "texts.csv", index=False)
    assert main(["predict", str(root / "texts.csv"), "--id-col", "article_id", "--models", str(root / "run" / "models"),
                 "--out", str(root / "pred.json")]) == 0
    predicted = {r["id"]: r for r in json.loads((root / "pred.json").read_text())}

    rows = pd.DataFrame([(a, t, g) for (a, t), g in itertools.product(zip(arts["article_id"], arts["text"]), TARGETS)],
                        columns=["article_id", "text", "target"])
    rows.to_csv(root / "rows.csv", index=False)
    assert main(["stance", "predict", str(root / "stance"), str(root / "rows.csv"), "--out", str(root / "sp.csv"),
                 "--params", params]) == 0
    sp = pd.read_csv(root / "sp.csv")

    stances = set()
    for r in sp.itertuples():
        want = applied.loc[(r.article_id, r.target)]
        got = predicted[r.article_id]["stance"][r.target]
        assert r.stance == want["stance"] == got["stance"], (r.article_id, r.target)
        assert np.isclose(r.p_favor, want["p_favor"], atol=1e-5) and np.isclose(got["p_favor"], want["p_favor"], atol=1e-5)
        assert predicted[r.article_id]["n_chunks"] == want["n_chunks"]
        stances.add(r.stance)
    assert len(stances) >= 2  # the comparison is not between constant answers


def test_run_writes_a_models_folder_that_loads_with_its_card_report_and_map(project):
    import topicstance

    root, _ = project
    run = root / "run"
    for f in ("models/manifest.json", "models/README.md", "models/stance/config.json", "models/topics/model.json",
              "reports/topic_map.html", "reports/figures/topic_map.png", "reports/figures/stance_by_topic.png",
              "reports/run.json"):
        assert (run / f).is_file(), f
    from topicstance.report.build import report_outputs

    drawn = {p for p in (run / "reports" / "figures").iterdir() if not p.name.startswith(".")}
    assert drawn and drawn <= set(report_outputs(run / "reports"))  # what report checks up front covers it all
    m = topicstance.load(run / "models")
    rec, = m.predict(["Russia committed brutal crimes and must be condemned on Monday."])
    assert rec["topic"] is not None and set(rec["stance"]) == set(TARGETS)
    assert "topicstance run" in (run / "models" / "README.md").read_text()


def test_predict_on_a_topics_only_run_gives_topics_and_says_once_there_is_no_stance_model(project, capsys):
    root, params = project
    assert main(["run", str(root / "corpus.csv"), "--out", str(root / "run2"), "--params", params]) == 0
    assert not (root / "run2" / "models" / "stance").exists()
    pd.DataFrame({"text": ["Officials from Russia met in the capital.", "Ukraine deserves praise.", ""]}).to_csv(
        root / "few.csv", index=False)
    capsys.readouterr()
    assert main(["predict", str(root / "few.csv"), "--models", str(root / "run2" / "models"),
                 "--out", str(root / "few.json")]) == 0
    err = capsys.readouterr().err
    assert err.count("no stance model") == 1, err
    recs = json.loads((root / "few.json").read_text())
    assert [r["stance"] for r in recs] == [{}, {}, {}] and recs[0]["topic"] is not None and recs[2]["n_chunks"] == 0


def test_predict_reads_a_table_with_the_column_map_the_models_were_built_with(project, tmp_path, capsys):
    """A models folder built from a corpus table whose text column is ``body`` and id column ``link``
    (their manifest says so): ``predict`` reads such a table as ``ingest`` did, and the flags win."""
    import shutil

    import topicstance

    root, _ = project
    models = tmp_path / "models"
    shutil.copytree(root / "run" / "models", models)
    man = json.loads((models / "manifest.json").read_text())
    man["params"]["ingest"].update(text_column="body", id_column="link")
    (models / "manifest.json").write_text(json.dumps(man))  # the manifest lists every file but itself
    texts = ["Russia committed brutal crimes and must be condemned on Monday.",
             "Ukraine deserves praise for its courage, officials said."]
    want = topicstance.load(models).predict(texts)
    pd.DataFrame({"link": ["u1", "u2"], "body": texts}).to_csv(tmp_path / "own.csv", index=False)
    assert main(["predict", str(tmp_path / "own.csv"), "--models", str(models), "--out", str(tmp_path / "a.json")]) == 0
    got = json.loads((tmp_path / "a.json").read_text())
    assert [r["id"] for r in got] == ["u1", "u2"]
    assert [(r["topic"], r["stance"]) for r in got] == [(r["topic"], r["stance"]) for r in want]

    pd.DataFrame({"key": ["k1"], "content": [texts[1]]}).to_json(tmp_path / "other.jsonl", orient="records",
                                                                 lines=True)
    assert main(["predict", str(tmp_path / "other.jsonl"), "--models", str(models), "--text-col", "content",
                 "--id-col", "key", "--out", str(tmp_path / "b.json")]) == 0
    got = json.loads((tmp_path / "b.json").read_text())
    assert [(r["id"], r["stance"]) for r in got] == [("k1", want[1]["stance"])]

    capsys.readouterr()
    assert main(["predict", str(tmp_path / "other.jsonl"), "--models", str(models), "--out",
                 str(tmp_path / "c.json")]) == 2  # the map names a column this table lacks
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "other.jsonl" in err and "'body'" in err
