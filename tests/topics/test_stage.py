import json

import numpy as np
import pandas as pd
import pytest

from topicstance import schema
from topicstance.cli import main
from topicstance.errors import InputError
from topicstance.params import TopicsParams
from topicstance.topics.stage import fit_topics

from .conftest import small_project


def _run(root, data, **kw):
    return fit_topics(data / "chunks.parquet", data / "embeddings", data / "articles.parquet",
                      data / "duplicates.parquet", root / "models", data, root / "reports", TopicsParams(),
                      overrides_path=root / "topic_overrides.yaml", **kw)


@pytest.fixture(scope="module")
def project(themed_texts, themed_embeddings, tmp_path_factory):
    root = tmp_path_factory.mktemp("proj")
    texts = themed_texts[0]
    n_art = len(texts) // 2
    data = small_project(root, texts, themed_embeddings,
                         duplicates=[("dupA", "a000"), ("dupB", "dupA")])
    res = _run(root, data)
    return root, data, res, n_art


def test_stage_writes_every_output_with_the_contract(project):
    root, data, res, n_art = project
    topics = schema.read_table(data / "topics.parquet", schema.TOPICS)
    assert len(topics) == 120 and (topics["topic"] >= -1).all()
    at = schema.read_table(data / "article_topics.parquet", schema.ARTICLE_TOPICS)
    assert len(at) == n_art + 2
    d = at.set_index("article_id")
    assert d.loc["dupA", "topic"] == d.loc["a000", "topic"] and d.loc["dupB", "duplicate_of"] == "a000"
    coords = pd.read_parquet(data / "chunk_coords.parquet")
    assert list(coords.columns) == ["chunk_id", "x", "y"] and np.isfinite(coords[["x", "y"]]).all().all()
    for f in ("topic_shares_time.parquet", "topic_shares_source.parquet"):
        assert len(pd.read_parquet(data / f)) > 0
    csv = pd.read_csv(root / "reports" / "topics.csv")
    assert {"id", "label", "keywords", "size", "representative_chunks"} <= set(csv.columns)
    assert csv["size"].sum() == 120
    m = json.loads((root / "reports" / "topics_metrics.json").read_text())
    for key in ("n_topics", "outlier_share_raw", "outlier_share", "npmi_coherence", "topic_diversity",
                "stability", "min_cluster_size", "min_cluster_size_selection"):
        assert key in m
    assert m["n_topics"] >= 2 and m["stability"]["ari_shuffled_order"] is not None
    sel = m["min_cluster_size_selection"]
    assert len(sel["candidates"]) == len(TopicsParams().min_cluster_size_candidates)
    # the stage passes article ids: candidates count articles (2 chunks each here), scored per article
    assert sel["unit"] == "article" and sel["level"] == "article" and sel["chunks_per_unit"] == 2.0
    assert all(r["min_cluster_size_chunks"] == 2 * r["min_cluster_size"] for r in sel["candidates"])
    assert m["min_cluster_size"] == sel["chosen_chunks"] == 2 * m["min_cluster_size_in_unit"]


def test_rerun_keeps_ids_and_applies_overrides(project):
    root, data, res, _ = project
    before = pd.read_parquet(data / "topics.parquet")
    ids = sorted(set(before["topic"]) - {-1})
    a, b = ids[0], ids[1]
    (root / "topic_overrides.yaml").write_text(f"merge:\n  - [{a}, {b}]\nrename:\n  {a}: Renamed\n")
    try:
        res2 = _run(root, data)  # previous model = models/topics
        after = pd.read_parquet(data / "topics.parquet")
        expect = before["topic"].replace({b: a})
        assert (after["topic"] == expect).all()
        assert res2["metrics"]["ids"]["previous_model"] is True
        csv = pd.read_csv(root / "reports" / "topics.csv").set_index("id")
        assert csv.loc[a, "label"] == "Renamed" and b not in csv.index
        res3 = _run(root, data)  # and again: overrides survive
        assert (pd.read_parquet(data / "topics.parquet")["topic"] == expect).all()
        assert res3["metrics"]["overrides"]["applied_merges"] == [{"into": a, "topics": [a, b]}]
    finally:
        (root / "topic_overrides.yaml").unlink()
        _run(root, data)


