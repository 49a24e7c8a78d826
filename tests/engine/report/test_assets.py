"""Chart sanitising, the logo check, the accent colour and the safe URL fetcher."""

from __future__ import annotations

import base64
import struct
import xml.etree.ElementTree as ET
import zlib

import pytest

from engine.errors import InputError
from engine.report import TEMPLATE_DIR
from engine.report.assets import (
    DEFAULT_ACCENT,
    MAX_LOGO_BYTES,
    accent_colour,
    chart_image,
    logo_data_uri,
    sanitize_svg,
    svg_image,
)
from engine.report.fetcher import FetchRefused, SafeFetcher

HOSTILE_SVG = """<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
 width="200" height="100" onload="steal()">
 <script>alert(1)</script><style>@import url(http://example.com/a.css);</style>
 <defs><clipPath id="clip1"><rect width="10.123456" height="3"/></clipPath></defs>
 <g clip-path="url(#clip1)" style="fill: url(http://example.com/pattern)">
  <image xlink:href="http://example.com/x.png"/><image href="data:image/png;base64,AAAA"/>
  <a href="http://example.com"><text>link</text></a>
  <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">html</div></foreignObject>
  <rect fill="url('https://example.com/f')" onclick="go()" transform="translate(1.23456,7.5)"/>
  <text x="1" y="2">&lt;script&gt; kept as text</text>
 </g></svg>"""


def _png(width: int = 1, height: int = 1) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00" * height)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def test_sanitize_removes_scripts_handlers_and_remote_references():
    clean = sanitize_svg(HOSTILE_SVG, "c1-")
    lowered = clean.lower()
    for banned in ("<script", "alert(", "<style", "@import", "onload", "onclick", "foreignobject",
                   "example.com", "<a ", "steal"):
        assert banned not in lowered, banned
    root = ET.fromstring(clean)
    hrefs = [v for el in root.iter() for k, v in el.attrib.items() if k.endswith("href")]
    assert hrefs == ["data:image/png;base64,AAAA"]
    assert "&lt;script&gt; kept as text" in clean  # text content survives, still escaped


def test_sanitize_renumbers_ids_and_their_references_and_rounds_coordinates():
    clean = sanitize_svg(HOSTILE_SVG, "c1-")
    assert 'id="c1-0"' in clean and "clip1" not in clean
    assert 'clip-path="url(#c1-0)"' in clean
    assert 'width="10.12"' in clean and 'translate(1.23,7.5)' in clean


def test_sanitize_output_does_not_depend_on_the_renderer_s_id_counter():
    first = '<svg xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="gradient_0"/></defs><rect fill="url(#gradient_0)"/></svg>'
    later = first.replace("gradient_0", "gradient_7")
    assert sanitize_svg(first, "h-") == sanitize_svg(later, "h-")
    assert 'fill="url(#h-0)"' in sanitize_svg(first, "h-")


@pytest.mark.parametrize("text", ["not xml at all", "<html><body/></html>"])
def test_sanitize_rejects_what_is_not_an_svg(text):
    with pytest.raises(ValueError):
        sanitize_svg(text, "x-")


def test_small_svg_stays_vector_and_dense_svg_becomes_jpeg():
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80">' + '<rect width="1" height="1"/>' * 10 + "</svg>"
    vector = svg_image(svg, "a")
    assert vector.src.startswith("data:image/svg+xml;base64,") and not vector.raster
    assert (vector.width, vector.height) == (120.0, 80.0)
    raster = svg_image(svg, "b", max_vector_elements=5)
    assert raster.src.startswith("data:image/jpeg;base64,") and raster.raster
    assert base64.b64decode(raster.src.split(",", 1)[1]).startswith(b"\xff\xd8\xff")
    assert raster.width == 120.0  # printed at the SVG's size, whatever the image's pixel count
    gradient = svg.replace("</svg>", '<defs><linearGradient id="g"/></defs><rect fill="url(#g)"/></svg>')
    assert svg_image(gradient, "c").raster  # WeasyPrint cannot draw SVG gradients


def _points_spec(n: int, color: dict | None = None) -> dict:
    return {"datasets": {"points": [{"x": i, "y": i % 7, "v": i / n} for i in range(n)]}, "data": {"name": "points"},
            "mark": "point", "width": 200, "height": 100,
            "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"},
                         **({"color": color} if color else {})}}


