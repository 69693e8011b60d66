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


@pytest.mark.parametrize("fused_ops", [True, False])
def test_bfloat16_layer_is_close_to_float32_with_and_without_onednn_epilogues(fused_ops, monkeypatch):
    """Without the fused oneDNN ops (a CPU whose oneDNN refuses bfloat16) the layer runs the same
    arithmetic as separate operators; both stay within the parity floor of float32."""
    import copy

    import torch

    if not fused_ops:
        monkeypatch.setattr(encoders, "_fused_linear_ops", lambda: None)
    path = resolve_model_path("all-MiniLM-L6-v2")
    f = BatchTokenizer(read_layout(path))(TEXTS)
    ours = encoders.load(path)
    bf = copy.deepcopy(ours).to(torch.bfloat16)
    m = f["attention_mask"].bool()
    with torch.inference_mode():
        a = ours(f["input_ids"], f["attention_mask"], f["token_type_ids"])
        b = bf(f["input_ids"], f["attention_mask"], f["token_type_ids"]).float()
    pa = (a * m[..., None]).sum(1) / m.sum(1, keepdim=True)
    pb = (b * m[..., None]).sum(1) / m.sum(1, keepdim=True)
    assert float(torch.nn.functional.cosine_similarity(pa, pb).min()) >= 0.995
