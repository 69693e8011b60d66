"""The ``report`` stage: figures in reports/figures/ and the interactive reports/topic_map.html.

Reads only precomputed outputs (2-D coordinates from the topics stage, topic
keywords and hierarchy from models/topics, stance predictions and evaluation
from the stance stages): nothing is refitted here.

Before it reads anything, :func:`build_report` checks every file it may write
(:func:`report_outputs`: each figure name it draws, and topic_map.html) with
the writer's rules (:func:`topicstance.io.check_outputs`), so a file of the
same name that ``report`` did not write is refused up front, not after the
figures are drawn.
"""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from ..io import check_outputs, write_text, writes
from ..params import ReportParams
from . import figures, views
from .html_map import build_map_html
from .palette import topic_colours


def _topics_table(models_dir: Path) -> tuple[pd.DataFrame, dict]:
    meta = json.loads((models_dir / "topics" / "model.json").read_text(encoding="utf-8"))
    rows = [{"id": int(t["id"]), "label": t["label"], "size": int(t["size"]),
             "keywords": [(w, float(s)) for w, s in t["keywords"]]} for t in meta["topics"]]
    return pd.DataFrame(rows, columns=["id", "label", "size", "keywords"]), meta


def stance_by_topic(stance: pd.DataFrame, topics: pd.DataFrame, labels: dict[int, str]) -> pd.DataFrame:
    """Share (and, in ``attrs['counts']``, count) of chunks per topic and target x stance."""
    df = stance.merge(topics[["chunk_id", "topic"]], on="chunk_id")
    df["col"] = df["target"] + ": " + df["stance"]
    counts = df.pivot_table(index="topic", columns="col", values="chunk_id", aggfunc="count", fill_value=0)
    order = [f"{t}: {s}" for t in sorted(df["target"].unique()) for s in ("FAVOR", "AGAINST", "NONE")]
    counts = counts.reindex(columns=order, fill_value=0)
    per_target_total = df.groupby(["topic", "target"]).size().unstack(fill_value=0)
    share = counts.copy().astype(float)
    for c in share.columns:
        tgt = c.split(": ")[0]
        share[c] = counts[c] / per_target_total[tgt].reindex(counts.index).replace(0, np.nan)
    share = share.fillna(0.0)
    idx = [f"{t}: {textwrap.shorten(labels.get(int(t), 'outliers'), 30, placeholder='…')}" for t in share.index]
    share.index = idx
    counts.index = idx
    share.attrs["counts"] = counts
    return share


FINER_MAX_MODEL_TOPICS = 30  # report.finer_topics auto: above this many model topics, no finer level


def hierarchy_figure(data_dir: Path, models_dir: Path, path: Path, p: ReportParams) -> Path:
    """The model's topics and the level below them (``report.finer_topics``, see
    :func:`topicstance.topics.cut.finer_k`): sub-topics from ``topics cut``, coloured and named by
    the model topic they belong to, joined inside each topic, then topic to topic (Ward). With
    ``auto`` and more than ``FINER_MAX_MODEL_TOPICS`` model topics the figure is the model's own
    Ward tree: a finer level would have more leaves than a figure can name."""
    from ..topics.cut import cut_any, finer_k, finer_tree, max_topics, read_cut_inputs, topic_table

    ttab, meta = _topics_table(models_dir)
    if p.finer_topics == "auto" and len(ttab) > FINER_MAX_MODEL_TOPICS:
        labels, sizes = dict(zip(ttab["id"], ttab["label"])), dict(zip(ttab["id"], ttab["size"]))
        merges = np.load(models_dir / "topics" / "merges.npy", allow_pickle=False)
        leaf_labels = [f"{t}: {textwrap.shorten(labels.get(t, ''), 34, placeholder='…')} ({sizes.get(t, 0)})"
                       for t in meta["hierarchy"]["leaf_ids"]]
        return figures.dendrogram(merges, leaf_labels, path, p.dpi,
                                  leaf_sizes=[sizes.get(t, 0) for t in meta["hierarchy"]["leaf_ids"]])
    inp, _ = read_cut_inputs(data_dir=data_dir, models_dir=models_dir)
    kmax = max_topics(inp)
    n_model = len(inp.topic_ids)
    k = finer_k(n_model, kmax, len(inp.article_ids)) if p.finer_topics == "auto" else min(int(p.finer_topics), kmax)
    c = cut_any(inp, max(k, 1))
    tab = topic_table(inp, c).set_index("id")
    leaves, parent, merges = finer_tree(inp, c)
    cols = topic_colours(sorted(set(parent)))
    leaf_labels = [f"{t}: {textwrap.shorten(str(tab.loc[t, 'label']), 30, placeholder='…')} "
                   f"({int(tab.loc[t, 'n_articles'])}) in {par}" for t, par in zip(leaves, parent)]
    title = (f"The model's {n_model} topic(s) and the level below: {len(leaves)} sub-topics "
             f"(topics cut --n-topics {len(leaves)}; n = articles; colour = model topic)")
    return figures.dendrogram(merges, leaf_labels, path, p.dpi, leaf_colours=[cols[q] for q in parent], title=title)


