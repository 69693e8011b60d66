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


MAP_LABELS = 40  # labels drawn on the topic map, largest topics first


def _spread_labels(ax, xy: np.ndarray, texts: list[str], colours: list[str], fontsize: int = 9):
    """Place labels at their anchors, then push overlapping boxes apart (a few relaxation passes)."""
    fig = ax.figure
    fig.canvas.draw()
    handles = [ax.text(x, y, t, fontsize=fontsize, ha="center", va="center", weight="bold", color="#111",
                       bbox=dict(boxstyle="round,pad=0.2", fc="white", ec=c, lw=1.2, alpha=0.85))
               for (x, y), t, c in zip(xy, texts, colours)]
    inv = ax.transData.inverted()
    renderer = fig.canvas.get_renderer()  # a label's extent follows its position: no redraw per pass
    for _ in range(200):
        boxes = [h.get_window_extent(renderer).expanded(1.05, 1.15) for h in handles]
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


def topic_map(coords: pd.DataFrame, topics: pd.DataFrame, path: Path, dpi: int = 150,
              max_labels: int = MAP_LABELS) -> Path:
    """coords: x, y, topic. topics: id, label. The ``max_labels`` largest topics carry their label
    (labels of thousands of topics would cover the map and take the label placement minutes)."""
    plt = _plt()
    cols = topic_colours(sorted(set(coords["topic"]) | set(topics["id"])))
    fig, ax = plt.subplots(figsize=(11, 8))
    out = coords[coords["topic"] < 0]
    ax.scatter(out["x"], out["y"], s=6, c=cols.get(-1, "#ccc"), alpha=0.5, linewidths=0, label="outliers")
    inl = coords[coords["topic"] >= 0]
    ax.scatter(inl["x"], inl["y"], s=9, c=[cols[t] for t in inl["topic"]], alpha=0.8, linewidths=0)
    lab = topics[topics["id"] >= 0]
    mid = inl.groupby("topic")[["x", "y"]].median()
    count = inl["topic"].value_counts()
    names = dict(zip(lab["id"], lab["label"]))
    shown = [t for t in count.index if t in names][:max_labels]  # the largest topics on the map
    anchors = [(mid.at[t, "x"], mid.at[t, "y"]) for t in shown]
    texts = [f"{t}: " + textwrap.shorten(str(names[t]), 28, placeholder="…") for t in shown]
    colours = [cols[t] for t in shown]
    if shown:
        _spread_labels(ax, np.array(anchors), texts, colours)
    note = "" if len(shown) >= len(count) else f"; the {len(shown)} largest labelled"
    ax.set_title(f"Topic map: {len(inl)} chunks in {len(lab)} topics, {len(out)} outliers (2-D UMAP){note}")
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


DENDROGRAM_LEAVES = 60  # leaves a hierarchy figure names; a larger tree shows its top groups


def _largest_member(linkage: np.ndarray, leaf_sizes) -> tuple[dict, dict]:
    """For every node of a SciPy linkage: its largest leaf (by ``leaf_sizes``) and its leaf count."""
    n = len(linkage) + 1
    size = np.ones(n) if leaf_sizes is None else np.asarray(leaf_sizes, dtype=float)
    largest = {i: i for i in range(n)}
    count = {i: 1 for i in range(n)}
    for j, (a, b) in enumerate(linkage[:, :2].astype(int)):
        la, lb = largest[a], largest[b]
        largest[n + j] = la if size[la] >= size[lb] else lb
        count[n + j] = count[a] + count[b]
    return largest, count


def dendrogram(linkage: np.ndarray, leaf_labels: list[str], path: Path, dpi: int = 150,
               leaf_colours: list[str] | None = None, title: str | None = None, leaf_sizes=None,
               max_leaves: int = DENDROGRAM_LEAVES) -> Path:
    """Ward tree with named leaves; above ``max_leaves`` leaves, the tree's top ``max_leaves``
    groups, each named by its topic count and largest topic (``leaf_sizes``)."""
    from scipy.cluster.hierarchy import dendrogram as _dend

    plt = _plt()
    n = len(leaf_labels)
    shown = min(n, max_leaves)
    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.32 * shown + 1)))
    if n >= 2:
        from .stats import scipy_linkage

        linkage = scipy_linkage(linkage)
        if n > max_leaves:  # the last max_leaves groups of the tree, each named by its largest topic
            title = (title or "Topic hierarchy (Ward merges of topic centroids)") + \
                f": the top {max_leaves} groups of {n} topics"
            largest, count = _largest_member(linkage, leaf_sizes)
            d = _dend(linkage, truncate_mode="lastp", p=max_leaves, orientation="right", ax=ax, color_threshold=0,
                      above_threshold_color="#555", leaf_font_size=9,
                      leaf_label_func=lambda i: leaf_labels[i] if i < n else
                      f"{count[i]} topics, largest {textwrap.shorten(leaf_labels[largest[i]], 40, placeholder='…')}")
            leaf_colours = None
        else:
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


