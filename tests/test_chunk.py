import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from topicstance.chunk import chunk_articles, chunk_text
from topicstance.errors import ParamsError

WORDS = ["Russia", "Ukraine", "drone", "said", "the", "missile", "Kyiv", "strikes", "“quoted”", "3.5",
         "U.S.", "Mr.", "officials", "on", "Monday", "antidisestablishmentarianism", "—", "Zaporizhzhia"]

sentence = st.lists(st.sampled_from(WORDS), min_size=1, max_size=40).map(lambda ws: " ".join(ws) + ".")
article = st.lists(sentence, min_size=1, max_size=30).map(
    lambda ss: " ".join(ss[: len(ss) // 2]) + "\n\n" + " ".join(ss[len(ss) // 2:]))


def _tokens(tok, s):
    return len(tok(s, add_special_tokens=True)["input_ids"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=article, budget=st.sampled_from([16, 32, 64, 128]), overlap=st.integers(0, 2))
def test_no_chunk_exceeds_the_budget(tokenizer, text, budget, overlap):
    for c in chunk_text(text, tokenizer, budget, overlap):
        assert c.n_tokens <= budget
        assert c.n_tokens == _tokens(tokenizer, c.text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=article, budget=st.sampled_from([16, 32, 64]), overlap=st.integers(0, 2))
def test_chunks_minus_overlaps_give_back_the_text(tokenizer, text, budget, overlap):
    chunks = chunk_text(text, tokenizer, budget, overlap)
    for c in chunks:
        assert text[c.char_start:c.char_end] == c.text
    assert chunks[0].char_start == len(text) - len(text.lstrip())
    assert chunks[-1].char_end == len(text.rstrip())
    rebuilt = chunks[0].text
    for a, b in zip(chunks, chunks[1:]):
        assert b.char_start <= a.char_end or text[a.char_end:b.char_start].isspace()
        assert b.char_end > a.char_end
        rebuilt += text[a.char_end:b.char_end]
    assert rebuilt == text.strip()


def test_overlap_is_counted_in_sentences(tokenizer):
    text = " ".join(f"Sentence number {i} is about the war." for i in range(12))
    chunks = chunk_text(text, tokenizer, 40, 1)
    for a, b in zip(chunks, chunks[1:]):
        last_sentence_of_a = re.findall(r"Sentence number \d+", a.text)[-1]
        assert b.text.startswith(last_sentence_of_a)


def test_one_sentence_over_budget_is_cut_at_the_budget(tokenizer):
    text = "word " * 300
    chunks = chunk_text(text.strip(), tokenizer, 32, 1)
    assert len(chunks) > 1 and all(c.n_tokens <= 32 for c in chunks)


def test_negative_overlap_is_a_param_error(tokenizer):
    with pytest.raises(ParamsError, match="chunk.overlap_sentences"):
        chunk_text("A sentence.", tokenizer, 32, -1)


def test_chunk_ids_are_stable_and_unique(tokenizer):
    import pandas as pd

    arts = pd.DataFrame({"article_id": ["a", "b"], "text": ["One. Two. Three.", "One. Two. Three."]})
    c1 = chunk_articles(arts, tokenizer, 16, 1)
    c2 = chunk_articles(arts, tokenizer, 16, 1)
    assert c1["chunk_id"].tolist() == c2["chunk_id"].tolist()
    assert c1["chunk_id"].is_unique


def test_chunk_file_records_the_model_it_measured_with(tmp_path):
    from tests.conftest import articles_table
    from topicstance.chunk import chunk_file, chunker_record
    from topicstance.embed.model import read_model_info

    articles_table(["One sentence here. Another one there."]).to_parquet(tmp_path / "a.parquet", index=False)
    chunk_file(tmp_path / "a.parquet", tmp_path / "c.parquet", 64, 1, "all-MiniLM-L6-v2")
    info = read_model_info("all-MiniLM-L6-v2")
    assert chunker_record(tmp_path / "c.parquet") == {
        "model": "all-MiniLM-L6-v2", "weights_sha256": info.weights_sha256, "max_seq_length": info.max_seq_length,
        "max_tokens": 64, "overlap_sentences": 1}


def test_a_chunks_file_without_the_record_is_still_embedded(tmp_path, fresh_cache, tokenizer):
    from tests.conftest import articles_table
    from topicstance.embed.run import embed_chunks
    from topicstance.params import EmbedParams

    chunks = chunk_articles(articles_table(["Written before chunk files named their model."]), tokenizer, 64, 1)
    chunks.to_parquet(tmp_path / "old.parquet", index=False)
    embed_chunks(tmp_path / "old.parquet", tmp_path / "emb", EmbedParams(precision="float32"))
    assert (tmp_path / "emb" / "meta.json").exists()