SHARE_FIGURES = {"topic": "stance_shares_by_topic.png", "source": "stance_shares_by_source.png",
                 "period": "stance_shares_by_period.png"}
# every figure build_report may draw into reports/figures/ (which ones it draws depends on the data)
FIGURES = ("topic_map.png", "topic_keywords.png", "topic_hierarchy.png", "stance_by_topic.png",
           "stance_confusion.png", "stance_learning_curve.png", "topic_share_time.png", "topic_by_outlet.png",
           "stance_share_time.png", "stance_by_outlet.png", *SHARE_FIGURES.values())
MAP_PAGE = "topic_map.html"


def report_outputs(reports_dir: str | Path) -> list[Path]:
    """Every file :func:`build_report` may write under ``reports_dir``."""
    d = Path(reports_dir)
    return [d / "figures" / name for name in FIGURES] + [d / MAP_PAGE]


@writes("report")
def build_report(data_dir: str | Path, models_dir: str | Path, reports_dir: str | Path, p: ReportParams,
                 targets: list[str], period: str = "month") -> dict:
    data_dir, models_dir, reports_dir = Path(data_dir), Path(models_dir), Path(reports_dir)
    check_outputs(files=report_outputs(reports_dir))  # before any work (module doc)
    fig_dir = reports_dir / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    ttab, meta = _topics_table(models_dir)
    labels = dict(zip(ttab["id"], ttab["label"]))
    sizes = dict(zip(ttab["id"], ttab["size"]))
    chunks = pd.read_parquet(data_dir / "chunks.parquet")
    topics = pd.read_parquet(data_dir / "topics.parquet")
    coords = pd.read_parquet(data_dir / "chunk_coords.parquet")
    articles = pd.read_parquet(data_dir / "articles.parquet", columns=["article_id", "title"])
    pts = coords.merge(topics[["chunk_id", "topic"]], on="chunk_id").merge(
        chunks[["chunk_id", "article_id", "text"]], on="chunk_id").merge(articles, on="article_id", how="left")
    written = []
    written.append(figures.topic_map(pts, ttab, fig_dir / "topic_map.png", p.dpi))
    written.append(figures.keyword_bars({int(r.id): r.keywords for r in ttab.itertuples()}, labels, sizes,
                                        fig_dir / "topic_keywords.png", dpi=p.dpi))
    written.append(hierarchy_figure(data_dir, models_dir, fig_dir / "topic_hierarchy.png", p))

    stance_path = data_dir / "stance.parquet"
    stance = pd.read_parquet(stance_path) if stance_path.exists() else None
    if stance is not None:
        table = stance_by_topic(stance, topics, labels)
        written.append(figures.stance_heatmap(table, fig_dir / "stance_by_topic.png", p.dpi))
        wide = stance.pivot_table(index="chunk_id", columns="target", values="stance", aggfunc="first")
        wide.columns = [f"stance_{c}" for c in wide.columns]
        pts = pts.merge(wide, left_on="chunk_id", right_index=True, how="left")
    written += _stance_eval_figures(reports_dir, fig_dir, p)
    not_drawn: dict[str, str] = {}
    written += _time_outlet_figures(data_dir, fig_dir, p, period, not_drawn)
    written += _stance_share_figures(reports_dir, fig_dir, p)

    # the interactive page
    sample = pts if len(pts) <= p.max_points else pts.sample(p.max_points, random_state=p.map_random_state)
    sample = sample.sort_values("chunk_id")
    sample = sample.assign(label=sample["topic"].map(lambda t: labels.get(int(t), "outliers")),
                           text=sample["text"].map(lambda s: textwrap.shorten(s, p.excerpt_chars, placeholder="…")))
    for t in targets:
        if f"stance_{t}" not in sample.columns:
            sample[f"stance_{t}"] = ""
    cols = topic_colours(sorted(set(ttab["id"]) | set(sample["topic"])))
    centres = pts.groupby("topic")[["x", "y"]].median()
    trows = []
    for r in ttab.itertuples():
        if r.id not in centres.index:
            continue
        trows.append({"id": int(r.id), "label": r.label, "short": textwrap.shorten(r.label, 24, placeholder="…"),
                      "size": int(r.size), "colour": cols[int(r.id)], "cx": float(centres.loc[r.id, "x"]),
                      "cy": float(centres.loc[r.id, "y"])})
    html = build_map_html(sample, pd.DataFrame(trows), targets,
                          title=f"topicstance: {len(pts)} chunks, {len(trows)} topics")
    write_text(reports_dir / MAP_PAGE, html)
    written.append(reports_dir / MAP_PAGE)
    return {"written": [str(w) for w in written], "points_in_page": int(len(sample)), "not_drawn": not_drawn}