def stance_heatmap(table: pd.DataFrame, path: Path, dpi: int = 150,
                   title: str = "Stance by topic (share of chunks; counts in brackets)",
                   colour_label: str = "share of chunks in the topic") -> Path:
    """table: index = topic label (or outlet), columns = 'Target: STANCE', values = share; with a parallel
    count table in attrs."""
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
    fig.colorbar(im, ax=ax, label=colour_label)
    ax.set_title(title)
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


STANCE_COLOURS = {"FAVOR": "#2ca02c", "AGAINST": "#d62728", "NONE": "#7f7f7f"}


def _largest_outlets(df: pd.DataFrame, n_col: str, max_outlets: int) -> list[str]:
    """The ``max_outlets`` outlets with most articles (a corpus may have dozens of small ones)."""
    sizes = df.groupby("outlet")[n_col].sum().sort_values(ascending=False, kind="stable")
    return sorted(sizes.index[:max_outlets])


def _periods(df: pd.DataFrame) -> list[str]:
    return sorted(df["period"].astype(str).unique())


def _period_axis(ax, periods: list[str]) -> None:
    step = max(1, int(np.ceil(len(periods) / 16)))  # at most ~16 tick labels
    ax.set_xticks(range(0, len(periods), step), periods[::step], rotation=45, ha="right")
    ax.set_xlim(-0.5, len(periods) - 0.5)


def topic_share_time(shares: pd.DataFrame, path: Path, dpi: int = 150, max_topics: int = 8,
                     max_outlets: int = 6) -> Path:
    """Topic share per period, one panel per outlet (the ``max_outlets`` largest) when ``shares`` has an
    ``outlet`` column.

    shares: [outlet,] period, topic, topic_label, n_articles, share (report.views.topic_shares). The
    ``max_topics`` topics with the largest mean share are drawn; the rest (and outliers) form one grey
    line. Grey bars: articles per period (right axis)."""
    plt = _plt()
    periods = _periods(shares)
    if "outlet" in shares.columns:
        shares = shares[shares["outlet"].isin(_largest_outlets(shares, "n_articles", max_outlets))]
        groups = list(shares.groupby("outlet", sort=True))
    else:
        groups = [("all articles", shares)]
    overall = shares[shares["topic"] >= 0].groupby("topic")["share"].mean().sort_values(ascending=False)
    top = [int(t) for t in overall.index[:max_topics]]
    cols = topic_colours(sorted(set(shares["topic"].astype(int))))
    names = dict(zip(shares["topic"].astype(int), shares["topic_label"].astype(str)))
    fig, axes = plt.subplots(len(groups), 1, figsize=(11, 3.0 * len(groups) + 1.0), squeeze=False, sharex=True)
    x = np.arange(len(periods))
    for ax, (name, g) in zip(axes[:, 0], groups):
        wide = g.pivot_table(index="period", columns="topic", values="share", aggfunc="sum").reindex(periods)
        n_per = g.groupby("period")["n_articles"].sum().reindex(periods).fillna(0)
        bars = ax.twinx()
        bars.bar(x, n_per.to_numpy(), color="#dddddd", width=0.8, zorder=0)
        bars.set_ylabel("articles", color="#888")
        bars.tick_params(axis="y", colors="#888", labelsize=8)
        ax.set_zorder(bars.get_zorder() + 1)
        ax.patch.set_visible(False)
        present = wide.notna().any(axis=1).to_numpy()
        for t in top:
            if t in wide.columns:
                y = wide[t].fillna(0.0).where(present)  # 0: the outlet wrote, not on t; gap: it did not write
                ax.plot(x, y.to_numpy(), "o-", ms=3, lw=1.5, color=cols[t],
                        label=textwrap.shorten(f"{t}: {names.get(t, '')}", 38, placeholder="…"))
        rest = wide.drop(columns=[t for t in top if t in wide.columns]).sum(axis=1, min_count=1)
        if rest.notna().any() and (rest.fillna(0) > 0).any():
            ax.plot(x, rest.fillna(0.0).where(present).to_numpy(), "--", lw=1.2, color="#999",
                    label="other topics and outliers")
        ax.set_ylim(-0.02, 1.04)
        ax.set_ylabel("topic share")
        ax.set_title(f"{name}: {int(n_per.sum())} dated articles", fontsize=11)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(loc="upper left", bbox_to_anchor=(1.08, 1), fontsize=9, frameon=False)
    _period_axis(axes[-1, 0], periods)
    fig.suptitle("Topic share over time (mean of the articles' topic mixes per period)", fontsize=13)
    fig.tight_layout()
    return _save(fig, path, dpi)


