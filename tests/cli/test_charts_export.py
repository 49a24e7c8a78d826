"""``build --charts DIR``: every chart of the report as PNG and SVG files named after its section."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

from PIL import Image

from engine.report.deck import PNG_PPI
from tests.cli.test_cli import assert_one_line_error, cli
from tests.real_shapes import write_weak_three_tables

NAME = re.compile(r"^(\d\d|[A-Z])-([a-z0-9-]+)-(\d+)\.(png|svg)$")  # body sections numbered, appendix lettered


def test_build_writes_every_chart_of_the_report_as_png_and_svg(tmp_path):
    data = write_weak_three_tables(tmp_path / "data")
    out = cli("build", *map(str, data), "--out", str(tmp_path / "r.pdf"), "--html", str(tmp_path / "r.html"),
              "--charts", str(tmp_path / "charts"), "--quiet")
    assert out.returncode == 0, out.stderr
    files = sorted(p.name for p in (tmp_path / "charts").iterdir())
    html = (tmp_path / "r.html").read_text()
    # one PNG and one SVG per chart the report prints
    assert len(files) == 2 * html.count('class="chart') > 0
    stems = [f.rsplit(".", 1)[0] for f in files if f.endswith(".png")]
    assert stems == [f.rsplit(".", 1)[0] for f in files if f.endswith(".svg")]
    assert len(set(stems)) == len(stems)
    # named after the section, numbered as the report numbers its sections, in report order
    anchors = re.findall(r'<section class="[^"]*" id="sec-([a-z_]+)">', html)
    order = [m.group(2) for m in map(NAME.match, (f"{s}.png" for s in stems))]
    assert all(m is not None for m in map(NAME.match, files)), files
    assert order == sorted(order, key=lambda key: anchors.index(key.replace("-", "_")))
    for stem, key in zip(stems, order, strict=True):
        number = stem.split("-", 1)[0]
        heading = re.search(rf'id="sec-{key.replace("-", "_")}">\s*<h1><span class="num">(\d+|[A-Z])</span>', html)
        assert heading and heading.group(1).zfill(2 if number.isdigit() else 1) == number, stem
    assert "segment-overview" in order and "visualisation" in order
    for name in files:
        data = (tmp_path / "charts" / name).read_bytes()
        if name.endswith(".png"):
            image = Image.open(io.BytesIO(data))
            image.verify()
            assert image.format == "PNG" and round(image.info["dpi"][0]) == PNG_PPI
            assert image.size[0] >= 1000  # print resolution for a chart ~520 px wide on the page
        else:
            root = ET.fromstring(data)
            assert root.tag.endswith("svg") and "http" not in data.decode().split("xmlns", 1)[0]
            assert b"<script" not in data and b'href="http' not in data


def test_a_bad_charts_path_is_one_sentence_before_the_analysis_runs(tmp_path):
    a_file = tmp_path / "taken.txt"
    a_file.write_text("not a folder")
    # --progress prints a line per analysis step: a single error line means nothing ran before the check
    out = cli("build", "--demo", "--out", str(tmp_path / "r.pdf"), "--charts", str(a_file), "--progress")
    assert_one_line_error(out, "--charts", "taken.txt", "not a folder")
    out = cli("build", "--demo", "--out", str(tmp_path / "r.pdf"), "--charts", str(tmp_path / "missing" / "charts"),
              "--progress")
    assert_one_line_error(out, "missing", "does not exist")
    assert not (tmp_path / "r.pdf").exists()
