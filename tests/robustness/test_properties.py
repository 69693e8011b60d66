"""Property-based tests (hypothesis) for ingest and chunking on generated text."""
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from topicstance.chunk import chunk_articles
from topicstance.ingest import ingest_corpus
from topicstance.params import IngestParams

word = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=0x24F),
               min_size=1, max_size=12)
sentence = st.lists(word, min_size=3, max_size=25).map(lambda ws: " ".join(ws) + ".")
paragraph = st.lists(sentence, min_size=1, max_size=5).map(" ".join)
document = st.lists(paragraph, min_size=1, max_size=8)


def _norm(s):
    return re.sub(r"\s+", " ", s).strip()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=st.lists(document, min_size=1, max_size=4))
def test_ingest_loses_no_text_and_ids_are_stable(tmp_path_factory, docs):
    d = tmp_path_factory.mktemp("corpus")
    for i, paras in enumerate(docs):
        (d / f"doc{i}.txt").write_text("\n\n".join(paras), encoding="utf-8")
    a1, _, p1, rep = ingest_corpus(d, IngestParams(min_article_chars=0))
    a2, _, p2, _ = ingest_corpus(d, IngestParams(min_article_chars=0))
    assert a1["article_id"].tolist() == a2["article_id"].tolist()
    assert p1.equals(p2)
    # every input paragraph has a fate, and every kept paragraph is in its article's text
    n_input = sum(len([p for p in paras if p.strip()]) for paras in docs)
    assert len(p1) == n_input == sum(rep["paragraph_fates"].values())
    texts = dict(zip(a1["article_id"], a1["text"]))
    for r in p1[p1["fate"] == "kept"].itertuples():
        assert _norm(r.text) in _norm(texts[r.article_id])
    # nothing silently lost: a paragraph that is not kept says why
    assert (p1.loc[p1["fate"] != "kept", "reason"] != "").all()
    # every input word is either in an article, or in a paragraph with a recorded non-kept fate
    for i, paras in enumerate(docs):
        for para in paras:
            if not para.strip():
                continue
            rows = p1[p1["source"] == f"doc{i}.txt"]
            assert any(_norm(para) in _norm(t) or _norm(t) in _norm(para) for t in rows["text"])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=st.lists(document, min_size=1, max_size=3), budget=st.sampled_from([24, 64, 128]))
def test_chunk_ids_stable_and_within_budget(tokenizer, docs, budget):
    import pandas as pd

    arts = pd.DataFrame({"article_id": [f"a{i}" for i in range(len(docs))],
                         "text": ["\n\n".join(p) for p in docs]})
    c1 = chunk_articles(arts, tokenizer, budget, 1)
    c2 = chunk_articles(arts, tokenizer, budget, 1)
    assert c1.equals(c2)
    assert c1["chunk_id"].is_unique
    assert (c1["n_tokens"] <= budget).all()