def stance_share_time(shares: pd.DataFrame, path: Path, dpi: int = 150, max_outlets: int = 4) -> Path:
    """Share of articles per stance and period: one row of panels per target, one column per outlet
    (the ``max_outlets`` largest) when ``shares`` has an ``outlet`` column; bands are 95% Wilson intervals.

    shares: [outlet,] period, target, stance, n_group, share, lo, hi (report.views.stance_shares)."""
    plt = _plt()
    periods = _periods(shares)
    targets = sorted(shares["target"].unique())
    outlets = [None]
    if "outlet" in shares.columns:
        outlets = _largest_outlets(shares, "n_articles", max_outlets)
    fig, axes = plt.subplots(len(targets), len(outlets), figsize=(5.5 * len(outlets) + 1.5, 3.0 * len(targets) + 1),
                             squeeze=False, sharex=True, sharey=True)
    x = np.arange(len(periods))
    for i, tgt in enumerate(targets):
        for j, out in enumerate(outlets):
            ax = axes[i, j]
            g = shares[shares["target"] == tgt]
            if out is not None:
                g = g[g["outlet"] == out]
            for st in ("FAVOR", "AGAINST", "NONE"):
                h = g[g["stance"] == st].set_index("period").reindex(periods)
                ax.plot(x, h["share"].to_numpy(), "o-", ms=3, lw=1.5, color=STANCE_COLOURS[st], label=st)
                if st != "NONE":
                    ax.fill_between(x, h["lo"].to_numpy(dtype=float), h["hi"].to_numpy(dtype=float),
                                    color=STANCE_COLOURS[st], alpha=0.12, linewidth=0)
            n = int(g.drop_duplicates("period")["n_group"].sum()) if len(g) else 0
            ax.set_title(f"{tgt}" + (f" · {out}" if out is not None else "") + f" ({n} articles)", fontsize=10)
            ax.set_ylim(-0.02, 1.04)
            ax.grid(alpha=0.3)
            if j == 0:
                ax.set_ylabel("share of articles")
    for j in range(len(outlets)):
        _period_axis(axes[-1, j], periods)
    axes[0, -1].legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=9, frameon=False)
    fig.suptitle("Stance over time per target (article stance; bands: 95% Wilson intervals)", fontsize=13)
    fig.tight_layout()
    return _save(fig, path, dpi)


def topic_outlet(shares: pd.DataFrame, path: Path, dpi: int = 150, max_topics: int = 30, max_outlets: int = 12) -> Path:
    """Topic × outlet heatmap (the ``max_outlets`` largest outlets, the ``max_topics`` topics with the
    largest share somewhere). shares: outlet, topic, topic_label, n_articles, share (topic_shares_outlet)."""
    plt = _plt()
    shares = shares[shares["outlet"].isin(_largest_outlets(shares, "n_articles", max_outlets))]
    share = shares.pivot_table(index="topic", columns="outlet", values="share", aggfunc="sum", fill_value=0.0)
    counts = shares.pivot_table(index="topic", columns="outlet", values="n_articles", aggfunc="sum", fill_value=0)
    keep = share.max(axis=1).sort_values(ascending=False).index[:max_topics]
    order = sorted(keep, key=lambda t: (t < 0, t))
    share, counts = share.loc[order], counts.loc[order]
    names = dict(zip(shares["topic"].astype(int), shares["topic_label"].astype(str)))
    fig, ax = plt.subplots(figsize=(1.8 * share.shape[1] + 5, 0.42 * share.shape[0] + 2))
    im = ax.imshow(share.to_numpy(dtype=float), aspect="auto", cmap="Purples", vmin=0,
                   vmax=max(0.05, float(share.to_numpy().max())))
    ax.set_xticks(range(share.shape[1]), [textwrap.shorten(str(c), 24, placeholder="…") for c in share.columns],
                  rotation=20, ha="right")
    ax.set_yticks(range(share.shape[0]),
                  [textwrap.shorten(f"{t}: {names.get(int(t), '')}", 40, placeholder="…") for t in share.index])
    vmax = float(share.to_numpy().max()) or 1.0
    for i in range(share.shape[0]):
        for j in range(share.shape[1]):
            v = share.iat[i, j]
            ax.text(j, i, f"{v:.0%}\n({int(counts.iat[i, j])})", ha="center", va="center", fontsize=8,
                    color="white" if v > 0.6 * vmax else "#111")
    fig.colorbar(im, ax=ax, label="topic share within the outlet")
    ax.set_title("Topics per outlet (share; articles with it as dominant topic in brackets)")
    return _save(fig, path, dpi)


