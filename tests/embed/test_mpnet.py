"""all-mpnet-base-v2 end to end on its real weights: chunk budget, vectors, precision path, meta.json, chunk/model match."""
import numpy as np
import pytest

from topicstance.chunk import chunk_file, chunk_text
from topicstance.embed.light import BatchTokenizer, read_layout
from topicstance.embed.encoder import Embedder
from topicstance.embed.model import load_sentence_transformer, load_tokenizer, resolve_model_path
from topicstance.embed.packaged import MPNET
from topicstance.embed.run import embed_chunks
from topicstance.embed.store import load_embeddings, load_meta
from topicstance.errors import InputError
from topicstance.params import EmbedParams

from tests.conftest import articles_table

SENTENCES = ["Russian missiles struck Kyiv overnight, officials said.",
             "Missiles hit the Ukrainian capital during the night.",
             "The striker scored twice in the second half to win the cup final.",
             "The central bank held interest rates at five percent."]
ARTICLE = ("Drone strikes hit an oil depot near the border overnight. Officials said the fire was put out by morning. "
           "The regional governor blamed Ukraine for the attack. Kyiv did not comment. ") * 12


@pytest.fixture(scope="module")
def fp32_vectors(mpnet_xdg):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(mpnet_xdg))
        return Embedder("all-mpnet-base-v2", precision="float32", cache_dir=None, show_progress=False).encode(SENTENCES)


def test_the_chunk_budget_is_counted_in_the_tokens_mpnet_is_fed(mpnet):
    st = load_sentence_transformer("all-mpnet-base-v2")
    assert st.max_seq_length == 384
    for budget in (64, 384):
        chunks = chunk_text(ARTICLE, load_tokenizer("all-mpnet-base-v2"), budget, 1)
        tok = BatchTokenizer(read_layout(resolve_model_path("all-mpnet-base-v2")))
        fed = [int(tok([c.text])["attention_mask"].sum()) for c in chunks]  # what encode feeds
        assert fed == [c.n_tokens for c in chunks] and max(fed) <= budget


def test_mpnet_gives_768_dimensional_unit_vectors(mpnet, fp32_vectors):
    v = fp32_vectors
    assert v.dtype == np.float32 and v.shape == (4, 768)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > 0.6 > max(v[0] @ v[2], v[0] @ v[3])  # the paraphrase is the nearest


def test_mpnet_bfloat16_takes_the_fused_encoder_and_matches_float32(mpnet, fp32_vectors):
    e = Embedder("all-mpnet-base-v2", precision="bfloat16", cache_dir=None, show_progress=False)
    b = e.encode(SENTENCES)
    assert e.stats.as_dict()["bf16_kernel"] == "fused-eager"
    assert float(np.min(np.sum(fp32_vectors * b, axis=1))) >= 0.995


def test_meta_json_records_the_mpnet_weights_hash(mpnet, tmp_path, fresh_cache):
    articles_table([ARTICLE, SENTENCES[2]]).to_parquet(tmp_path / "articles.parquet", index=False)
    chunk_file(tmp_path / "articles.parquet", tmp_path / "chunks.parquet", 128, 1, "all-mpnet-base-v2")
    embed_chunks(tmp_path / "chunks.parquet", tmp_path / "emb", EmbedParams(model="all-mpnet-base-v2", precision="float32"))
    meta = load_meta(tmp_path / "emb")
    assert meta["weights_sha256"] == MPNET.files["model.safetensors"]
    assert (meta["dimension"], meta["max_seq_length"], meta["model_path_name"]) == (768, 384, MPNET.target.name)
    ids, v = load_embeddings(tmp_path / "emb")
    assert v.shape == (len(ids), 768)


def test_chunks_made_for_minilm_are_refused_by_an_mpnet_embed(mpnet, tmp_path, fresh_cache):
    articles_table([ARTICLE]).to_parquet(tmp_path / "articles.parquet", index=False)
    chunk_file(tmp_path / "articles.parquet", tmp_path / "chunks.parquet", 128, 1, "all-MiniLM-L6-v2")
    with pytest.raises(InputError) as e:
        embed_chunks(tmp_path / "chunks.parquet", tmp_path / "emb", EmbedParams(model="all-mpnet-base-v2"))
    msg = str(e.value)
    assert "\n" not in msg and str(tmp_path / "chunks.parquet") in msg
    assert "chunked for embed.model 'all-MiniLM-L6-v2'" in msg and "'all-mpnet-base-v2'" in msg
    assert not (tmp_path / "emb").exists()
