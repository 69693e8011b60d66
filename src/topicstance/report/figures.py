"""Static figures for reports/figures/ (matplotlib, Agg backend, no dates in metadata).

Each function takes plain tables and writes one PNG; labels are placed so they
do not overlap, fonts are at least 9 pt, and topic colours come from
:mod:`palette`.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from .palette import topic_colours

METADATA = {"Software": None, "Creation Time": None}  # reproducible bytes: no version or date stamps


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 10, "axes.titlesize": 12, "axes.labelsize": 10, "svg.hashsalt": "topicstance"})
    return plt


def _save(fig, path: Path, dpi: int) -> Path:
    from ..io import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", metadata=METADATA, format="png")
    _plt().close(fig)
    return path


def _spread_labels(ax, xy: np.ndarray, texts: list[str], colours: list[str], fontsize: int = 9):
    """Place labels at their anchors, then push overlapping boxes apart (a few relaxation passes)."""
    fig = ax.figure
    fig.canvas.draw()
    handles = [ax.text(x, y, t, fontsize=fontsize, ha="center", va="center", weight="bold", color="#111",
                       bbox=dict(boxstyle="round,pad=0.2", fc="white", ec=c, lw=1.2, alpha=0.85))
               for (x, y), t, c in zip(xy, texts, colours)]
    inv = ax.transData.inverted()
    for _ in range(200):
        fig.canvas.draw()
        boxes = [h.get_window_extent().expanded(1.05, 1.15) for h in handles]
        moved = False
        for i in range(len(handles)):
            for j in range(i + 1, len(handles)):
                if boxes[i].overlaps(boxes[j]):
                    ci = np.array([(boxes[i].x0 + boxes[i].x1) / 2, (boxes[i].y0 + boxes[i].y1) / 2])
                    cj = np.array([(boxes[j].x0 + boxes[j].x1) / 2, (boxes[j].y0 + boxes[j].y1) / 2])
                    d = ci - cj
                    if not d.any():
                        d = np.array([0.0, 1.0])
                    d = d / np.linalg.norm(d) * 4.0
                    for h, s in ((handles[i], 1), (handles[j], -1)):
                        px, py = ax.transData.transform(h.get_position())
                        h.set_position(inv.transform((px + s * d[0], py + s * d[1])))
                    moved = True
        if not moved:
            break
    return handles


def topic_map(coords: pd.DataFrame, topics: pd.DataFrame, path: Path, dpi: int = 150) -> Path:
    """coords: x, y, topic. topics: id, label."""
    plt = _plt()
    cols = topic_colours(sorted(set(coords["topic"]) | set(topics["id"])))
    fig, ax = plt.subplots(figsize=(11, 8))
    out = coords[coords["topic"] < 0]
    ax.scatter(out["x"], out["y"], s=6, c=cols.get(-1, "#ccc"), alpha=0.5, linewidths=0, label="outliers")
    inl = coords[coords["topic"] >= 0]
    ax.scatter(inl["x"], inl["y"], s=9, c=[cols[t] for t in inl["topic"]], alpha=0.8, linewidths=0)
    lab = topics[topics["id"] >= 0]
    anchors, texts, colours = [], [], []
    for r in lab.itertuples(index=False):
        pts = inl[inl["topic"] == r.id]
        if len(pts) == 0:
            continue
        anchors.append((pts["x"].median(), pts["y"].median()))
        texts.append(f"{r.id}: " + textwrap.shorten(str(r.label), 28, placeholder="…"))
        colours.append(cols[r.id])
    _spread_labels(ax, np.array(anchors), texts, colours)
    ax.set_title(f"Topic map: {len(inl)} chunks in {len(lab)} topics, {len(out)} outliers (2-D UMAP)")
    ax.set_xticks([])
    ax.set_yticks([])
    return _save(fig, path, dpi)


def keyword_bars(keywords: dict[int, list[tuple[str, float]]], labels: dict[int, str], sizes: dict[int, int],
                 path: Path, n_words: int = 8, max_topics: int = 24, dpi: int = 150) -> Path:
    plt = _plt()
    ids = sorted((t for t in keywords if t >= 0), key=lambda t: -sizes.get(t, 0))[:max_topics]
    cols = topic_colours(ids)
    n = max(1, len(ids))
    ncol = min(4, n)
    nrow = int(np.ceil(n / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 2.8 * nrow), squeeze=False)
    for ax in axes.ravel():
        ax.set_visible(False)
    for ax, t in zip(axes.ravel(), ids):
        ax.set_visible(True)
        words = keywords[t][:n_words][::-1]
        ax.barh([w for w, _ in words], [s for _, s in words], color=cols[t])
        ax.set_title(textwrap.shorten(f"{t}: {labels.get(t, '')} (n={sizes.get(t, 0)})", 40, placeholder="…"),
                     fontsize=10)
        ax.tick_params(axis="y", labelsize=9)
        ax.tick_params(axis="x", labelsize=8)
    fig.suptitle("Top c-TF-IDF keywords per topic", fontsize=13)
    fig.tight_layout()
    return _save(fig, path, dpi)


def dendrogram(linkage: np.ndarray, leaf_labels: list[str], path: Path, dpi: int = 150,
               leaf_colours: list[str] | None = None, title: str | None = None) -> Path:
    from scipy.cluster.hierarchy import dendrogram as _dend

    plt = _plt()
    n = len(leaf_labels)
    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.32 * n + 1)))
    if n >= 2:
        from .stats import scipy_linkage

        linkage = scipy_linkage(linkage)
        d = _dend(linkage, labels=leaf_labels, orientation="right", ax=ax, color_threshold=0,
                  above_threshold_color="#555", leaf_font_size=9)
        if leaf_colours is not None:
            colour_of = dict(zip(leaf_labels, leaf_colours))
            for tick in ax.get_yticklabels():
                tick.set_color(colour_of.get(tick.get_text(), "#000"))
        del d
    else:
        ax.text(0.5, 0.5, "one topic: nothing to merge", ha="center", va="center")
    ax.set_title(title or "Topic hierarchy (Ward merges of topic centroids)")
    ax.set_xlabel("merge distance")
    return _save(fig, path, dpi)


def stance_heatmap(table: pd.DataFrame, path: Path, dpi: int = 150) -> Path:
    """table: index = topic label, columns = 'Target: STANCE', values = share; with a parallel count table in attrs."""
    plt = _plt()
    counts = table.attrs.get("counts")
    fig, ax = plt.subplots(figsize=(1.4 * table.shape[1] + 4, 0.45 * table.shape[0] + 2))
    im = ax.imshow(table.to_numpy(dtype=float), aspect="auto", cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(table.shape[1]), table.columns, rotation=30, ha="right")
    ax.set_yticks(range(table.shape[0]), [textwrap.shorten(str(i), 40, placeholder="…") for i in table.index])
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            v = table.iat[i, j]
            txt = f"{v:.0%}" + (f"\n({int(counts.iat[i, j])})" if counts is not None else "")
            ax.text(j, i, txt, ha="center", va="center", fontsize=8, color="white" if v > 0.6 else "#111")
    fig.colorbar(im, ax=ax, label="share of chunks in the topic")
    ax.set_title("Stance by topic (share of chunks; counts in brackets)")
    return _save(fig, path, dpi)


def confusion(matrices: dict[str, tuple[list[str], np.ndarray]], path: Path, dpi: int = 150) -> Path:
    plt = _plt()
    n = max(1, len(matrices))
    fig, axes = plt.subplots(1, n, figsize=(4.4 * n, 4), squeeze=False)
    for ax, (name, (labels, m)) in zip(axes.ravel(), matrices.items()):
        ax.imshow(m, cmap="Greens")
        ax.set_xticks(range(len(labels)), labels, rotation=30)
        ax.set_yticks(range(len(labels)), labels)
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                ax.text(j, i, str(int(m[i, j])), ha="center", va="center",
                        color="white" if m[i, j] > m.max() / 2 else "#111")
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(name)
    fig.suptitle("Stance confusion matrices (test split)")
    fig.tight_layout()
    return _save(fig, path, dpi)


def learning_curve(df: pd.DataFrame, path: Path, dpi: int = 150) -> Path:
    """df: series, n_train, score, lo, hi, supported (bool)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for k, (name, g) in enumerate(df.groupby("series", sort=True)):
        g = g.sort_values("n_train")
        ok = g[g["supported"]]
        c = f"C{k}"
        ax.plot(ok["n_train"], ok["score"], "o-", color=c, label=name)
        if {"lo", "hi"} <= set(ok.columns):
            ax.fill_between(ok["n_train"], ok["lo"], ok["hi"], color=c, alpha=0.15)
        bad = g[~g["supported"]]
        if len(bad):
            ax.plot(bad["n_train"], bad["score"], "x", color=c, ms=9, label=f"{name} (not supported by the data)")
    ax.set_xscale("log")
    ax.set_xlabel("training examples")
    ax.set_ylabel("test score")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    ax.set_title("Stance learning curve")
    return _save(fig, path, dpi)
