"""The SVG charts: pure functions of plain data, valid XML, values written as text."""

import datetime
from xml.etree import ElementTree

from registry.reports import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def texts(svg: str) -> list[str]:
    return [element.text for element in parse(svg).iter(f"{SVG}text")]


def test_the_heat_map_is_a_10_by_10_grid_with_counts_and_links():
    svg = charts.heat_map({(8, 5): 3, (2, 2): 1}, href=lambda s, p: f"/list?s={s}&p={p}")
    root = parse(svg)
    assert len(list(root.iter(f"{SVG}rect"))) == 100
    links = [link.get("href") for link in root.iter(f"{SVG}a")]
    assert links == ["/list?s=8&p=5", "/list?s=2&p=2"]
    assert "3" in texts(svg) and "1" in texts(svg)
    assert root.get("aria-label") == "Heat map of 4 failure modes by severity and probability"


def test_the_heat_map_without_links_suits_a_pdf():
    assert "<a " not in charts.heat_map({(1, 1): 2})


def test_heat_colours_darken_with_the_count_and_keep_text_readable():
    light, _ = charts.heat_colour(1, 40)
    dark, ink = charts.heat_colour(40, 40)
    assert light != dark and ink == "#ffffff"
    assert charts.heat_colour(0, 40)[0] == "#f6f8fa"
    assert charts.heat_colour(1, 1)[0] == charts.HEAT_COLOURS[0]  # one is not "many"


def test_the_pareto_chart_numbers_bars_and_draws_the_cumulative_share():
    items = [("Region outage <EU>", 400, 50.0), ("Bad deploy", 240, 80.0), ("Cert", 160, 100.0)]
    svg = charts.pareto(items, href=lambda index: f"/fm/{index}")
    root = parse(svg)
    bars = [rect for rect in root.iter(f"{SVG}rect")]
    assert len(bars) == 3
    heights = [float(bar.get("height")) for bar in bars]
    assert heights == sorted(heights, reverse=True)
    assert len(root.find(f"{SVG}polyline").get("points").split()) == 3
    assert "Region outage <EU>" in svg.replace("&lt;", "<").replace("&gt;", ">")
    assert "<EU>" not in svg  # escaped
    assert {"2. Bad deploy", "3. Cert", "100%"} <= set(texts(svg))


def test_the_pareto_chart_names_each_bar_cut_short_with_the_whole_name_on_hover():
    items = [("Primary database instance fails (Orders / Pay)", 240, 100.0)]
    root = parse(charts.pareto(items))
    [label] = [t for t in root.iter(f"{SVG}text") if t.find(f"{SVG}title") is not None]
    assert label.text == "1. Primary database i…"  # 22 characters with the …
    assert label.find(f"{SVG}title").text == "1. Primary database instance fails (Orders / Pay)"


def test_the_heat_map_can_show_severity_by_detectability():
    svg = charts.heat_map({(9, 8): 2}, rows="Severity", columns="Detectability")
    assert "Detectability →" in texts(svg)
    assert "Severity 9, detectability 8: 2 failure modes" in svg


def test_axis_ticks_are_round_numbers():
    assert charts.axis_ticks(240) == [0, 100, 200, 300]
    assert charts.axis_ticks(48) == [0, 20, 40, 60]
    assert charts.axis_ticks(0) == [0, 1]


def test_the_rpn_line_steps_through_the_history():
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    points = [
        (start, 56, None),
        (start + datetime.timedelta(days=3), 120, None),
        (start + datetime.timedelta(days=9), 120, 32),
    ]
    svg = charts.step_line(points, end=start + datetime.timedelta(days=10), threshold=100)
    root = parse(svg)
    paths = [path.get("d") for path in root.iter(f"{SVG}path")]
    assert len(paths) == 2  # RPN and revised RPN
    assert "threshold 100" in texts(svg)
    assert "2026-01-01" in texts(svg) and "2026-01-11" in texts(svg)


def test_the_rpn_line_without_history_says_so():
    assert "No history yet" in charts.step_line([])


def test_one_day_of_history_says_no_trend_yet_instead_of_a_same_date_axis():
    """Two changes on 2026-01-01, viewed that evening: no axis from a day to itself."""
    start = datetime.datetime(2026, 1, 1, 9, tzinfo=datetime.UTC)
    points = [(start, 56, None), (start + datetime.timedelta(hours=2), 120, None)]
    svg = charts.step_line(points, end=start + datetime.timedelta(hours=10), threshold=100)
    assert "No trend yet: RPN 120 since 2026-01-01" in texts(svg)
    assert len(list(parse(svg).iter(f"{SVG}path"))) == 0
