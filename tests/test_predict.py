"""topicstance.load(...).predict(...) and `topicstance predict` on the seed pipeline's models."""
import json
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import topicstance
from topicstance.errors import ModelFileError
from topicstance.manifest import ModelVersionWarning, write_manifest

NEW_ARTICLE = (
    "Kremlin hails liberation of eastern village as Kyiv reports heavy shelling\n\n"
    "Russia's defence ministry said on Sunday that its forces had liberated a village near Pokrovsk, calling the "
    "advance a major success. Ukrainian officials said the village had been reduced to rubble and that Russian "
    "artillery continued to strike civilian buildings.\n\n"
    "President Zelensky thanked Ukrainian soldiers for their courage and asked partners to speed up deliveries "
    "of air defence systems.")


@pytest.fixture(scope="module")
def models_dir(project_outputs):
    d = project_outputs / "models"
    if not (d / "manifest.json").exists():
        from tests.conftest import require

        require(d / "manifest.json")
    return d


@pytest.fixture(scope="module")
def seed_prediction(models_dir, project_outputs, tmp_path_factory):
    cache = tmp_path_factory.mktemp("fresh-cache")
    m = topicstance.load(models_dir, cache_dir=str(cache))
    arts = pd.read_parquet(project_outputs / "data" / "articles.parquet")
    recs = m.predict(arts["text"].tolist(), details=True)
    return m, arts, recs


def test_seed_corpus_reproduces_pipeline_stance_and_topics(seed_prediction, project_outputs):
    m, arts, recs = seed_prediction
    chunks = pd.read_parquet(project_outputs / "data" / "chunks.parquet")
    topics = pd.read_parquet(project_outputs / "data" / "topics.parquet").set_index("chunk_id")
    stance = pd.read_parquet(project_outputs / "data" / "stance.parquet")
    # every chunk of the pipeline, in order, matched to the predicted chunks of its article
    pred_rows = []
    for aid, rec in zip(arts["article_id"], recs):
        for c in rec["chunks"]:
            pred_rows.append({"article_id": aid, "char_start": c["char_start"], "char_end": c["char_end"],
                              "topic": c["topic"], **{f"stance_{t}": s["stance"] for t, s in c["stance"].items()}})
    pred = pd.DataFrame(pred_rows)
    joined = chunks.merge(pred, on=["article_id", "char_start", "char_end"], how="left", validate="1:1")
    assert joined["topic"].notna().all(), "predict chunked the seed articles differently from the pipeline"
    agree = (joined["topic"].astype(int).to_numpy() == topics.loc[joined["chunk_id"], "topic"].to_numpy()).mean()
    assert agree >= 0.98, agree
    for target, g in stance.groupby("target"):
        want = g.set_index("chunk_id").loc[joined["chunk_id"], "stance"].to_numpy()
        assert (joined[f"stance_{target}"].to_numpy() == want).all(), target
    # a fresh, empty cache: every chunk was encoded, none read back from the pipeline's run
    st = m.embedder().stats
    assert st.hits == 0 and st.misses == chunks["text"].nunique()


def test_new_article_gets_topic_mix_and_stance_per_target(models_dir):
    m = topicstance.load(models_dir)
    rec, = m.predict([NEW_ARTICLE])
    assert rec["topic"] in set(m.topics.topic_ids) and rec["topic_label"]
    assert abs(sum(rec["topic_mix"].values()) - 1) < 1e-6
    assert set(rec["stance"]) == set(m.targets)
    for s in rec["stance"].values():
        assert s["stance"] in ("FAVOR", "AGAINST", "NONE")
        assert abs(s["p_favor"] + s["p_against"] + s["p_none"] - 1) < 1e-5


def test_output_keeps_order_and_count_including_empty_and_short_texts(models_dir):
    m = topicstance.load(models_dir)
    texts = ["Russia fired missiles at Kyiv.", "", NEW_ARTICLE * 3, "Interest rates rose."]
    recs = m.predict(texts)
    assert [r["index"] for r in recs] == [0, 1, 2, 3]
    assert recs[1]["n_chunks"] == 0 and recs[1]["note"] == "empty text"
    assert recs[0]["n_chunks"] == 1 and recs[2]["n_chunks"] > 1


