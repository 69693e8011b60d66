"""The common layout without sentence-transformers (embed/light.py): the same tokens as its own."""
import pytest

from topicstance.embed.light import BatchTokenizer, read_layout, uses_token_types
from topicstance.embed.model import load_sentence_transformer, resolve_model_path

TEXTS = ["  Leading and trailing spaces  ", "UPPER case, Ünïcödé – dashes … and ellipses",
         "word " * 400, "", "tab\tand\nnewline", "Russian missiles struck Kyiv overnight."]


@pytest.mark.parametrize("name", ["all-MiniLM-L6-v2", "all-mpnet-base-v2"])
def test_token_ids_equal_sentence_transformers_own(name):
    import torch

    path = resolve_model_path(name)
    st = load_sentence_transformer(name)
    ref = st.preprocess(TEXTS)
    got = BatchTokenizer(read_layout(path))(TEXTS)
    assert torch.equal(ref["input_ids"], got["input_ids"])
    assert torch.equal(ref["attention_mask"], got["attention_mask"])
    assert got["input_ids"].shape[1] == st.max_seq_length  # the long text is truncated at max_seq_length


def test_layout_of_the_packaged_models():
    mini = read_layout(resolve_model_path("all-MiniLM-L6-v2"))
    mp = read_layout(resolve_model_path("all-mpnet-base-v2"))
    assert (mini.pooling, mini.max_seq_length, mini.normalize) == ("mean", 256, True)
    assert (mp.pooling, mp.max_seq_length) == ("mean", 384)


def test_mpnet_takes_no_token_types_and_bert_does():
    from topicstance.embed.light import load_transformer

    assert uses_token_types(load_transformer(read_layout(resolve_model_path("all-MiniLM-L6-v2"))))
    assert not uses_token_types(load_transformer(read_layout(resolve_model_path("all-mpnet-base-v2"))))


def test_a_folder_without_modules_json_is_not_the_common_layout(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    assert read_layout(tmp_path) is None
