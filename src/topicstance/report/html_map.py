"""A self-contained, offline, interactive topic map (one HTML file, no CDN).

The page embeds its data as JSON inside a ``<script type="application/json">``
block, with ``<``, ``>`` and ``&`` escaped as unicode escapes, and the script
only ever writes corpus text through ``textContent``: a chunk that contains
``<script>`` or an ``onerror=`` attribute is shown as text and runs nothing.
Element ids are fixed and no date is written, so the same data gives the same
bytes.
"""
from __future__ import annotations

import html
import json

import pandas as pd

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>__TITLE__</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #222; }
header { padding: 10px 16px; border-bottom: 1px solid #ddd; display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
header h1 { font-size: 17px; margin: 0 12px 0 0; }
label { font-size: 13px; }
select, input { font-size: 13px; padding: 3px 6px; }
#main { display: flex; }
#plot { border-right: 1px solid #ddd; cursor: crosshair; }
#side { padding: 10px 14px; font-size: 13px; width: 320px; overflow-y: auto; }
#legend div { display: flex; align-items: center; gap: 6px; margin: 2px 0; cursor: pointer; }
#legend span.sw { width: 12px; height: 12px; border-radius: 6px; display: inline-block; flex: none; }
#tooltip { position: fixed; pointer-events: none; background: #fff; border: 1px solid #999; border-radius: 4px;
  padding: 8px 10px; font-size: 12px; max-width: 380px; box-shadow: 0 2px 8px rgba(0,0,0,.2); display: none; }
#tooltip .t-title { font-weight: 600; margin-bottom: 4px; }
#tooltip .t-meta { color: #555; margin-bottom: 4px; }
#count { color: #555; font-size: 13px; }
</style>
</head>
<body>
<header>
  <h1 id="page-title">__TITLE__</h1>
  <label>Topic <select id="topic-filter"><option value="">all topics</option></select></label>
  <label>Stance <select id="stance-target"></select> <select id="stance-filter"><option value="">any stance</option>
    <option value="FAVOR">FAVOR</option><option value="AGAINST">AGAINST</option><option value="NONE">NONE</option></select></label>
  <label>Search <input id="search" type="search" placeholder="words in the text"></label>
  <span id="count"></span>
</header>
<div id="main">
  <canvas id="plot" width="900" height="640"></canvas>
  <div id="side"><b>Topics</b><div id="legend"></div></div>
