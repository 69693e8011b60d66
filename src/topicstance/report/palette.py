"""Colours that tell topics apart: Tableau-style qualitative colours first, then spaced hues."""
from __future__ import annotations

import colorsys

BASE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
        "#7f7f7f", "#393b79", "#e6550d", "#31a354", "#843c39", "#7b4173", "#3182bd", "#fd8d3c", "#74c476",
        "#ad494a", "#a55194", "#6baed6", "#fdae6b", "#637939", "#d6616b", "#ce6dbd"]
OUTLIER = "#c8c8c8"


def topic_colours(ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    real = [i for i in ids if i >= 0]
    for k, tid in enumerate(sorted(real)):
        if k < len(BASE):
            out[tid] = BASE[k]
        else:
            h = (k * 0.618033988749895) % 1.0
            r, g, b = colorsys.hls_to_rgb(h, 0.45 + 0.15 * (k % 2), 0.65)
            out[tid] = "#%02x%02x%02x" % (int(r * 255), int(g * 255), int(b * 255))
    for i in ids:
        if i < 0:
            out[i] = OUTLIER
    return out
