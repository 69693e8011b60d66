"""SetFit contrastive fine-tuning of the sentence-transformer body, offline.

The body is loaded from the local model folder (``resolve_model_path``), never
from a hub. Pairs are drawn by the ``setfit`` library from labels
``"<target>|<stance>"``, so texts with the same stance toward the same target
are pulled together and everything else pushed apart. Training stops after
``max_steps`` optimiser steps (``stance.setfit_max_steps``), which bounds the
time whatever the number of rows. Nothing is written to disk here: no
checkpoints, no logs (``save_strategy='no'``, ``report_to='none'``).
"""
from __future__ import annotations

import tempfile

import numpy as np


def load_body(path: str):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


def finetune_body(texts: list[str], pair_labels: list[str], model_path: str, *, max_steps: int,
                  batch_size: int, seed: int):
    """Return a fine-tuned SentenceTransformer (fp32, CPU)."""
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments
    from sklearn.linear_model import LogisticRegression
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    names = sorted(set(pair_labels))
    y = [names.index(v) for v in pair_labels]
    body = load_body(model_path)
    model = SetFitModel(model_body=body, model_head=LogisticRegression())
    with tempfile.TemporaryDirectory(prefix="setfit-") as tmp:
        args = TrainingArguments(output_dir=tmp, batch_size=batch_size, max_steps=max_steps, seed=seed,
                                 report_to="none", save_strategy="no", logging_strategy="no",
                                 show_progress_bar=False)
        trainer = Trainer(model=model, args=args,
                          train_dataset=Dataset.from_dict({"text": list(texts), "label": y}))
        trainer.train_embeddings(list(texts), y, args=args)
    body.eval()
    return body


def encode_body(body, texts: list[str], batch_size: int = 64) -> np.ndarray:
    import torch

    with torch.inference_mode():
        v = body.encode(list(texts), batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True,
                        show_progress_bar=False)
    return np.asarray(v, dtype=np.float32)
