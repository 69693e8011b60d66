"""Sentence-aware chunking under the embedding model's token budget.

Sentences are packed greedily until the next one would exceed ``max_tokens``
(counted with the model's own tokenizer, special tokens included). Consecutive
chunks share ``overlap_sentences`` sentences. A single sentence over budget is
cut at the budget on token boundaries. ``text[char_start:char_end]`` is always
the chunk's text, so the chunks minus their overlaps give back the article.

The chunk stage records the model it measured with (name, weights sha256,
max_seq_length) under the Parquet file-level metadata key ``topicstance.chunker``;
the embed stage refuses a chunks file recorded for other weights (:func:`check_chunker`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import schema
from .errors import InputError, ParamsError
from .io import check_outputs, writes
from .sentences import split_sentences

CHUNKER_KEY = "topicstance.chunker"


@dataclass(frozen=True)
class Chunk:
    text: str
    char_start: int
    char_end: int
    n_tokens: int


def _specials(tokenizer) -> int:
    return len(tokenizer("", add_special_tokens=True)["input_ids"])


def _count(tokenizer, texts: list[str]) -> list[int]:
    if not texts:
        return []
    enc = tokenizer(texts, add_special_tokens=False, truncation=False, verbose=False)
    return [len(ids) for ids in enc["input_ids"]]


def _split_long(text: str, start: int, end: int, tokenizer, budget: int) -> list[tuple[int, int]]:
    """Cut one over-long span at token boundaries into pieces of <= budget tokens."""
    piece = text[start:end]
    enc = tokenizer(piece, add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False)
    offs = enc["offset_mapping"]
    out = []
    i = 0
    while i < len(offs):
        j = min(i + budget, len(offs))
        a = offs[i][0]
        b = offs[j - 1][1] if j == len(offs) else offs[j][0]
        # prefer to end at whitespace: back off to the last token starting after a space
        if j < len(offs):
            k = j
            while k > i + budget // 2 and not piece[offs[k][0] - 1: offs[k][0]].isspace():
                k -= 1
            if k > i + budget // 2:
                j = k
                b = offs[j][0]
        sa, sb = start + a, start + b
        while sb > sa and text[sb - 1].isspace():
            sb -= 1
        # a piece that starts inside a word re-tokenises differently ("ism" is not "##ism"): shrink to fit
        while j > i + 1 and sb > sa and _count(tokenizer, [text[sa:sb]])[0] > budget:
            j -= 1
            sb = start + offs[j][0]
            while sb > sa and text[sb - 1].isspace():
                sb -= 1
        if sb > sa:
            out.append((sa, sb))
        i = j
    return out


def chunk_text(text: str, tokenizer, max_tokens: int, overlap_sentences: int = 1) -> list[Chunk]:
    """Split ``text`` into chunks of at most ``max_tokens`` tokens (special tokens included)."""
    if overlap_sentences < 0:
        raise ParamsError(f"parameter chunk.overlap_sentences: must be >= 0, got {overlap_sentences}")
    budget = max_tokens - _specials(tokenizer)
    if budget < 4:
        raise ParamsError(f"parameter chunk.max_tokens: {max_tokens} leaves no room for text")
    spans = split_sentences(text)
    counts = _count(tokenizer, [text[a:b] for a, b in spans])
    units: list[tuple[int, int, int]] = []
    for (a, b), c in zip(spans, counts):
        if c <= budget:
            units.append((a, b, c))
        else:
            pieces = _split_long(text, a, b, tokenizer, budget)
            for (pa, pb), pc in zip(pieces, _count(tokenizer, [text[x:y] for x, y in pieces])):
                units.append((pa, pb, pc))
    chunks: list[Chunk] = []
    i = 0
    n = len(units)
    while i < n:
        j = i
        total = 0
        while j < n and (j == i or total + units[j][2] <= budget):
            total += units[j][2]
            j += 1
        a, b = units[i][0], units[j - 1][1]
        chunk_str = text[a:b]
        n_tok = len(tokenizer(chunk_str, add_special_tokens=True, truncation=False, verbose=False)["input_ids"])
        while n_tok > max_tokens and j - 1 > i:  # joins can tokenise a little differently
            j -= 1
            b = units[j - 1][1]
            chunk_str = text[a:b]
            n_tok = len(tokenizer(chunk_str, add_special_tokens=True, truncation=False, verbose=False)["input_ids"])
        chunks.append(Chunk(chunk_str, a, b, n_tok))
        if j >= n:
            break
        # overlap by up to `overlap_sentences`, but never so much that sentence j no longer fits
        nxt = max(i + 1, j - overlap_sentences)
        while nxt < j and sum(u[2] for u in units[nxt:j + 1]) > budget:
            nxt += 1
        i = nxt
    return chunks


def chunk_id(article_id: str, char_start: int, char_end: int, text: str) -> str:
    h = hashlib.sha256(f"{article_id}\0{char_start}\0{char_end}\0{text}".encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:20]


def chunk_articles(articles: pd.DataFrame, tokenizer, max_tokens: int, overlap_sentences: int) -> pd.DataFrame:
    rows = []
    for art_id, text in zip(articles["article_id"], articles["text"]):
        for pos, c in enumerate(chunk_text(text, tokenizer, max_tokens, overlap_sentences)):
            rows.append({"chunk_id": chunk_id(art_id, c.char_start, c.char_end, c.text), "article_id": art_id,
                         "position": pos, "char_start": c.char_start, "char_end": c.char_end,
                         "n_tokens": c.n_tokens, "text": c.text})
    df = pd.DataFrame(rows, columns=list(schema.CHUNKS))
    for col in ("position", "char_start", "char_end", "n_tokens"):
        df[col] = df[col].astype("int64")
    return df


@writes("chunk", inputs=("articles_path",))
def chunk_file(articles_path: str | Path, out_path: str | Path, max_tokens: int, overlap_sentences: int,
               model: str) -> dict:
    """The chunk stage: articles.parquet -> chunks.parquet."""
    from .embed.model import load_tokenizer, read_model_info
    from .io import write_parquet

    check_outputs(files=[out_path])

    info = read_model_info(model)
    if max_tokens > info.max_seq_length:
        raise ParamsError(f"parameter chunk.max_tokens: {max_tokens} exceeds the model's "
                          f"max_seq_length {info.max_seq_length} ({model})")
    articles = schema.read_table(articles_path, schema.ARTICLES, unique="article_id")
    tok = load_tokenizer(model)
    df = chunk_articles(articles, tok, max_tokens, overlap_sentences)
    schema.validate(df, schema.CHUNKS, out_path, unique="chunk_id")
    record = {"model": model, "weights_sha256": info.weights_sha256, "max_seq_length": info.max_seq_length,
              "max_tokens": max_tokens, "overlap_sentences": overlap_sentences}
    write_parquet(out_path, df, metadata={CHUNKER_KEY: json.dumps(record)})
    return {"articles": int(len(articles)), "chunks": int(len(df)),
            "max_tokens_seen": int(df["n_tokens"].max()) if len(df) else 0}


def chunker_record(chunks_path: str | Path) -> dict | None:
    """The model a chunks file was measured with (see module doc); None for a file written without the record."""
    from .io import parquet_metadata

    raw = parquet_metadata(chunks_path, CHUNKER_KEY)
    return None if raw is None else json.loads(raw)


def check_chunker(chunks_path: str | Path, model: str, weights_sha256: str) -> None:
    """Refuse chunks measured with another model's tokenizer and budget than the one about to embed them."""
    rec = chunker_record(chunks_path)
    if rec is not None and rec.get("weights_sha256") != weights_sha256:
        raise InputError(f"{chunks_path}: chunked for embed.model {rec.get('model')!r} (weights "
                         f"{str(rec.get('weights_sha256'))[:12]}...), but embed.model is {model!r} ({weights_sha256[:12]}...); "
                         "run `topicstance chunk` again with this embed.model")
