"""The writer (topicstance.io): a command never deletes or overwrites a file it did not write.

Every command that takes ``--out`` is run here against a folder that already holds
other files: it either writes beside them, leaving them byte for byte as they were,
or refuses with one line naming the path and what to do.
"""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from topicstance.cli import main
from topicstance.errors import OutputError
from topicstance.io import MARKER, atomic_path, read_marker, write_text, writing

SEEDS = Path(__file__).resolve().parents[1] / "seeds" / "corpus"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _refused(capsys, rc, *needles):
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    assert "\n" not in err and "Traceback" not in err, err
    for n in needles:
        assert n in err, (n, err)
    return err


def _user_folder(d: Path) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "notes.txt").write_text("my own notes\n")
    (d / "sub").mkdir(exist_ok=True)
    (d / "sub" / "keep.csv").write_text("a,b\n1,2\n")
    return d


# ------------------------------------------------------------------ the mechanism


def test_a_file_another_command_wrote_is_refused_and_its_own_is_rewritten(tmp_path):
    with writing("ingest"):
        write_text(tmp_path / "a.txt", "one")
    assert read_marker(tmp_path) == {"a.txt": "ingest"}
    with writing("ingest"):
        write_text(tmp_path / "a.txt", "two")  # its own earlier output
    with writing("chunk"), pytest.raises(OutputError, match=r"a\.txt: exists and was not written by topicstance chunk"):
        write_text(tmp_path / "a.txt", "three")
    (tmp_path / "mine.txt").write_text("user")
    with writing("ingest"), pytest.raises(OutputError, match="mine.txt"):
        write_text(tmp_path / "mine.txt", "x")
    assert (tmp_path / "a.txt").read_text() == "two" and (tmp_path / "mine.txt").read_text() == "user"


def test_a_folder_is_replaced_only_when_it_holds_nothing_but_its_own_output(tmp_path):
    d = tmp_path / "out"

    def put(name):
        with writing("embed"), atomic_path(d, is_dir=True) as tmp:
            (tmp / name).write_text(name)

    put("v1.npy")
    put("v2.npy")  # replaces its own earlier output
    assert sorted(p.name for p in d.iterdir()) == [MARKER, "v2.npy"]
    (d / "extra.txt").write_text("user")
    with pytest.raises(OutputError, match=r"out: holds extra\.txt, which topicstance embed did not write"):
        put("v3.npy")
    assert (d / "extra.txt").read_text() == "user" and (d / "v2.npy").exists()


def test_an_input_is_never_an_output(tmp_path):
    f = tmp_path / "in.parquet"
    f.write_text("x")
    with writing("chunk", [f]), pytest.raises(OutputError, match="is an input of topicstance chunk"):
        write_text(f, "y")
    with writing("ingest", [tmp_path]), pytest.raises(OutputError, match="inside the input folder"):
        write_text(tmp_path / "articles.parquet", "y")
    with writing("embed", [f]), pytest.raises(OutputError, match="holds the input"):
        with atomic_path(tmp_path, is_dir=True):
            pass
    assert f.read_text() == "x"


def _legacy_embeddings(d: Path) -> Path:
    """An embeddings folder as embed wrote it before output markers existed: the three files, no marker."""
    d.mkdir()
    np.save(d / "vectors.npy", np.zeros((1, 2), dtype=np.float32))
    (d / "meta.json").write_text("{}")
    pd.DataFrame({"chunk_id": ["c"]}).to_parquet(d / "chunk_ids.parquet")
    return d


def test_an_embeddings_folder_without_the_marker_is_refused_whatever_its_file_names(tmp_path, capsys, params):
    from topicstance.embed.store import write_embeddings

    d = _legacy_embeddings(tmp_path / "emb")
    before = _snapshot(d)
    with writing("embed"), pytest.raises(OutputError, match=r"emb: holds chunk_ids\.parquet, meta\.json, "
                                                           r"vectors\.npy, which topicstance embed did not write"):
        write_embeddings(d, ["c", "d"], np.ones((2, 2), dtype=np.float32), {})
    chunks = tmp_path / "chunks.parquet"
    pd.DataFrame({"chunk_id": ["c0"], "article_id": ["a"], "position": [0], "char_start": [0], "char_end": [5],
                  "n_tokens": [3], "text": ["Hello"]}).to_parquet(chunks)
    rc = main(["embed", str(chunks), "--out", str(d), "--params", params])
    _refused(capsys, rc, str(d), "vectors.npy", "give an empty or new folder")
    assert _snapshot(d) == before and not (d / MARKER).exists()


