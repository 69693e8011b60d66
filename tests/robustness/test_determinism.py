"""Two forced runs of the whole pipeline on a small corpus give identical outputs.

Each run has its own fresh, empty embedding cache and the test asserts that
every chunk was encoded (misses == chunks), so the second run could not read
the first run's vectors. Embeddings are compared with a tolerance of 1e-6
(max absolute difference; the same machine and thread count give identical
bits, the tolerance only allows for kernel-level reduction order), labels
exactly.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd

from tests.conftest import SEEDS


def _run(out, cache, stance_model):
    env = dict(os.environ, TOPICSTANCE_CACHE=str(cache))
    r = subprocess.run([sys.executable, "-m", "topicstance.cli", "run", str(SEEDS), "--out", str(out),
                        "--stance-model", str(stance_model), "--params", "params.yaml"],
                       env=env, capture_output=True, text=True, cwd=SEEDS.parents[1])
    assert r.returncode == 0, r.stderr[-3000:]


def test_two_forced_runs_are_identical(tmp_path, project_outputs):
    model = project_outputs / "models" / "stance"
    _run(tmp_path / "a", tmp_path / "cache_a", model)
    _run(tmp_path / "b", tmp_path / "cache_b", model)
    for run in ("a", "b"):
        emb = json.loads((tmp_path / run / "reports" / "embed.json").read_text())
        n = len(pd.read_parquet(tmp_path / run / "data" / "chunks.parquet"))
        assert emb["hits"] == 0 and emb["misses"] == emb["n_unique"]
        assert emb["n_texts"] == n
    A, B = tmp_path / "a" / "data", tmp_path / "b" / "data"
    assert pd.read_parquet(A / "chunks.parquet").equals(pd.read_parquet(B / "chunks.parquet"))
    va, vb = np.load(A / "embeddings" / "vectors.npy"), np.load(B / "embeddings" / "vectors.npy")
    assert np.max(np.abs(va - vb)) <= 1e-6
    ta, tb = pd.read_parquet(A / "topics.parquet"), pd.read_parquet(B / "topics.parquet")
    assert ta[["chunk_id", "topic_raw", "topic"]].equals(tb[["chunk_id", "topic_raw", "topic"]])
    sa, sb = pd.read_parquet(A / "stance.parquet"), pd.read_parquet(B / "stance.parquet")
    assert sa[["chunk_id", "target", "stance"]].equals(sb[["chunk_id", "target", "stance"]])
