"""fit_sample_assign: fit on a sample, then assign every row in batches from a memmap, streamed to Parquet."""
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import adjusted_rand_score

from topicstance.topics.model import TopicModel
from topicstance.topics.scale import fit_sample_assign, read_parquet_rows, reference_predictor

from .conftest import make_blobs

N_PER, K, SAMPLE, REFERENCE, BATCH = 100, 4, 120, 40, 64


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    texts, X, y = make_blobs(n_per=N_PER, k=K)
    d = tmp_path_factory.mktemp("scale")
    np.save(d / "embeddings.npy", X)
    pd.DataFrame({"text": texts}).to_parquet(d / "chunks.parquet", index=False)
    return d, texts, y


@pytest.fixture(scope="module")
def fitted(corpus):
    d, _, _ = corpus
    X = np.load(d / "embeddings.npy", mmap_mode="r")
    r = fit_sample_assign(TopicModel(min_cluster_size=10), X, d / "chunks.parquet", d / "topics.parquet",
                          sample_size=SAMPLE, reference_size=REFERENCE, batch_size=BATCH, seed=0)
    return r, pq.read_table(d / "topics.parquet").to_pandas()


def test_every_row_is_written_once_in_row_order(fitted):
    _, out = fitted
    assert list(out.columns) == ["row", "topic_raw", "topic", "probability", "fitted"]
    assert out["row"].tolist() == list(range(N_PER * K))


def test_sampled_rows_keep_their_fitted_topic(fitted):
    r, out = fitted
    assert len(r.sample_rows) == SAMPLE and r.model.n_samples_ == SAMPLE
    assert out["fitted"].to_numpy().nonzero()[0].tolist() == r.sample_rows.tolist()
    assert (out["topic"].to_numpy()[r.sample_rows] == r.model.labels_).all()


def test_rows_outside_the_sample_get_the_topic_of_their_blob(corpus, fitted):
    _, _, y = corpus
    _, out = fitted
    rest = ~out["fitted"].to_numpy()
    assert adjusted_rand_score(y[rest], out["topic"].to_numpy()[rest]) >= 0.95


def test_reference_subset_is_smaller_and_keeps_every_topic(fitted):
    r, _ = fitted
    pred, size = reference_predictor(r.model, REFERENCE, seed=0)
    assert size == len(pred.labels) < SAMPLE
    assert set(pred.classes.tolist()) == set(np.unique(r.model.labels_).tolist())


def test_parquet_rows_are_read_across_batch_boundaries(corpus):
    d, texts, _ = corpus
    rows = [0, 63, 64, 65, 399]
    assert read_parquet_rows(d / "chunks.parquet", rows, batch_size=64) == [texts[i] for i in rows]


def test_with_many_topics_the_reference_stays_near_its_size_and_keeps_every_topic():
    from types import SimpleNamespace

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(600), 5)  # 600 topics of 5 chunks, more topics than knn_k allows
    model = SimpleNamespace(train_embeddings_=rng.normal(size=(3000, 4)).astype(np.float32), labels_=labels,
                            knn_k=15, predictor=None)
    pred, size = reference_predictor(model, 1000, seed=0)
    assert size <= 1250  # 2 rows a topic (its proportional share), not all 3,000 (a knn_k floor)
    assert set(pred.classes.tolist()) == set(range(600))