</div>
<div id="tooltip" role="tooltip"><div class="t-title" id="tt-title"></div><div class="t-meta" id="tt-meta"></div><div id="tt-text"></div></div>
<script type="application/json" id="map-data">__DATA__</script>
<script>
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("map-data").textContent);
  var pts = data.points, topics = data.topics, targets = data.targets;
  var canvas = document.getElementById("plot"), ctx = canvas.getContext("2d");
  var W = canvas.width, H = canvas.height, pad = 24;
  var xs = pts.map(function (p) { return p.x; }), ys = pts.map(function (p) { return p.y; });
  var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs), y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
  function sx(x) { return pad + (x - x0) / ((x1 - x0) || 1) * (W - 2 * pad); }
  function sy(y) { return H - pad - (y - y0) / ((y1 - y0) || 1) * (H - 2 * pad); }
  pts.forEach(function (p) { p.px = sx(p.x); p.py = sy(p.y); p.lower = (p.text + " " + p.title).toLowerCase(); });
  var colour = {};
  topics.forEach(function (t) { colour[t.id] = t.colour; });
  var topicSel = document.getElementById("topic-filter"), stanceT = document.getElementById("stance-target"),
      stanceSel = document.getElementById("stance-filter"), search = document.getElementById("search"),
      count = document.getElementById("count"), legend = document.getElementById("legend");
  topics.forEach(function (t) {
    var o = document.createElement("option"); o.value = String(t.id); o.textContent = t.label + " (" + t.size + ")";
    topicSel.appendChild(o);
    var row = document.createElement("div"), sw = document.createElement("span"), lab = document.createElement("span");
    sw.className = "sw"; sw.style.background = t.colour; lab.textContent = t.label + " (" + t.size + ")";
    row.appendChild(sw); row.appendChild(lab); row.dataset.topic = String(t.id);
    row.addEventListener("click", function () { topicSel.value = String(t.id); draw(); });
    legend.appendChild(row);
  });
  targets.forEach(function (t) { var o = document.createElement("option"); o.value = t; o.textContent = t; stanceT.appendChild(o); });
  var visible = [];
  function draw() {
    var tp = topicSel.value, st = stanceSel.value, tg = stanceT.value, q = search.value.trim().toLowerCase();
    visible = pts.filter(function (p) {
      return (tp === "" || String(p.topic) === tp) && (st === "" || p.stance[tg] === st) && (q === "" || p.lower.indexOf(q) >= 0);
    });
    ctx.clearRect(0, 0, W, H);
    ctx.globalAlpha = 0.12; ctx.fillStyle = "#999";
    pts.forEach(function (p) { ctx.beginPath(); ctx.arc(p.px, p.py, 2.5, 0, 6.283); ctx.fill(); });
    ctx.globalAlpha = 0.9;
    visible.forEach(function (p) { ctx.fillStyle = colour[p.topic] || "#888"; ctx.beginPath(); ctx.arc(p.px, p.py, 4, 0, 6.283); ctx.fill(); });
    ctx.globalAlpha = 1; ctx.font = "bold 12px system-ui, sans-serif"; ctx.textAlign = "center";
    topics.forEach(function (t) {
      if (tp !== "" && String(t.id) !== tp) { return; }
      var x = sx(t.cx), y = sy(t.cy); ctx.lineWidth = 3; ctx.strokeStyle = "#fff"; ctx.strokeText(t.short, x, y);
      ctx.fillStyle = "#111"; ctx.fillText(t.short, x, y);
    });
    count.textContent = visible.length + " of " + pts.length + " chunks";
    canvas.dataset.visible = String(visible.length);
  }
  var tip = document.getElementById("tooltip");
  canvas.addEventListener("mousemove", function (ev) {
    var r = canvas.getBoundingClientRect(), mx = (ev.clientX - r.left) * W / r.width, my = (ev.clientY - r.top) * H / r.height;
    var best = null, bd = 100;
    visible.forEach(function (p) { var d = (p.px - mx) * (p.px - mx) + (p.py - my) * (p.py - my); if (d < bd) { bd = d; best = p; } });
    if (!best) { tip.style.display = "none"; return; }
    document.getElementById("tt-title").textContent = best.title || "(untitled)";
    var st = targets.map(function (t) { return t + ": " + (best.stance[t] || "?"); }).join(" \\u00b7 ");
    document.getElementById("tt-meta").textContent = "Topic " + best.topic + ": " + best.label + " \\u00b7 " + st;
    document.getElementById("tt-text").textContent = best.text;
    tip.style.display = "block"; tip.style.left = (ev.clientX + 14) + "px"; tip.style.top = (ev.clientY + 14) + "px";
  });
  canvas.addEventListener("mouseleave", function () { tip.style.display = "none"; });
  [topicSel, stanceT, stanceSel].forEach(function (el) { el.addEventListener("change", draw); });
  search.addEventListener("input", draw);
  draw();
  document.body.dataset.ready = "1";
})();
</script>
</body>
</html>
"""


def _safe_json(obj) -> str:
    s = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def build_map_html(points: pd.DataFrame, topics: pd.DataFrame, targets: list[str], title: str = "Topic map") -> str:
    """points: x, y, topic, label, title, text, and one ``stance_<target>`` column per target.
    topics: id, label, short, size, colour, cx, cy."""
    pts = [{"x": round(float(r.x), 4), "y": round(float(r.y), 4), "topic": int(r.topic), "label": str(r.label),
            "title": "" if r.title is None or (isinstance(r.title, float)) else str(r.title), "text": str(r.text),
            "stance": {t: str(getattr(r, f"stance_{t}", "") or "") for t in targets}}
           for r in points.itertuples(index=False)]
    tps = [{"id": int(r.id), "label": str(r.label), "short": str(r.short), "size": int(r.size), "colour": str(r.colour),
            "cx": float(r.cx), "cy": float(r.cy)} for r in topics.itertuples(index=False)]
    data = {"points": pts, "topics": tps, "targets": list(targets)}
    return _TEMPLATE.replace("__TITLE__", html.escape(title)).replace("__DATA__", _safe_json(data))