def test_a_model_folder_from_before_markers_is_recognised_by_the_manifest_it_wrote(tmp_path):
    from topicstance.stance.classifier import StanceClassifier

    from .stance.conftest import make_labels

    lab = make_labels(per_template=1)
    clf = StanceClassifier(method="tfidf").fit(lab["text"].tolist(), lab["target"].tolist(), lab["stance"].tolist())
    d = tmp_path / "stance"
    with writing("stance train"):
        clf.save(d)
    (d / MARKER).unlink()  # as saved before markers existed: config.json lists every file
    with writing("stance train"):
        clf.save(d)  # its own earlier output, recognised by config.json: replaced
    assert read_marker(d).get("config.json") == "stance train"
    (d / MARKER).unlink()
    (d / "notes.txt").write_text("mine")  # not listed in config.json
    with writing("stance train"), pytest.raises(OutputError, match=r"stance: holds .* which topicstance stance train did not write"):
        clf.save(d)
    assert (d / "notes.txt").read_text() == "mine"


# ------------------------------------------------------------------ the repro, through the CLI


def test_ingest_chunk_embed_into_one_data_folder_loses_nothing(tmp_path, capsys, fresh_cache):
    data = tmp_path / "data"
    p = str(tmp_path / "empty.yaml")
    (tmp_path / "empty.yaml").write_text("{}\n")
    assert main(["ingest", str(SEEDS), "--out", str(data), "--params", p]) == 0
    assert main(["chunk", str(data / "articles.parquet"), "--out", str(data / "chunks.parquet"), "--params", p]) == 0
    before = _snapshot(data)
    capsys.readouterr()
    rc = main(["embed", str(data / "chunks.parquet"), "--out", str(data), "--params", p])
    _refused(capsys, rc, str(data), "give an empty or new output folder")
    assert _snapshot(data) == before
    assert {"articles.parquet", "paragraphs.parquet", "duplicates.parquet", "skipped.parquet", "ingest.json",
            "chunks.parquet"} <= set(before)


def test_stance_train_into_the_models_folder_keeps_the_topic_model(tmp_path, capsys, params):
    from .stance.conftest import make_labels

    labels = tmp_path / "labels.csv"
    make_labels(per_template=1).to_csv(labels, index=False)
    models = tmp_path / "models"
    (models / "topics").mkdir(parents=True)
    (models / "topics" / "model.json").write_text('{"format": "topicstance.topics/1"}')
    before = _snapshot(models)
    rc = main(["stance", "train", str(labels), "--out", str(models), "--method", "tfidf", "--params", params])
    _refused(capsys, rc, str(models), "topics", "give an empty or new folder")
    assert _snapshot(models) == before
    assert main(["stance", "train", str(labels), "--out", str(models / "stance"), "--method", "tfidf",
                 "--params", params]) == 0
    assert main(["stance", "train", str(labels), "--out", str(models / "stance"), "--method", "tfidf",
                 "--params", params]) == 0  # its own earlier output is replaced
    assert _snapshot(models)["topics/model.json"] == before["topics/model.json"]


# ------------------------------------------------------------------ every --out against a folder of other files


@pytest.fixture
def params(tmp_path):
    p = tmp_path / "params.yaml"
    p.write_text("{}\n")
    return str(p)


def test_ingest_writes_beside_other_files_and_refuses_a_foreign_articles_file(tmp_path, capsys, params):
    out = _user_folder(tmp_path / "out")
    before = _snapshot(out)
    assert main(["ingest", str(SEEDS), "--out", str(out), "--params", params]) == 0
    after = _snapshot(out)
    assert all(after[k] == v for k, v in before.items()) and "articles.parquet" in after
    other = _user_folder(tmp_path / "other")
    (other / "articles.parquet").write_text("not mine")
    before = _snapshot(other)
    capsys.readouterr()
    rc = main(["ingest", str(SEEDS), "--out", str(other), "--params", params])
    _refused(capsys, rc, "articles.parquet", "was not written by topicstance ingest")
    assert _snapshot(other) == before


def test_ingest_into_its_own_corpus_folder_is_refused(tmp_path, capsys, params):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Kyiv said on Monday that air defences shot down most drones overnight.\n")
    rc = main(["ingest", str(corpus), "--out", str(corpus), "--params", params])
    _refused(capsys, rc, "inside the input folder")
    assert sorted(p.name for p in corpus.iterdir()) == ["a.txt"]


def test_chunk_refuses_a_foreign_file_and_its_input(tmp_path, capsys, params):
    data = tmp_path / "data"
    assert main(["ingest", str(SEEDS), "--out", str(data), "--params", params]) == 0
    _user_folder(data)
    (data / "chunks.parquet").write_text("not mine")
    before = _snapshot(data)
    capsys.readouterr()
    rc = main(["chunk", str(data / "articles.parquet"), "--out", str(data / "chunks.parquet"), "--params", params])
    _refused(capsys, rc, "chunks.parquet", "was not written by topicstance chunk")
    rc = main(["chunk", str(data / "articles.parquet"), "--out", str(data / "articles.parquet"), "--params", params])
    _refused(capsys, rc, "is an input of topicstance chunk")
    assert _snapshot(data) == before