def _empty(tmp_path):
    (tmp_path / "empty.yaml").write_text("{}\n")
    return tmp_path / "empty.yaml"


def test_cli_fit_and_cut(project, tmp_path, capsys):
    root, data, _, n_art = project
    rc = main(["topics", "fit", "--chunks", str(data / "chunks.parquet"), "--embeddings", str(data / "embeddings"),
               "--articles", str(data / "articles.parquet"), "--duplicates", str(data / "duplicates.parquet"),
               "--models", str(root / "models"), "--data", str(data), "--reports", str(root / "reports"),
               "--params", str(_empty(tmp_path)), "--overrides", str(tmp_path / "none.yaml")])
    assert rc == 0
    out = tmp_path / "cut.csv"
    assert main(["topics", "cut", str(root), "--n-topics", "2", "--out", str(out),
                 "--params", str(_empty(tmp_path))]) == 0
    df = pd.read_csv(out)
    assert list(df.columns) == ["article_id", "topic"] and len(df) == n_art + 2
    assert df["topic"][df["topic"] >= 0].nunique() == 2
    d = df.set_index("article_id")["topic"]
    assert d["dupA"] == d["a000"] == d["dupB"]


def test_cut_gives_exactly_k_topics_for_every_k_up_to_the_maximum(project):
    from topicstance.topics.cut import cut_any, max_topics, read_cut_inputs

    root, data, res, n_art = project
    inp, _ = read_cut_inputs(root, with_texts=False)
    kmax = max_topics(inp)
    assert kmax >= n_art // 3
    for k in [1, 2, 3, 4, 5, 8, 13, 21, kmax]:
        c = cut_any(inp, k)
        assert len(set(c.article_topic[c.article_topic >= 0].tolist())) == k, k
        assert c.article_topic.dtype.kind == "i" and c.chunk_topic.dtype.kind == "i"


def test_split_topics_get_keywords_and_representatives_beside_the_cut(project, tmp_path, capsys):
    root, data, res, _ = project
    k = res["metrics"]["n_topics"] + 3
    out = tmp_path / "fine.csv"
    assert main(["topics", "cut", str(root), "--n-topics", str(k), "--out", str(out)]) == 0
    assert "split from" in capsys.readouterr().err
    tab = pd.read_csv(tmp_path / "fine.topics.csv")
    assert len(tab) == k and set(tab["id"]) == set(pd.read_csv(out)["topic"]) - {-1}
    parts = tab[tab["split_of"].notna()]
    assert len(parts) >= 4  # three splits: at least 3 new parts and the topics they came from
    assert parts["keywords"].str.len().min() > 0 and parts["representative_chunk_ids"].str.len().min() > 0


