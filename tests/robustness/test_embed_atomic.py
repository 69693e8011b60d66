"""The embed stage under SIGKILL and under two concurrent writers of one cache."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pandas as pd

from topicstance.embed.cache import EmbeddingCache


def _chunks(path, n=400):
    texts = [f"Dispatch {i}: " + " ".join(["artillery fire near the river crossing continued"] * (3 + i % 9)) + "."
             for i in range(n)]
    pd.DataFrame({"chunk_id": [f"c{i}" for i in range(n)], "article_id": [f"a{i}" for i in range(n)],
                  "position": 0, "char_start": 0, "char_end": [len(t) for t in texts],
                  "n_tokens": 10, "text": texts}).to_parquet(path)
    return texts


def _embed(chunks, out, cache, report=None):
    cmd = [sys.executable, "-m", "topicstance.cli", "embed", str(chunks), "--out", str(out)]
    if report:
        cmd += ["--report", str(report)]
    env = dict(os.environ, TOPICSTANCE_CACHE=str(cache))
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=chunks.parent)  # no params.yaml there: the defaults


def _rows(db):
    try:
        con = sqlite3.connect(db, timeout=5)
        n = con.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
        con.close()
        return n
    except sqlite3.Error:
        return 0


def test_sigkill_mid_run_leaves_no_partial_output_and_a_sound_cache(tmp_path):
    texts = _chunks(tmp_path / "chunks.parquet")
    cache, out = tmp_path / "cache", tmp_path / "emb"
    proc = _embed(tmp_path / "chunks.parquet", out, cache)
    db = cache / "embeddings.sqlite"
    deadline = time.time() + 240
    while time.time() < deadline and _rows(db) == 0 and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, "embed finished before it could be killed; make the input larger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists(), "a killed run left an embeddings folder behind"
    partial = _rows(db)
    assert 0 < partial < len(texts)
    assert EmbeddingCache(db).integrity_ok()

    rerun = _embed(tmp_path / "chunks.parquet", out, cache, tmp_path / "rep.json")
    assert rerun.wait() == 0, rerun.stderr.read()
    rep = json.loads((tmp_path / "rep.json").read_text())
    assert rep["hits"] == partial and rep["misses"] == len(texts) - partial
    v = np.load(out / "vectors.npy")
    assert v.shape[0] == len(texts) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)
    assert EmbeddingCache(db).integrity_ok()


def test_two_embed_processes_share_one_cache(tmp_path):
    texts = _chunks(tmp_path / "chunks.parquet", n=120)
    cache = tmp_path / "cache"
    a = _embed(tmp_path / "chunks.parquet", tmp_path / "emb_a", cache)
    b = _embed(tmp_path / "chunks.parquet", tmp_path / "emb_b", cache)
    assert a.wait() == 0, a.stderr.read()
    assert b.wait() == 0, b.stderr.read()
    va, vb = np.load(tmp_path / "emb_a" / "vectors.npy"), np.load(tmp_path / "emb_b" / "vectors.npy")
    assert va.shape == vb.shape == (len(texts), 384)
    assert float(np.min(np.sum(va * vb, axis=1))) >= 0.9999
    db = cache / "embeddings.sqlite"
    assert EmbeddingCache(db).integrity_ok() and _rows(db) == len(texts)
