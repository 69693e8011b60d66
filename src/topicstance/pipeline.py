"""``topicstance run``: the whole pipeline outside DVC, in the project's layout.

:func:`run_pipeline` runs ingest, chunk, embed and topics on any corpus the
ingest step accepts and writes ``OUT/data/``, ``OUT/models/`` and
``OUT/reports/`` as ``dvc repro`` does. With a stance model it also applies it
to every chunk and article and copies it to ``OUT/models/stance``. Then, like
the DVC stages, the report (figures and the interactive topic map) and the
package (model card and manifest), so ``topicstance.load(OUT/models)`` loads
the result. Each step's time goes to ``OUT/reports/run.json``.

Everything is written by the owner ``run`` (:mod:`topicstance.io`): OUT must be
new, empty, or hold only an earlier run's output.
"""
from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from .io import MARKER, atomic_path, check_tree, write_json, writes

_LOG = logging.getLogger(__name__)


def copy_stance_model(src: str | Path, dst: str | Path) -> Path:
    """Copy a stance model folder as it is, after checking it loads (every file against its hash)."""
    from .stance.classifier import StanceClassifier

    StanceClassifier.load(src)  # verifies the files before anything is copied
    with atomic_path(dst, is_dir=True) as tmp:
        shutil.copytree(src, tmp, dirs_exist_ok=True, ignore=shutil.ignore_patterns(MARKER))
    return Path(dst)


@writes("run", inputs=("corpus", "stance_model", "embeddings"))
def run_pipeline(corpus, out, params, stance_model=None, embeddings=None) -> dict:
    from .card import package_models
    from .chunk import chunk_file
    from .embed.run import embed_chunks
    from .ingest import write_ingest
    from .report.build import build_report
    from .topics.stage import fit_topics

    out = Path(out)
    check_tree(out)  # OUT is new, empty, or holds only this command's earlier output
    data, models, reports = out / "data", out / "models", out / "reports"
    timings: dict[str, float] = {}

    def step(name, fn):
        t0 = time.perf_counter()
        res = fn()
        timings[name] = round(time.perf_counter() - t0, 2)
        _LOG.info(f"run: {name} done in {timings[name]:.1f}s")
        return res

    if embeddings is not None:
        from .embed.own import check_table

        check_table(corpus, embeddings)
    rep = step("ingest", lambda: write_ingest(corpus, data, params.ingest, reports / "ingest.json"))
    if embeddings is None:
        ch = step("chunk", lambda: chunk_file(data / "articles.parquet", data / "chunks.parquet",
                                              params.chunk.max_tokens, params.chunk.overlap_sentences,
                                              params.embed.model))
        emb = step("embed", lambda: embed_chunks(data / "chunks.parquet", data / "embeddings", params.embed))
    else:
        from .embed.own import adopt_embeddings, row_chunk_file

        ch = step("chunk", lambda: row_chunk_file(data / "articles.parquet", data / "chunks.parquet",
                                                  params.embed.model))
        emb = step("embed", lambda: adopt_embeddings(embeddings, data / "chunks.parquet", corpus,
                                                     data / "embeddings", params.ingest.columns))
    write_json(reports / "embed.json", emb)
    top = step("topics", lambda: fit_topics(data / "chunks.parquet", data / "embeddings", data / "articles.parquet",
                                            data / "duplicates.parquet", models, data, reports, params.topics,
                                            skipped_path=data / "skipped.parquet"))
    if stance_model:
        from .stance.apply import apply_stance

        def stance():
            s = apply_stance(stance_model, data / "chunks.parquet", data / "embeddings", data / "stance.parquet",
                             data / "article_stance.parquet", params)
            copy_stance_model(stance_model, models / "stance")
            return s

        step("stance", stance)
    step("report", lambda: build_report(data, models, reports, params.report, list(params.stance.targets),
                                        period=params.topics.time_period))
    step("package", lambda: package_models(models, data, reports, params, labels=None,
                                           origin=f"`topicstance run` on `{corpus}`"))
    summary = {"corpus": str(corpus), "articles": rep["articles_out"], "duplicates_dropped": rep["duplicates_count"],
               "chunks": ch["chunks"], "embed_cache_hits": emb.get("hits", 0), "embed_cache_misses": emb.get("misses", 0),
               "own_embeddings": None if embeddings is None else str(embeddings),
               "n_topics": top["metrics"]["n_topics"], "stance_model": str(stance_model) if stance_model else None,
               "seconds": timings, "topics_seconds": top.get("timings", {})}
    write_json(reports / "run.json", summary)
    return summary