def _time_outlet_figures(data_dir: Path, fig_dir: Path, p: ReportParams, period: str,
                         not_drawn: dict[str, str]) -> list[Path]:
    """Topic share over time, stance over time per target, topic x outlet, stance x outlet (each
    per outlet where the articles have outlets). A view the data cannot support is listed in
    ``not_drawn`` with the reason instead."""
    arts = pd.read_parquet(data_dir / "articles.parquet")
    arts = arts[[c for c in ("article_id", "source", "outlet", "date") if c in arts.columns]]
    at = pd.read_parquet(data_dir / "article_topics.parquet")
    dated = bool(arts["date"].notna().any())
    has_outlet = "outlet" in arts.columns and bool(arts["outlet"].notna().any())
    by_time = ["outlet", "period"] if has_outlet else ["period"]
    no_date, no_outlet = "no article states its own date", "no article has an outlet"
    out = []
    if dated:
        out.append(figures.topic_share_time(views.topic_shares(at, arts, by_time, period),
                                            fig_dir / "topic_share_time.png", p.dpi))
    else:
        not_drawn["topic_share_time.png"] = no_date
    if has_outlet:
        stage_table = data_dir / "topic_shares_outlet.parquet"  # the topics stage's table, when there
        by_outlet = pd.read_parquet(stage_table) if stage_table.exists() else views.topic_shares(at, arts, ["outlet"])
        out.append(figures.topic_outlet(by_outlet, fig_dir / "topic_by_outlet.png", p.dpi))
    else:
        not_drawn["topic_by_outlet.png"] = no_outlet
    st_path = data_dir / "article_stance.parquet"
    if not st_path.exists():
        not_drawn["stance_share_time.png"] = not_drawn["stance_by_outlet.png"] = "no data/article_stance.parquet"
        return out
    ast = pd.read_parquet(st_path)
    if dated:
        out.append(figures.stance_share_time(views.stance_shares(ast, arts, by_time, period),
                                             fig_dir / "stance_share_time.png", p.dpi))
    else:
        not_drawn["stance_share_time.png"] = no_date
    if has_outlet:
        table = views.stance_table(views.stance_shares(ast, arts, ["outlet"]), "outlet")
        out.append(figures.stance_heatmap(table, fig_dir / "stance_by_outlet.png", p.dpi,
                                          title="Stance by outlet (share of articles; counts in brackets)",
                                          colour_label="share of the outlet's articles"))
    else:
        not_drawn["stance_by_outlet.png"] = no_outlet
    return out


def _stance_eval_figures(reports_dir: Path, fig_dir: Path, p: ReportParams) -> list[Path]:
    """Confusion matrices and the learning curve from the stance evaluation's plot data."""
    out = []
    sdir = reports_dir / "stance"
    conf = sdir / "confusion.csv"
    if conf.exists():
        df = pd.read_csv(conf)
        mats = {}
        for tgt, g in df.groupby("target"):
            labs = ["FAVOR", "AGAINST", "NONE"]
            m = np.zeros((3, 3), dtype=int)
            for a, b in zip(g["actual"], g["predicted"]):
                m[labs.index(a), labs.index(b)] += 1
            mats[str(tgt)] = (labs, m)
        out.append(figures.confusion(mats, fig_dir / "stance_confusion.png", p.dpi))
    lc = sdir / "learning_curve.csv"
    if lc.exists():
        raw = pd.read_csv(lc)
        long = []
        for metric in ("macro_f1", "f_avg"):
            sd = raw.get(f"{metric}_sd", pd.Series(0.0, index=raw.index)).fillna(0.0)
            long.append(pd.DataFrame({"series": metric, "n_train": raw["n_train"], "score": raw[metric],
                                      "lo": raw[metric] - sd, "hi": raw[metric] + sd,
                                      "supported": raw["supported"].astype(bool)}))
        out.append(figures.learning_curve(pd.concat(long), fig_dir / "stance_learning_curve.png", p.dpi))
    return out


def _stance_share_figures(reports_dir: Path, fig_dir: Path, p: ReportParams) -> list[Path]:
    """Corrected shares with intervals beside the raw ones, from ``reports/stance_prevalence.csv``."""
    f = reports_dir / "stance_prevalence.csv"
    if not f.exists():
        return []
    table = pd.read_csv(f, keep_default_na=False, na_values=[""], dtype={"group": str, "label": str, "flags": str})
    table["flags"] = table["flags"].fillna("")
    table["label"] = table["label"].fillna("")
    out = []
    for by, name in SHARE_FIGURES.items():
        part = table[table["by"] == by]
        if len(part):
            out.append(figures.stance_shares(part, fig_dir / name, f"Stance shares per {by}: corrected and raw", p.dpi))
    return out
