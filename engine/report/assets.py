"""What the report embeds besides text: chart SVGs, the client's logo, the accent colour.

Charts come from vl-convert as SVG and reach the page as data: URIs in
``<img>`` (Python hands no markup to the templates). They are first rebuilt
from a parsed tree with an element allow-list: no scripts, no event handlers, no link or
``url()`` that is not a ``data:`` URI or a ``#fragment``. Ids get a per-chart
prefix (two charts both using ``clip1`` would otherwise collide) and long
coordinates are rounded, which keeps a 1,000-point scatter lean.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_SVG_PREFIX = f"{{{SVG_NS}}}"
_XML_PREFIX = "{http://www.w3.org/XML/1998/namespace}"

ALLOWED_ELEMENTS = frozenset(
    ["svg", "g", "defs", "path", "rect", "line", "circle", "ellipse", "polyline", "polygon", "text", "tspan", "clipPath", "linearGradient", "radialGradient", "stop", "pattern", "mask", "image"]
)
_LEAN_DROP = ("aria-", "role", "class", "pointer-events")  # accessibility/interaction only
_COORDINATE_ATTRS = ("d", "transform", "points", "x", "y", "x1", "x2", "y1", "y2", "width", "height")
_LONG_FLOAT = re.compile(r"-?\d+\.\d{3,}")
_EMPTY_PATHS = ("", "M0,0h0v0h0Z")
_URL = re.compile(r"url\(\s*['\"]?([^'\")]*)['\"]?\s*\)", re.IGNORECASE)
HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
DEFAULT_ACCENT = "#1f4e79"
MAX_LOGO_BYTES = 1024 * 1024
MAX_LOGO_PIXELS = 20_000_000  # a PNG or JPEG logo: at most 20 megapixels ...
MAX_LOGO_SIDE = 10_000  # ... and this many pixels a side
MAX_VECTOR_MARKS = 300  # charts embedding more data rows than this are drawn as a raster image
MAX_VECTOR_ELEMENTS = 400  # the same limit counted in SVG elements, for SVG that comes without a spec
RASTER_SCALE = 2  # raster pixels per CSS px: ~190 dpi on paper
# JPEG, not PNG: WeasyPrint embeds JPEG bytes as they are, but decodes and re-compresses every PNG
# (twice with an alpha channel), which cost ~0.35 s for the scatter.
RASTER_QUALITY = 92
CHART_CACHE_SIZE = 16  # drawn charts kept per process, by spec (a report has five)

_CHART_CACHE: OrderedDict[str, ChartImage] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _safe_target(target: str) -> bool:
    target = target.strip()
    return target.startswith("#") or target.lower().startswith("data:")


def _short_float(match: re.Match) -> str:
    text = f"{float(match.group()):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _clean_attributes(element: ET.Element) -> None:
    for name in list(element.attrib):
        value = element.attrib[name]
        local = _local(name)
        lowered = local.lower()
        if lowered.startswith("on") or lowered.startswith(_LEAN_DROP):
            del element.attrib[name]
        elif lowered == "href":
            if not _safe_target(value):
                del element.attrib[name]
        elif "url(" in value.lower():
            if not all(_safe_target(t) for t in _URL.findall(value)) or not _URL.findall(value):
                del element.attrib[name]
        elif local in _COORDINATE_ATTRS:
            element.attrib[name] = _LONG_FLOAT.sub(_short_float, value)


def _invisible(element: ET.Element) -> bool:
    """Elements that draw nothing (vl-convert emits many): hidden, or an empty or zero-size path."""
    return element.get("display") == "none" or (
        _local(element.tag) == "path" and element.get("d", "").strip() in _EMPTY_PATHS
    )


def _allowed(element: ET.Element) -> bool:
    return isinstance(element.tag, str) and element.tag.startswith(_SVG_PREFIX) and _local(element.tag) in ALLOWED_ELEMENTS


def _prune(element: ET.Element) -> None:
    children = []
    for child in element:
        if not _allowed(child):
            continue  # script, style, foreignObject, comments, other namespaces, anything unknown
        _clean_attributes(child)
        if _invisible(child):
            continue
        _prune(child)
        if _local(child.tag) == "g" and not child.attrib:
            children.extend(child)  # a bare group changes nothing: keep its children, drop the wrapper
        else:
            children.append(child)
    element[:] = children


def _renumber_ids(root: ET.Element, prefix: str) -> None:
    """Ids become prefix + their order of appearance, references follow.

    vl-convert numbers gradients and clips with a counter that runs across calls
    in one process, so the same chart drawn twice would differ; renumbering
    makes the output depend on the chart alone and unique across charts.
    """
    new_ids = {}
    for element in root.iter():
        for name, value in element.attrib.items():
            if _local(name) == "id" and value not in new_ids:
                new_ids[value] = f"{prefix}{len(new_ids)}"

    def ref(target: str) -> str:
        return new_ids.get(target, f"{prefix}missing")

    for element in root.iter():
        for name, value in list(element.attrib.items()):
            local = _local(name)
            if local == "id":
                element.attrib[name] = new_ids[value]
            elif local == "href" and value.startswith("#"):
                element.attrib[name] = "#" + ref(value[1:])
            elif "url(#" in value:
                element.attrib[name] = _URL.sub(lambda m: f"url(#{ref(m.group(1).strip()[1:])})", value)


def _plain_names(root: ET.Element) -> None:
    """Unprefixed SVG names and one ``xmlns`` on the root.

    Not ET.register_namespace: its prefix map is process-wide and other libraries
    (WeasyPrint's PDF metadata) rewrite it, which turned our output into ``ns0:svg``.
    Attributes in foreign namespaces (editor metadata) are dropped; xml:* is kept.
    """
    for element in root.iter():
        element.tag = _local(element.tag)
        for name in [n for n in element.attrib if n.startswith("{") and not n.startswith(_XML_PREFIX)]:
            del element.attrib[name]
    root.set("xmlns", SVG_NS)


def sanitize_svg(svg: str, id_prefix: str) -> str:
    """The SVG rebuilt from an allow-list of elements and attributes.

    Parameters
    ----------
    svg : str
        SVG text (from vl-convert, or an uploaded logo).
    id_prefix : str
        Ids are renumbered ``id_prefix + n`` (references follow), so several SVGs can share a
        page and the output does not depend on how many charts were drawn before.

    Raises
    ------
    ValueError
        When the text is not an SVG document.
    """
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as exc:
        raise ValueError(f"not a well-formed SVG ({exc})") from None
    if _local(root.tag) != "svg":
        raise ValueError(f"the root element is <{_local(root.tag)}>, not <svg>")
    for element in root.iter():
        if isinstance(element.tag, str) and not element.tag.startswith("{"):
            element.tag = _SVG_PREFIX + element.tag  # an SVG written without xmlns
        if f"{{{XLINK_NS}}}href" in element.attrib:  # SVG 2 href: no second namespace to declare
            element.attrib["href"] = element.attrib.pop(f"{{{XLINK_NS}}}href")
    _clean_attributes(root)
    _prune(root)
    _renumber_ids(root, id_prefix)
    _plain_names(root)
    return ET.tostring(root, encoding="unicode")


@dataclass(frozen=True)
class ChartImage:
    """A chart ready for an ``<img>``: a data: URI and its size on the page in CSS px."""

    src: str
    width: float
    height: float
    raster: bool  # True when drawn as JPEG (dense charts), False for vector SVG


def _css_px(value: str | None) -> float:
    match = re.match(r"^\s*([0-9.]+)\s*(px)?\s*$", value or "")
    return float(match.group(1)) if match else 0.0


def chart_image(spec: dict, key: str, max_vector_marks: int = MAX_VECTOR_MARKS) -> ChartImage:
    """A chart spec (engine.views.charts) rendered for the page: sanitised vector SVG, or a 2x JPEG.

    Why an image and not inline SVG: WeasyPrint styles every inline SVG element
    through its CSS cascade and draws every path through Python matrix code
    (about 2-3 ms per scatter point), so a 1,000-point scatter costs seconds
    as vector but well under 0.1 s as JPEG. Charts with a gradient (the heatmap's colour
    legend) are rasterised too: WeasyPrint 70 draws SVG gradients as stray dots. Which
    way a chart goes is decided from its spec, so a dense chart is rendered straight to
    JPEG and its SVG never passes through Python. An SVG inside ``<img>`` also cannot run
    script or load anything in a browser viewing the HTML export.

    A chart drawn before from the same spec and key is reused: the app rebuilds the report
    after every option change, and most changes (client name, sections, accent colour) leave
    the charts as they were. :func:`clear_chart_cache` empties it.
    """
    from engine.views import vegalite

    digest = hashlib.sha256(json.dumps([spec, key, max_vector_marks], sort_keys=True).encode("utf-8")).hexdigest()
    with _CACHE_LOCK:
        if digest in _CHART_CACHE:
            _CHART_CACHE.move_to_end(digest)
            return _CHART_CACHE[digest]
    if drawn_as_raster(spec, max_vector_marks):
        image = _jpeg_image(vegalite.to_jpeg(spec, scale=RASTER_SCALE, quality=RASTER_QUALITY))
    else:
        image = svg_image(vegalite.to_svg(spec), key)
    with _CACHE_LOCK:
        _CHART_CACHE[digest] = image
        while len(_CHART_CACHE) > CHART_CACHE_SIZE:
            _CHART_CACHE.popitem(last=False)
    return image


def drawn_as_raster(spec: dict, max_vector_marks: int = MAX_VECTOR_MARKS) -> bool:
    """True for charts drawn as JPEG: a gradient legend, or more data rows than ``max_vector_marks``."""
    from engine.views import vegalite

    return vegalite.has_gradient_legend(spec) or vegalite.mark_count(spec) > max_vector_marks


def clear_chart_cache() -> None:
    """Forget every drawn chart (benchmarks time real drawing)."""
    with _CACHE_LOCK:
        _CHART_CACHE.clear()


def svg_image(svg: str, key: str, max_vector_elements: int = MAX_VECTOR_ELEMENTS) -> ChartImage:
    """SVG text, sanitised, as a data: URI; still rasterised when it turns out dense or has a gradient."""
    clean = sanitize_svg(svg, f"{key}-")
    root = ET.fromstring(clean)
    width, height = _css_px(root.get("width")), _css_px(root.get("height"))
    gradient = any(_local(el.tag) in ("linearGradient", "radialGradient") for el in root.iter())
    if gradient or sum(1 for _ in root.iter()) > max_vector_elements:
        import vl_convert

        jpeg = vl_convert.svg_to_jpeg(clean, scale=RASTER_SCALE, quality=RASTER_QUALITY)
        return ChartImage(_jpeg_uri(jpeg), width, height, True)
    data = base64.b64encode(clean.encode("utf-8")).decode("ascii")
    return ChartImage(f"data:image/svg+xml;base64,{data}", width, height, False)


def _jpeg_image(jpeg: bytes) -> ChartImage:
    """A JPEG rendered at RASTER_SCALE, printed at its CSS size."""
    from PIL import Image  # reads the header only

    width, height = Image.open(io.BytesIO(jpeg)).size
    return ChartImage(_jpeg_uri(jpeg), width / RASTER_SCALE, height / RASTER_SCALE, True)


def _jpeg_uri(jpeg: bytes) -> str:
    return f"data:image/jpeg;base64,{base64.b64encode(jpeg).decode('ascii')}"


def accent_colour(value: str | None) -> str:
    """The accent as a #hex colour; anything else falls back to the default (it reaches CSS)."""
    if isinstance(value, str) and HEX_COLOUR.match(value.strip()):
        return value.strip().lower()
    return DEFAULT_ACCENT


def _logo_kind(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n") and b"IHDR" in data[:40]:
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    head = data[:1024].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--")) and b"<svg" in data[:4096].lower():
        return "image/svg+xml"
    return None


def logo_data_uri(path: str | Path) -> str:
    """The logo file as a data: URI, after checking it is a PNG, JPEG or SVG of at most 1 MB.

    SVG logos are sanitised like charts, so a logo cannot make the renderer fetch anything.
    """
    if re.match(r"[a-z][a-z0-9+.-]*://|data:", str(path), re.IGNORECASE) and not Path(path).exists():
        raise InputError(f"The logo {path} is an address, not a file; logos must be local PNG, JPEG or SVG files "
                         "(the report never fetches anything), so save the image and give its path.", "report.logo")
    p = Path(path)
    if p.is_dir():
        raise InputError(f"The logo {p} is a folder, not an image file; give the path of a PNG, JPEG or SVG file.",
                         "report.logo")
    if not p.is_file():
        raise InputError(f"The logo file {p} does not exist; check report.logo or upload the image again.", "report.logo")
    size = p.stat().st_size
    if size > MAX_LOGO_BYTES:
        raise InputError(
            f"The logo {p.name} is {size / MAX_LOGO_BYTES:.1f} MB; use a PNG, JPEG or SVG of 1 MB or less.",
            "report.logo",
        )
    data = p.read_bytes()
    kind = _logo_kind(data)
    if kind is None:
        raise InputError(f"The logo {p.name} is not a PNG, JPEG or SVG image; save it in one of those formats.", "report.logo")
    if kind != "image/svg+xml":
        _check_logo_pixels(data, kind, p.name)
    if kind == "image/svg+xml":
        try:
            data = sanitize_svg(data.decode("utf-8"), "logo-").encode("utf-8")
        except (UnicodeDecodeError, ValueError) as exc:
            raise InputError(f"The logo {p.name} is not a valid SVG ({exc}); export it again or use a PNG.", "report.logo") from None
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"



def _check_logo_pixels(data: bytes, kind: str, name: str) -> None:
    """Refuse a PNG or JPEG logo over MAX_LOGO_PIXELS or MAX_LOGO_SIDE, from its header (a small file can declare
    a 30,000 x 30,000 image, which the renderer would drop silently or spend minutes on)."""
    from PIL import JpegImagePlugin, PngImagePlugin

    opener = PngImagePlugin.PngImageFile if kind == "image/png" else JpegImagePlugin.JpegImageFile
    try:
        with opener(io.BytesIO(data)) as image:  # the header only: no pixels decoded
            width, height = image.size
    except Exception:  # noqa: BLE001 - a damaged header: the renderer could not draw it either
        raise InputError(f"The logo {name} is not a readable image; save it again as PNG or JPEG.", "report.logo") from None
    if width * height > MAX_LOGO_PIXELS or max(width, height) > MAX_LOGO_SIDE:
        raise InputError(f"The logo {name} is {width:,} x {height:,} pixels; use an image of at most "
                         f"{MAX_LOGO_SIDE:,} pixels a side and {MAX_LOGO_PIXELS // 1_000_000} megapixels "
                         "(a logo prints sharp at about 1,000 pixels wide).", "report.logo")