def test_a_chart_is_drawn_once_per_spec_and_key(monkeypatch):
    from engine.report import assets
    from engine.views import vegalite

    drawn = []
    real = vegalite.to_svg
    monkeypatch.setattr(vegalite, "to_svg", lambda spec: drawn.append(1) or real(spec))
    assets.clear_chart_cache()
    first = chart_image(_points_spec(12), "cached")
    assert chart_image(_points_spec(12), "cached") is first and len(drawn) == 1
    chart_image(_points_spec(13), "cached")  # other data: drawn again
    chart_image(_points_spec(12), "other-key")  # other key (ids are prefixed with it): drawn again
    assert len(drawn) == 3
    for n in range(assets.CHART_CACHE_SIZE):
        chart_image(_points_spec(20 + n), "fill")
    chart_image(_points_spec(12), "cached")  # pushed out by newer charts: drawn again
    assert len(drawn) == 4 + assets.CHART_CACHE_SIZE
    assets.clear_chart_cache()


def test_chart_spec_goes_vector_or_jpeg_by_its_marks_and_legend():
    sparse = chart_image(_points_spec(20), "s")
    assert not sparse.raster and sparse.src.startswith("data:image/svg+xml;base64,")
    svg_width = sparse.width
    dense = chart_image(_points_spec(20), "d", max_vector_marks=10)
    assert dense.raster and base64.b64decode(dense.src.split(",", 1)[1]).startswith(b"\xff\xd8\xff")
    assert abs(dense.width - svg_width) <= 1  # same size on the page as the vector drawing would have
    gradient = chart_image(_points_spec(20, {"field": "v", "type": "quantitative"}), "g")
    assert gradient.raster
    no_legend = chart_image(_points_spec(20, {"field": "v", "type": "quantitative", "legend": None}), "n")
    assert not no_legend.raster


@pytest.mark.parametrize("value,expected", [
    ("#1A2b3C", "#1a2b3c"), ("#abc", "#abc"), (" #123456 ", "#123456"),
    ("red", DEFAULT_ACCENT), ("#12345", DEFAULT_ACCENT), ("#123456; background:url(http://x)", DEFAULT_ACCENT),
    (None, DEFAULT_ACCENT), (123, DEFAULT_ACCENT),
])
def test_accent_must_be_a_hex_colour(value, expected):
    assert accent_colour(value) == expected


def test_png_jpeg_and_svg_logos_become_data_uris(tmp_path):
    png = tmp_path / "logo.png"
    png.write_bytes(_png())
    assert logo_data_uri(png) == "data:image/png;base64," + base64.b64encode(_png()).decode()
    jpeg = tmp_path / "logo.jpg"
    jpeg.write_bytes(_jpeg(40, 20))
    assert logo_data_uri(jpeg).startswith("data:image/jpeg;base64,")
    svg = tmp_path / "logo.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script>'
                   '<image href="http://example.com/t.png"/><circle r="3"/></svg>')
    decoded = base64.b64decode(logo_data_uri(svg).split(",", 1)[1]).decode()
    assert "<circle" in decoded and "script" not in decoded and "example.com" not in decoded


def test_missing_logo_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist") as info:
        logo_data_uri(tmp_path / "nope.png")
    assert info.value.field == "report.logo"


def test_oversized_logo_is_an_input_error(tmp_path):
    big = tmp_path / "big.png"
    big.write_bytes(_png() + b"\x00" * MAX_LOGO_BYTES)
    with pytest.raises(InputError, match=r"big\.png is 1\.0 MB; use a PNG, JPEG or SVG of 1 MB or less"):
        logo_data_uri(big)


@pytest.mark.parametrize("content", [b"GIF89a....", b"just text", b"%PDF-1.7"])
def test_unsupported_logo_format_is_an_input_error(tmp_path, content):
    path = tmp_path / "logo.png"  # the extension does not matter; the bytes do
    path.write_bytes(content)
    with pytest.raises(InputError, match="is not a PNG, JPEG or SVG image"):
        logo_data_uri(path)