def test_cut_above_the_maximum_is_a_one_line_error_naming_it(project, tmp_path, capsys):
    from topicstance.topics.cut import max_topics, read_cut_inputs

    root, *_ = project
    kmax = max_topics(read_cut_inputs(root, with_texts=False)[0])
    rc = main(["topics", "cut", str(root), "--n-topics", str(kmax + 1), "--out", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err
    assert rc == 2 and f"maximum for this corpus, {kmax}" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.csv").exists()


def test_cli_user_errors_are_one_line(tmp_path, capsys):
    rc = main(["topics", "cut", str(tmp_path), "--n-topics", "3", "--out", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err
    assert rc == 2 and "no model.json" in err and "Traceback" not in err


def test_mismatched_embeddings_are_named(project, tmp_path):
    root, data, _, _ = project
    ch = pd.read_parquet(data / "chunks.parquet")
    ch.loc[3, "chunk_id"] = "other"
    ch.to_parquet(tmp_path / "chunks.parquet", index=False)
    with pytest.raises(InputError, match="row 3"):
        fit_topics(tmp_path / "chunks.parquet", data / "embeddings", data / "articles.parquet",
                   data / "duplicates.parquet", tmp_path / "m", tmp_path / "d", tmp_path / "r", TopicsParams())


def test_single_article_corpus_works(themed_texts, themed_embeddings, tmp_path):
    texts = themed_texts[0][:12]
    data = small_project(tmp_path, texts, themed_embeddings[:12], article_of=["only"] * 12)
    res = _run(tmp_path, data)
    at = pd.read_parquet(data / "article_topics.parquet")
    assert at["article_id"].tolist() == ["only"] and res["metrics"]["n_chunks"] == 12


def test_map_of_a_large_corpus_is_fitted_on_a_sample_and_places_every_chunk():
    from sklearn.metrics import adjusted_rand_score
    from sklearn.cluster import KMeans

    from topicstance.topics.model import TopicModel
    from topicstance.topics.stage import chunk_coords

    from .conftest import make_blobs

    _, X, y = make_blobs(n_per=100, k=3)
    coords = chunk_coords(TopicModel(random_state=0), X, max_n=120)
    assert coords.shape == (300, 2) and np.isfinite(coords).all()
    # placed chunks land with their own blob on the map
    pred = KMeans(3, n_init=5, random_state=0).fit_predict(coords)
    assert adjusted_rand_score(y, pred) >= 0.95


def test_above_fit_max_n_the_fit_uses_whole_articles_and_every_chunk_gets_a_topic(project, tmp_path):
    root, data, full, _ = project
    p = TopicsParams(fit_max_n=100, assign_reference_n=100)
    res = fit_topics(data / "chunks.parquet", data / "embeddings", data / "articles.parquet",
                     data / "duplicates.parquet", tmp_path / "models", tmp_path / "data", tmp_path / "reports", p,
                     previous_model_dir=False, overrides_path=tmp_path / "none.yaml")
    m = json.loads((tmp_path / "reports" / "topics_metrics.json").read_text())
    assert m["fit_sample_n"] == res["metrics"]["fit_sample_n"] <= 100 and m["n_chunks"] == 120
    fitted = pd.read_parquet(tmp_path / "models" / "topics" / "chunks.parquet")
    assert fitted.groupby("article_id").size().eq(2).all()  # whole articles only
    topics = pd.read_parquet(tmp_path / "data" / "topics.parquet")
    assert len(topics) == 120 and pd.read_csv(tmp_path / "reports" / "topics.csv")["size"].sum() == 120
    # the chunks outside the sample are assigned like a fit on every chunk would put them
    from sklearn.metrics import adjusted_rand_score

    everything = pd.read_parquet(data / "topics.parquet")
    assert adjusted_rand_score(everything["topic"], topics["topic"]) >= 0.8


def test_the_finer_level_joins_each_topics_parts_before_joining_topics(project):
    from topicstance.topics.cut import cut_any, finer_tree, read_cut_inputs

    root, data, res, _ = project
    inp, _ = read_cut_inputs(root, with_texts=False)
    leaves, parent, merges = finer_tree(inp, cut_any(inp, len(inp.topic_ids) + 3))
    assert len(leaves) == len(inp.topic_ids) + 3 and len(merges) == len(leaves) - 1
    members = {i: [i] for i in range(len(leaves))}
    for m, (a, b, _, _) in enumerate(merges):
        left, right = members.pop(int(a)), members.pop(int(b))
        pl, pr = {parent[i] for i in left}, {parent[i] for i in right}
        if pl != pr:  # a merge across model topics holds every part of the topics on each side
            for side, ps in ((left, pl), (right, pr)):
                assert {i for i, p in enumerate(parent) if p in ps} == set(side)
        members[len(leaves) + m] = left + right