def _copy(models_dir, tmp_path):
    d = tmp_path / "models"
    shutil.copytree(models_dir, d)
    return d


def test_a_changed_file_is_refused_by_name(models_dir, tmp_path):
    d = _copy(models_dir, tmp_path)
    f = d / "stance" / "config.json"
    f.write_text(f.read_text().replace("{", "{ ", 1))
    with pytest.raises(ModelFileError, match=r"stance/config\.json.*changed"):
        topicstance.load(d)


def test_a_missing_file_is_refused_by_name(models_dir, tmp_path):
    d = _copy(models_dir, tmp_path)
    (d / "topics" / "knn_vectors.npy").unlink()
    with pytest.raises(ModelFileError, match=r"knn_vectors\.npy.*missing"):
        topicstance.load(d)


def test_a_tampered_pickle_payload_never_runs(models_dir, tmp_path):
    """Replace an array with a pickled object array whose unpickling would write a file; re-sign the manifest
    so the hash check passes: loading must still refuse it, and the payload must not run."""
    d = _copy(models_dir, tmp_path)
    marker = tmp_path / "PWNED"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    arr = np.empty(1, dtype=object)
    arr[0] = Payload()
    with open(d / "topics" / "knn_vectors.npy", "wb") as fh:
        np.save(fh, arr, allow_pickle=True)
    old = json.loads((d / "manifest.json").read_text())
    write_manifest(d, params=old["params"], embedding=old["embedding_model"], data_hashes=old["training_data"],
                   metrics=old["metrics"])
    with pytest.raises(ModelFileError):
        topicstance.load(d).predict(["Russia fired missiles at Kyiv."])
    assert not marker.exists()


def test_model_from_another_version_warns_and_another_format_is_refused(models_dir, tmp_path):
    d = _copy(models_dir, tmp_path)
    man = json.loads((d / "manifest.json").read_text())
    man["package_version"] = "0.0.1"
    (d / "manifest.json").write_text(json.dumps(man))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        topicstance.load(d)
    assert any(issubclass(x.category, ModelVersionWarning) and "0.0.1" in str(x.message) for x in w)
    man["format_version"] = 99
    (d / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(ModelFileError, match="format 99"):
        topicstance.load(d)


def test_load_and_predict_import_neither_umap_nor_hdbscan(models_dir):
    code = ("import sys, topicstance; m = topicstance.load(sys.argv[1]); m.predict(['Russia fired missiles.']); "
            "bad = [k for k in sys.modules if k.split('.')[0] in ('umap', 'hdbscan', 'pynndescent')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code, str(models_dir)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr[-2000:]


def test_cli_predict_txt_csv_and_stdin(models_dir, tmp_path):
    (tmp_path / "a.txt").write_text(NEW_ARTICLE)
    pd.DataFrame({"id": ["x", "y", "z"], "text": ["Russia fired missiles at Kyiv.", "", NEW_ARTICLE]}).to_csv(
        tmp_path / "t.csv", index=False)
    cli = [sys.executable, "-m", "topicstance.cli", "predict", "--models", str(models_dir)]
    r = subprocess.run(cli + [str(tmp_path / "a.txt"), str(tmp_path / "t.csv"), "--format", "csv"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    from io import StringIO

    out = pd.read_csv(StringIO(r.stdout))
    assert out["id"].tolist() == [str(tmp_path / "a.txt"), "x", "y", "z"]
    assert {"Russia_stance", "Ukraine_p_favor", "topic_label"} <= set(out.columns)
    r = subprocess.run(cli + ["-"], input=NEW_ARTICLE, capture_output=True, text=True)
    assert r.returncode == 0 and json.loads(r.stdout)[0]["n_chunks"] >= 1


def test_cli_predict_bad_input_is_one_line(models_dir, tmp_path):
    pd.DataFrame({"body": ["x"]}).to_csv(tmp_path / "t.csv", index=False)
    r = subprocess.run([sys.executable, "-m", "topicstance.cli", "predict", str(tmp_path / "t.csv"), "--models",
                        str(models_dir)], capture_output=True, text=True)
    assert r.returncode == 2 and "'text'" in r.stderr and "Traceback" not in r.stderr
