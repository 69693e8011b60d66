"""The ``package`` stage: ``models/README.md`` (the model card) and ``models/manifest.json``."""
from __future__ import annotations

import json
from pathlib import Path

from . import __version__
from .io import check_outputs, read_json, sha256_file, write_text, writes
from .manifest import MANIFEST, write_manifest
from .params import Params, to_dict


def _fmt_ci(v, ci) -> str:
    if v is None:
        return "n/a"
    if ci:
        return f"{v:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"
    return f"{v:.3f}"


def metrics_summary(reports: Path) -> dict:
    tm = read_json(reports / "topics_metrics.json") if (reports / "topics_metrics.json").exists() else {}
    sm = read_json(reports / "stance_metrics.json") if (reports / "stance_metrics.json").exists() else {}
    out = {"topics": {k: tm.get(k) for k in ("n_chunks", "n_topics", "outlier_share_raw", "outlier_share",
                                             "min_cluster_size", "npmi_coherence", "topic_diversity")}}
    if tm.get("stability"):
        out["topics"]["stability_ari_seeds"] = tm["stability"].get("ari_seeds_mean")
        out["topics"]["stability_ari_shuffled"] = tm["stability"].get("ari_shuffled_order")
    test = sm.get("test", {})
    def block(name):
        b = test.get(name, {})
        ci = b.get("ci95", {})
        return {"macro_f1": b.get("macro_f1"), "macro_f1_ci95": ci.get("macro_f1"), "f_avg": b.get("f_avg"),
                "f_avg_ci95": ci.get("f_avg"), "n": b.get("n"),
                "per_target": {t: {"macro_f1": v.get("macro_f1"), "f_avg": v.get("f_avg")}
                               for t, v in b.get("per_target", {}).items()}}
    out["stance"] = {"method": sm.get("method"), "test": block("model"), "baseline_tfidf": block("baseline_tfidf"),
                     "baseline_majority": block("baseline_majority"),
                     "cv_macro_f1": sm.get("cv", {}).get("macro_f1"), "ece": sm.get("calibration", {}).get("ece"),
                     "test_split_sha256": sm.get("test_split", {}).get("sha256"),
                     "train_counts": sm.get("test_split", {}).get("train_counts"),
                     "test_counts": sm.get("test_split", {}).get("test_counts")}
    return out


