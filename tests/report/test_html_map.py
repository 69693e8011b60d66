"""The interactive topic map in a real headless browser (Debian chromium via Playwright)."""
import pandas as pd

from topicstance.report.html_map import build_map_html

from .browser import open_page

EVIL_SCRIPT = "<script>window.__pwned = 1</script> breaking news"
EVIL_IMG = '<img src=x onerror="window.__pwned = 2"> drone strike report'


def _page(tmp_path):
    pts = []
    for i in range(30):
        topic = i % 3
        text = {0: "Drone strikes near Kyiv", 1: "Bank raises rates", 2: "Cup final goals"}[topic] + f" number {i}"
        if i == 4:
            text = EVIL_SCRIPT
        if i == 5:
            text = EVIL_IMG
        pts.append({"x": topic * 10 + (i % 5), "y": topic * 5 + (i % 7) * 0.5, "topic": topic,
                    "label": ["war_drone", "bank_rates", "cup_goals"][topic], "title": f"Article {i} <b>bold</b>",
                    "text": text, "stance_Russia": ["AGAINST", "NONE", "NONE"][topic], "stance_Ukraine": "NONE"})
    points = pd.DataFrame(pts)
    topics = pd.DataFrame([{"id": t, "label": l, "short": l, "size": 10, "colour": c,
                            "cx": float(points[points.topic == t].x.mean()), "cy": float(points[points.topic == t].y.mean())}
                           for t, l, c in [(0, "war_drone", "#1f77b4"), (1, "bank_rates", "#ff7f0e"), (2, "cup_goals", "#2ca02c")]])
    p = tmp_path / "map.html"
    p.write_text(build_map_html(points, topics, ["Russia", "Ukraine"]), encoding="utf-8")
    return p, points


def _hover(page, px, py):
    box = page.locator("#plot").bounding_box()
    page.mouse.move(box["x"] + px * box["width"] / 900, box["y"] + py * box["height"] / 640)


def _screen_xy(points, i):
    xs, ys = points.x, points.y
    x = 24 + (points.x[i] - xs.min()) / (xs.max() - xs.min()) * (900 - 48)
    y = 640 - 24 - (points.y[i] - ys.min()) / (ys.max() - ys.min()) * (640 - 48)
    return x, y


def test_page_loads_offline_without_errors_and_draws_every_point(tmp_path):
    path, points = _page(tmp_path)
    with open_page(path) as (page, errors, requests):
        assert page.locator("#plot").get_attribute("data-visible") == str(len(points))
        assert errors == []
        assert all(r.startswith("file:") for r in requests), requests


def test_hover_shows_excerpt_title_topic_and_stance(tmp_path):
    path, points = _page(tmp_path)
    with open_page(path) as (page, errors, _):
        _hover(page, *_screen_xy(points, 7))
        tip = page.locator("#tooltip")
        tip.wait_for(state="visible")
        assert page.locator("#tt-text").inner_text() == points.text[7]
        assert page.locator("#tt-title").inner_text() == "Article 7 <b>bold</b>"
        meta = page.locator("#tt-meta").inner_text()
        assert points.label[7] in meta and f"Russia: {points.stance_Russia[7]}" in meta


def test_filters_by_topic_stance_and_search(tmp_path):
    path, points = _page(tmp_path)
    with open_page(path) as (page, _, _):
        page.select_option("#topic-filter", "1")
        assert page.locator("#plot").get_attribute("data-visible") == "10"
        page.select_option("#topic-filter", "")
        page.select_option("#stance-filter", "AGAINST")
        assert page.locator("#plot").get_attribute("data-visible") == "10"
        page.select_option("#stance-filter", "")
        page.fill("#search", "number 1")
        want = int(points.text.str.lower().str.contains("number 1").sum() + points.title.str.lower().str.contains("number 1").sum()
                   - (points.text.str.lower().str.contains("number 1") & points.title.str.lower().str.contains("number 1")).sum())
        assert page.locator("#plot").get_attribute("data-visible") == str(want)


def test_injected_markup_in_the_corpus_shows_as_text_and_runs_nothing(tmp_path):
    path, points = _page(tmp_path)
    with open_page(path) as (page, errors, _):
        assert page.evaluate("window.__pwned === undefined")
        assert page.locator("img").count() == 0
        for i, evil in ((4, EVIL_SCRIPT), (5, EVIL_IMG)):
            _hover(page, *_screen_xy(points, i))
            page.locator("#tooltip").wait_for(state="visible")
            assert page.locator("#tt-text").inner_text() == evil
        assert page.evaluate("window.__pwned === undefined")
        assert errors == []


def test_same_data_gives_the_same_bytes(tmp_path):
    a, _ = _page(tmp_path / "a" if (tmp_path / "a").mkdir() is None else tmp_path)
    b, _ = _page(tmp_path / "b" if (tmp_path / "b").mkdir() is None else tmp_path)
    assert a.read_bytes() == b.read_bytes()


def test_the_pipeline_page_loads_and_draws_every_chunk(project_outputs):
    import pandas as pd

    page_path = project_outputs / "reports" / "topic_map.html"
    n = len(pd.read_parquet(project_outputs / "data" / "chunk_coords.parquet"))
    with open_page(page_path) as (page, errors, requests):
        assert errors == []
        assert page.locator("#plot").get_attribute("data-visible") == str(n)
        assert all(r.startswith("file:") for r in requests), requests
