"""The project's own BERT / MPNet forward pass (embed/encoders.py) against transformers' classes."""
import pytest

from topicstance.embed import encoders
from topicstance.embed.light import BatchTokenizer, read_layout
from topicstance.embed.model import resolve_model_path

TEXTS = ["Short one.", "Troops withdrew from the city after weeks of heavy shelling, officials said on Monday.",
         "The central bank raised interest rates by a quarter point, its third rise this year. " * 8]


@pytest.mark.parametrize("name", ["all-MiniLM-L6-v2", "all-mpnet-base-v2"])
def test_hidden_states_equal_transformers_own_on_real_tokens(name):
    import torch
    from transformers import AutoModel

    path = resolve_model_path(name)
    assert encoders.supported(path)
    f = BatchTokenizer(read_layout(path))(TEXTS)  # padded: the mask must hide the padding
    ours = encoders.load(path)
    ref = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
    kw = {"token_type_ids": f["token_type_ids"]} if ours.takes_token_types else {}
    with torch.inference_mode():
        a = ours(f["input_ids"], f["attention_mask"], f["token_type_ids"])
        b = ref(input_ids=f["input_ids"], attention_mask=f["attention_mask"], **kw).last_hidden_state
    m = f["attention_mask"].bool()
    assert a.shape == b.shape
    assert torch.allclose(a[m], b[m], atol=2e-4), float((a[m] - b[m]).abs().max())


def test_an_architecture_it_does_not_know_is_left_to_transformers(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "t5"}')
    (tmp_path / "model.safetensors").write_bytes(b"")
    assert not encoders.supported(tmp_path)