def stance_shares(table: pd.DataFrame, path: Path, title: str, dpi: int = 150, max_groups: int = 25) -> Path:
    """Corrected stance shares with their intervals beside the raw classify-and-count ones.

    table: rows of ``reports/stance_prevalence.csv`` for one grouping (group, label, target, stance, n,
    n_clusters, cc, cc_lo, cc_hi, corrected, lo, hi, method, flags). Per target a panel; per group three
    rows (FAVOR, AGAINST, NONE): a small black square for the raw share, a circle in the stance's colour for the
    corrected share, each with its 95% interval. A flagged group's name carries its flags and its corrected
    circles are hollow.
    """
    plt = _plt()
    stances = ["FAVOR", "AGAINST", "NONE"]
    targets = sorted(table["target"].unique())
    order = (table.drop_duplicates("group").sort_values("n", ascending=False, kind="stable")["group"].tolist())[:max_groups]
    n_rows = max(1, len(order))
    fig, axes = plt.subplots(1, max(1, len(targets)), figsize=(6.4 * max(1, len(targets)), 1.05 * n_rows + 1.9),
                             sharey=True, squeeze=False)
    h = 0.27
    names = []
    for ax, target in zip(axes.ravel(), targets):
        d = table[table["target"] == target].set_index(["group", "stance"])
        for k, st in enumerate(stances):
            ys = np.arange(n_rows) + (k - 1) * h
            r = d.xs(st, level="stance").reindex(order)
            ax.errorbar(r["cc"], ys - 0.07, xerr=[r["cc"] - r["cc_lo"], r["cc_hi"] - r["cc"]], fmt="s", ms=3.5,
                        mfc="white", mec="#111", ecolor="#444", elinewidth=0.9, capsize=2,
                        label="raw share (classify and count)" if k == 0 else None)
            flagged = r["flags"].fillna("").astype(str) != ""
            for fl, face in ((False, STANCE_COLOURS[st]), (True, "white")):
                m = (flagged == fl).to_numpy()
                if not m.any():
                    continue
                ax.errorbar(r["corrected"][m], ys[m] + 0.07, xerr=[(r["corrected"] - r["lo"])[m], (r["hi"] - r["corrected"])[m]],
                            fmt="o", ms=5, mfc=face, mec=STANCE_COLOURS[st], ecolor=STANCE_COLOURS[st], elinewidth=1.4,
                            capsize=2, label=f"{st} corrected" + (" (flagged)" if fl else ""))
        if not names:
            first = table[table["target"] == target].drop_duplicates("group").set_index("group").reindex(order)
            for g, row in first.iterrows():
                lab = f"{g}: {row['label']}" if isinstance(row["label"], str) and row["label"] else str(g)
                lab = textwrap.shorten(lab, 38, placeholder="…")
                extra = f"\nn={int(row['n'])} chunks, {int(row['n_clusters'])} articles"
                flags = row["flags"] if isinstance(row["flags"], str) else ""
                names.append(lab + extra + (f"\nflags: {flags.replace(';', ', ')}" if flags else ""))
        ax.set_xlim(-0.02, 1.02)
        ax.set_xlabel("share of chunks (95% bootstrap interval)")
        ax.set_title(f"toward {target}")
        ax.grid(axis="x", alpha=0.3)
        for y in np.arange(n_rows - 1) + 0.5:
            ax.axhline(y, color="#ddd", lw=0.8)
    axes[0, 0].set_yticks(range(n_rows), names or [""] * n_rows, fontsize=9)
    axes[0, 0].set_ylim(n_rows - 0.5, -0.5)
    handles, labels = [], []
    for ax in axes.ravel():
        for hd, lb in zip(*ax.get_legend_handles_labels()):
            if lb not in labels:
                handles.append(hd)
                labels.append(lb)
    height = fig.get_size_inches()[1]
    fig.legend(handles, labels, loc="lower center", ncol=4, frameon=False, fontsize=9, bbox_to_anchor=(0.5, 0))
    fig.suptitle(f"{title} ({table['method'].iloc[0].upper()})")
    fig.tight_layout(rect=(0, 0.55 / height, 1, 1))
    return _save(fig, path, dpi)