def test_embed_refuses_a_folder_of_other_files(tmp_path, capsys, params):
    chunks = tmp_path / "chunks.parquet"
    pd.DataFrame({"chunk_id": ["c0"], "article_id": ["a"], "position": [0], "char_start": [0], "char_end": [5],
                  "n_tokens": [3], "text": ["Hello"]}).to_parquet(chunks)
    out = _user_folder(tmp_path / "emb")
    before = _snapshot(out)
    rc = main(["embed", str(chunks), "--out", str(out), "--params", params])
    _refused(capsys, rc, str(out), "notes.txt", "give an empty or new folder")
    assert _snapshot(out) == before


def test_run_refuses_a_folder_of_other_files(tmp_path, capsys, params):
    out = _user_folder(tmp_path / "run")
    before = _snapshot(out)
    rc = main(["run", str(SEEDS), "--out", str(out), "--params", params])
    _refused(capsys, rc, str(out), "topicstance run did not write", "give an empty or new folder")
    assert _snapshot(out) == before


@pytest.mark.parametrize("argv", [
    ["stance", "predict", "MODEL", "IN", "--out", "OUT"],
    ["stance", "suggest", "MODEL", "IN", "--labels", "IN", "--out", "OUT"],
    ["stance", "apply", "MODEL", "--chunks", "IN", "--out", "OUT", "--articles-out", "OTHER"],
    ["stance", "apply", "MODEL", "--chunks", "IN", "--out", "OTHER", "--articles-out", "OUT"],
    ["stance", "split", "IN", "--out", "OUT"],
    ["topics", "cut", "MODEL", "--n-topics", "2", "--out", "OUT"],
    ["predict", "IN", "--models", "MODEL", "--out", "OUT"],
])
def test_file_outputs_refuse_a_file_they_did_not_write(tmp_path, capsys, params, argv):
    folder = _user_folder(tmp_path / "work")
    (folder / "taken.csv").write_text("someone else's results\n")
    (folder / "in.csv").write_text("text,target,stance\nRussia attacked.,Russia,AGAINST\n")
    before = _snapshot(folder)
    subs = {"MODEL": str(tmp_path / "model"), "IN": str(folder / "in.csv"), "OUT": str(folder / "taken.csv"),
            "OTHER": str(folder / "new.parquet")}
    rc = main([subs.get(a, a) for a in argv] + (["--params", params] if argv[0] != "predict" and argv[1] != "cut"
                                                else []))
    _refused(capsys, rc, "taken.csv", "was not written by topicstance")
    assert _snapshot(folder) == before


def test_stance_split_needs_out_or_in_place_and_writes_beside_other_files(tmp_path, capsys, params):
    from .stance.conftest import make_labels

    folder = _user_folder(tmp_path / "labels")
    lab = folder / "stance.csv"
    make_labels(per_template=1).to_csv(lab, index=False)
    (tmp_path / "p.yaml").write_text(f"stance:\n  test_split: {folder / 'test_split.txt'}\n")
    p = str(tmp_path / "p.yaml")
    before = _snapshot(folder)
    _refused(capsys, main(["stance", "split", str(lab), "--params", p]), "--out", "--in-place")
    assert _snapshot(folder) == before
    assert main(["stance", "split", str(lab), "--out", str(folder / "split.csv"), "--params", p]) == 0
    after = _snapshot(folder)
    assert all(after[k] == v for k, v in before.items())
    assert main(["stance", "split", str(lab), "--in-place", "--params", p]) == 0
    assert "split" in pd.read_csv(lab).columns


def test_topics_fit_refuses_a_models_folder_it_did_not_write(tmp_path, capsys, params):
    models = tmp_path / "models"
    (models / "topics").mkdir(parents=True)
    (models / "topics" / "mine.txt").write_text("x")
    before = _snapshot(models)
    rc = main(["topics", "fit", "--chunks", "c", "--embeddings", "e", "--articles", "a", "--duplicates", "d",
               "--models", str(models), "--data", str(tmp_path / "data"), "--reports", str(tmp_path / "rep"),
               "--params", params])
    _refused(capsys, rc, "topics", "mine.txt", "did not write")
    assert _snapshot(models) == before