def test_broken_svg_logo_is_an_input_error(tmp_path):
    path = tmp_path / "logo.svg"
    path.write_text("<svg xmlns='http://www.w3.org/2000/svg'><g></svg>")
    with pytest.raises(InputError, match="is not a valid SVG"):
        logo_data_uri(path)


def test_fetcher_serves_data_uris_and_template_files_only(tmp_path):
    fetcher = SafeFetcher()
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    css = (TEMPLATE_DIR / "print.css").resolve()
    assert fetcher.fetch(css.as_uri()).read() == css.read_bytes()
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    refused = [
        "http://example.com/x.png",
        "https://example.com/a.css",
        "ftp://example.com/f",
        outside.as_uri(),
        (TEMPLATE_DIR / ".." / "engine" / "errors.py").as_uri(),  # climbs out of the templates
        "file://otherhost" + str(css),
    ]
    for url in refused:
        with pytest.raises((FetchRefused, ValueError)):
            fetcher.fetch(url)
    assert fetcher.refused == refused
    assert fetcher.requests[0] == "data:text/plain;base64"  # data: URIs are logged by header only
    assert fetcher.non_data_requests == [css.as_uri(), *refused]


def test_output_is_plain_svg_whatever_other_libraries_registered(monkeypatch):
    monkeypatch.setattr(ET, "_namespace_map", {**ET._namespace_map})  # restored after the test
    ET.register_namespace("svg", "http://www.w3.org/2000/svg")  # what a library may do, process-wide
    ET.register_namespace("", "http://example.com/other")
    clean = sanitize_svg(HOSTILE_SVG, "c1-")
    assert clean.startswith('<svg width="200" height="100" xmlns="http://www.w3.org/2000/svg">')
    assert "ns0:" not in clean and "svg:" not in clean
    assert '<image href="data:image/png;base64,AAAA" />' in clean  # xlink:href became SVG 2 href


def test_an_svg_written_without_xmlns_is_accepted_and_gets_one():
    clean = sanitize_svg('<svg width="10" height="10"><rect width="1" height="1"/><script>x()</script></svg>', "s-")
    assert clean == '<svg width="10" height="10" xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1" /></svg>'


def _jpeg(width: int, height: int) -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (width, height), (31, 78, 121)).save(out, "JPEG")
    return out.getvalue()


def _huge_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of ``width`` x ``height`` white pixels: a few hundred KB for 30,000 x 30,000."""
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    packer = zlib.compressobj(1)
    body = b"".join(packer.compress(row * 1000) for _ in range(height // 1000)) + packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def test_a_logo_with_too_many_pixels_is_refused_from_its_header(tmp_path):
    png = tmp_path / "huge.png"
    png.write_bytes(_huge_png(30_000, 30_000))
    assert png.stat().st_size < MAX_LOGO_BYTES  # passes the file-size check
    with pytest.raises(InputError) as info:
        logo_data_uri(png)
    assert str(info.value) == ("The logo huge.png is 30,000 x 30,000 pixels; use an image of at most 10,000 pixels a "
                               "side and 20 megapixels (a logo prints sharp at about 1,000 pixels wide).")
    assert info.value.field == "report.logo"
    wide = tmp_path / "wide.png"
    wide.write_bytes(_huge_png(12_000, 1_000))  # 12 megapixels but 12,000 pixels wide
    with pytest.raises(InputError, match="wide.png is 12,000 x 1,000 pixels"):
        logo_data_uri(wide)
    banner = tmp_path / "banner.png"
    banner.write_bytes(_huge_png(4_000, 1_000))  # within both limits
    assert logo_data_uri(banner).startswith("data:image/png;base64,")


def test_a_jpeg_logo_is_measured_from_its_frame_header(tmp_path):
    data = bytearray(_jpeg(16, 8))
    at = data.find(b"\xff\xc0")  # baseline frame header: length, precision, height, width
    struct.pack_into(">HH", data, at + 5, 20_000, 20_000)
    path = tmp_path / "big.jpg"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="big.jpg is 20,000 x 20,000 pixels"):
        logo_data_uri(path)
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 20)  # a JPEG signature and nothing readable after it
    with pytest.raises(InputError, match="The logo big.jpg is not a readable image; save it again as PNG or JPEG."):
        logo_data_uri(path)