def model_card(summary: dict, params: dict, embedding: dict, data_hashes: dict, *,
               origin: str = "`dvc repro` from `seeds/`", has_stance: bool = True) -> str:
    t, s = summary["topics"], summary["stance"]
    st = s["test"]
    lines = [
        "# topicstance models", "",
        f"Built by topicstance {__version__} with {origin}. Load with "
        "`topicstance.load(\"models\")` or `topicstance predict --models models`. Every file is listed with its "
        "sha256 in `manifest.json` and checked before loading.", "",
        "## Data", "",
        f"- Corpus chunks: `data/chunks.parquet` (sha256 `{data_hashes.get('chunks', '')[:16]}…`), "
        f"{t.get('n_chunks')} chunks of at most {params['chunk']['max_tokens']} tokens.",
        (f"- Stance labels: `{params['stance']['labels']}` (sha256 `{data_hashes['labels'][:16]}…`), "
         "hand-labelled paragraphs (see docs/annotation.md)." if data_hashes.get("labels")
         else "- Stance labels: not recorded (the stance model, if any, was trained elsewhere)."),
        f"- Train counts: `{json.dumps(s.get('train_counts'))}`; test counts: `{json.dumps(s.get('test_counts'))}`.",
        f"- Embeddings: {embedding.get('model')} (weights sha256 `{embedding.get('weights_sha256', '')[:16]}…`, "
        f"precision {embedding.get('precision')}).", "",
        "## Topics (`topics/`)", "",
        f"- {t.get('n_topics')} topics, min_cluster_size {t.get('min_cluster_size')} "
        f"({params['topics']['min_cluster_size']} in params).",
        f"- Outliers: {t.get('outlier_share_raw')} raw (HDBSCAN), {t.get('outlier_share')} after reassignment.",
        f"- NPMI coherence {t.get('npmi_coherence')}, topic diversity {t.get('topic_diversity')}.",
        f"- Stability ARI: {t.get('stability_ari_seeds')} across seeds, {t.get('stability_ari_shuffled')} under a "
        "shuffled order.",
        "- New text is assigned by a k-nearest-neighbour vote among the training chunks (no UMAP/HDBSCAN at "
        "prediction time).", "",
        "## Stance (`stance/`)", "",
    ]
    if not has_stance:
        lines += ["No stance model in this folder: `predict` gives topics only.", ""]
        return "\n".join(lines)
    lines += [
        f"- Method `{s.get('method')}`, targets {', '.join(params['stance']['targets'])}.",
        f"- Held-out test split (n={st.get('n')} rows, sha256 `{(s.get('test_split_sha256') or '')[:16]}…`), "
        "95% bootstrap intervals:", "",
        "| | macro-F1 | F_avg (FAVOR, AGAINST) |", "|---|---|---|",
        f"| model | {_fmt_ci(st.get('macro_f1'), st.get('macro_f1_ci95'))} | {_fmt_ci(st.get('f_avg'), st.get('f_avg_ci95'))} |",
    ]
    for name, key in (("tf-idf baseline", "baseline_tfidf"), ("majority baseline", "baseline_majority")):
        b = s[key]
        lines.append(f"| {name} | {_fmt_ci(b.get('macro_f1'), b.get('macro_f1_ci95'))} | "
                     f"{_fmt_ci(b.get('f_avg'), b.get('f_avg_ci95'))} |")
    cv = s.get("cv_macro_f1") or {}
    lines += ["", f"- Cross-validation on train: macro-F1 {cv.get('mean', float('nan')):.3f} ± {cv.get('sd', float('nan')):.3f}; "
              f"calibration ECE {s.get('ece')}.", "",
              "## Intended use", "",
              "Exploring topics and the stance of news text toward the configured targets, as an aid to reading: "
              "aggregate shares with their intervals, then read the passages.", "",
              "## Known limits", "",
              "- Trained on a small seed corpus (five scraped pages, 2022–2024 war coverage): some classes have "
              "very few examples (see the counts above), and a target/stance pair with no training example "
              "(e.g. AGAINST Ukraine) is rarely or never predicted.",
              "- Stance is per chunk; reported speech counts as the paragraph's stance (docs/annotation.md), so "
              "a quoted official's view is not the outlet's view.",
              "- Topics of new text come from the training topics only: a new story lands in its nearest old topic.",
              "- English only; the embedding model truncates nothing here because chunks fit its window.", ""]
    return "\n".join(lines)


@writes("package")
def package_models(models: str | Path, data: str | Path, reports: str | Path, params: Params,
                   params_path: str | Path | None = None, *, labels: str | Path | None = ...,
                   origin: str = "`dvc repro` from `seeds/`") -> dict:
    """The card and the manifest of ``models``; ``labels`` is the stance training table hashed into
    the manifest (default ``stance.labels``; None when unknown, as for ``topicstance run``).

    Both outputs are checked with the writer's rules before anything is read or hashed."""
    models, data, reports = Path(models), Path(data), Path(reports)
    check_outputs(files=[models / "README.md", models / MANIFEST])
    embedding = read_json(data / "embeddings" / "meta.json")
    labels = Path(params.stance.labels) if labels is ... else (Path(labels) if labels else None)
    data_hashes = {"chunks": sha256_file(data / "chunks.parquet"),
                   "labels": sha256_file(labels) if labels is not None and labels.exists() else None}
    pd_ = to_dict(params)
    summary = metrics_summary(reports)
    write_text(models / "README.md", model_card(summary, pd_, embedding, data_hashes, origin=origin,
                                                has_stance=(models / "stance").is_dir()))
    return write_manifest(models, params=pd_, embedding={k: embedding.get(k) for k in (
        "model", "weights_sha256", "max_seq_length", "dimension", "pooling", "normalized", "precision")},
        data_hashes=data_hashes, metrics=summary)
