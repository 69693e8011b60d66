"""load_tokenizer: the tokenizers-library reader gives AutoTokenizer's tokens and offsets."""
from topicstance.embed.model import RustTokenizer, load_tokenizer, resolve_model_path

TEXTS = ["Café naïve: “quotes”, 東京 and an emoji 🙂\tafter a tab.", "", "Kyiv's 3rd brigade, Bakhmut, 2023-03-14.",
         "word " * 300]


def test_same_ids_and_offsets_as_autotokenizer():
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(str(resolve_model_path("all-MiniLM-L6-v2")))
    rt = load_tokenizer("all-MiniLM-L6-v2")
    assert isinstance(rt, RustTokenizer)
    for special in (True, False):
        a = hf(TEXTS, add_special_tokens=special, truncation=False, return_offsets_mapping=True, verbose=False)
        b = rt(TEXTS, add_special_tokens=special, truncation=False, return_offsets_mapping=True)
        assert a["input_ids"] == b["input_ids"]
        assert [[tuple(o) for o in row] for row in a["offset_mapping"]] == [[tuple(o) for o in row] for row in b["offset_mapping"]]
    assert len(rt(TEXTS[3])["input_ids"]) > 256  # never truncated