@pytest.mark.parametrize("command, taken", [
    ("report", "reports/topic_map.html"),
    ("report", "reports/figures/stance_by_outlet.png"),  # a figure these (absent) data might not even draw
    ("package", "models/README.md"),
    ("package", "models/manifest.json"),
])
def test_report_and_package_refuse_a_file_they_did_not_write_before_any_work(tmp_path, capsys, params, command,
                                                                                taken):
    """The refusal comes first: data/ and models/ hold no pipeline output at all, so any reading,
    drawing or hashing before the check would fail on a missing file instead."""
    (tmp_path / taken).parent.mkdir(parents=True)
    (tmp_path / taken).write_text("the user's own file\n")
    _user_folder(tmp_path / "reports")
    before = _snapshot(tmp_path)
    rc = main([command, "--data", str(tmp_path / "data"), "--models", str(tmp_path / "models"),
               "--reports", str(tmp_path / "reports"), "--params", params])
    _refused(capsys, rc, taken.rsplit("/", 1)[1], f"was not written by topicstance {command}")
    assert _snapshot(tmp_path) == before
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_dir()) == \
        sorted({"reports", "reports/sub", *(q.as_posix() for q in Path(taken).parents if q.as_posix() != ".")})


def _shares_inputs(tmp_path: Path) -> tuple[Path, Path]:
    """A data folder with a stance.parquet (30 chunks of 10 articles, one target) and out-of-fold predictions."""
    rng = np.random.default_rng(0)
    data = tmp_path / "data"
    data.mkdir()
    P = rng.dirichlet([1, 1, 2], size=30)
    pd.DataFrame({"chunk_id": [f"c{i}" for i in range(30)], "article_id": [f"a{i // 3}" for i in range(30)],
                  "target": "Russia", "stance": np.array(["FAVOR", "AGAINST", "NONE"])[P.argmax(1)],
                  "p_favor": P[:, 0], "p_against": P[:, 1], "p_none": P[:, 2]}).to_parquet(data / "stance.parquet")
    y = np.repeat(["FAVOR", "AGAINST", "NONE"], 20)
    Q = np.eye(3)[np.repeat(np.arange(3), 20)] * 0.7 + 0.1
    cv = tmp_path / "cv_predictions.csv"
    pd.DataFrame({"target": "Russia", "stance": y, "p_favor": Q[:, 0], "p_against": Q[:, 1],
                  "p_none": Q[:, 2]}).to_csv(cv, index=False)
    return data, cv


def _shares(data, *args, params):
    return main(["stance", "shares", str(data), "--by", "all", "--sources", *map(str, args), "--params", params])


def test_stance_shares_out_refuses_a_file_it_did_not_write_and_writes_beside_other_files(tmp_path, capsys, params):
    data, cv = _shares_inputs(tmp_path)
    work = _user_folder(tmp_path / "work")
    (work / "taken.csv").write_text("someone else's shares\n")
    before = _snapshot(work)
    for d in (data, tmp_path / "no-data"):  # the refusal comes before anything is read
        rc = _shares(d, "--cv-predictions", cv, "--out", work / "taken.csv", params=params)
        _refused(capsys, rc, "taken.csv", "was not written by topicstance stance shares")
        assert _snapshot(work) == before
    for _ in range(2):  # beside the user's files; the second run rewrites its own output
        assert _shares(data, "--cv-predictions", cv, "--out", work / "shares.csv", params=params) == 0
    after = _snapshot(work)
    assert all(after[k] == v for k, v in before.items()) and len(pd.read_csv(work / "shares.csv")) == 3


def test_stance_shares_correction_refuses_a_folder_of_other_files(tmp_path, capsys, params):
    data, cv = _shares_inputs(tmp_path)
    corr = _user_folder(tmp_path / "corr")
    before = _snapshot(corr)
    for d in (data, tmp_path / "no-data"):  # the refusal comes before anything is read or fitted
        rc = _shares(d, "--cv-predictions", cv, "--correction", corr, "--out", tmp_path / "s.csv", params=params)
        _refused(capsys, rc, str(corr), "notes.txt", "topicstance stance shares did not write",
                 "give an empty or new folder")
        assert _snapshot(corr) == before and not (tmp_path / "s.csv").exists()
    own = tmp_path / "own-corr"
    for _ in range(2):  # a new folder, then its own earlier output, replaced
        assert _shares(data, "--cv-predictions", cv, "--correction", own, params=params) == 0
    assert read_marker(own).get("correction.json") == "stance shares"
    capsys.readouterr()
    assert _shares(data, "--correction", own, "--out", own / "shares.csv", params=params) == 2  # read: an input
    assert "inside the input folder" in capsys.readouterr().err


def test_marker_is_plain_json_listing_what_was_written(tmp_path, params):
    data = tmp_path / "data"
    assert main(["ingest", str(SEEDS), "--out", str(data), "--report", str(tmp_path / "rep" / "i.json"),
                 "--params", params]) == 0
    m = json.loads((data / MARKER).read_text())
    assert m["files"] == {f: "ingest" for f in ("articles.parquet", "duplicates.parquet", "paragraphs.parquet",
                                                "skipped.parquet")}
    assert read_marker(tmp_path / "rep") == {"i.json": "ingest"}
