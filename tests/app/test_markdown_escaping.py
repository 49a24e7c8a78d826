"""Data and user text never becomes Markdown in the app (issue 13, item 1).

Hostile ids, column names, category values, file and sheet names and cluster
labels are loaded through the Data page and every page is walked; every string
of every element that Streamlit renders as Markdown (bodies, labels, help texts,
radio options, expander and tab labels, page links, table tooltips) is read from
the element tree, so an element added later is checked too.
"""

import json
import re

import numpy as np
import pandas as pd
import pytest
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from app_support.text import md, unescape
from tests.app.test_pages import _app, _goto

pytestmark = pytest.mark.slow

IMAGE = "![m](http://127.0.0.1:9/x)"
LINK = "[link](http://evil)"
HTML = "<img src=x onerror=alert(1)>"
PAYLOADS = [IMAGE, LINK, HTML, "**bold**", ":red[x] $x$"]
CSV = f"{IMAGE.replace('/', '')} {HTML.replace('/', '')} $x$ customers.csv"  # a file name has no "/"
BOOK = f"{LINK.replace('/', '')} **wb** :red[x].xlsx"
EMPTY_SHEET = "<a href=x>$x$"  # a sheet name cannot hold [ ] : * ? / \
# A payload still live: the Markdown or HTML character without the backslash that makes it literal text.
UNESCAPED = re.compile(r"(?<!\\)(?:\]\(|!\[|<img|<a\s|:red\[|\$x\$|\*\*bold|https?://)", re.IGNORECASE)

# Strings Streamlit shows as plain text or never shows: input values, select and multiselect options
# (plain text, unlike radio options), table cells and headers (drawn on a canvas), chart specs (Vega
# draws text as text), the report preview (HTML escaped by the report's own templates), ids and URLs.
PLAIN = {
    "*": {"id", "form_id", "page", "page_script_hash", "url"},
    "text_input": {"value", "default"},
    "text_area": {"value", "default"},
    "selectbox": {"options", "raw_value", "raw_values", "default"},
    "multiselect": {"options", "raw_value", "raw_values", "default"},
    "code": {"code_text", "body"},
    "text": {"body"},
    "vega_lite_chart": {"spec", "datasets"},
    "iframe": {"srcdoc", "src"},
    "dataframe": {"arrow_data", "lazy_data"},
}


def _strings(value, where: str):
    if isinstance(value, Message):
        value = MessageToDict(value, preserving_proto_field_name=True)
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, where)
    elif isinstance(value, str):
        yield where, value


def markdown_strings(at) -> list[tuple[str, str]]:
    """(element type.field, text) of every Markdown-rendered string in the page, sidebar included."""
    found = []

    def walk(node) -> None:
        proto, kind = getattr(node, "proto", None), getattr(node, "type", "?")
        if isinstance(proto, Message):
            fields = MessageToDict(proto, preserving_proto_field_name=True)
            skip = PLAIN["*"] | PLAIN.get(kind, set())
            for name, value in fields.items():
                if name in skip:
                    continue
                if kind == "dataframe" and name == "columns":  # column settings: only their tooltips render
                    value = [c.get("help", "") for c in json.loads(value).values()]
                found.extend(_strings(value, f"{kind}.{name}"))
        for child in (getattr(node, "children", None) or {}).values():
            walk(child)

    walk(at._tree)
    return found


def assert_no_live_markdown(at, page: str) -> list[str]:
    assert not at.exception, at.exception
    strings = markdown_strings(at)
    live = [(where, text) for where, text in strings if UNESCAPED.search(text)]
    assert not live, (page, live)
    return [unescape(text) for _, text in strings]


def _hostile_upload(folder) -> list[tuple[str, bytes]]:
    """A customers CSV and a workbook whose transactions sheet and an empty sheet have hostile names."""
    rng = np.random.default_rng(13)
    ids = [f"C{i:03d}" for i in range(90)] + [f"{p} {i}" for i, p in enumerate(PAYLOADS)]  # some ids hostile
    customers = pd.DataFrame({
        "CustomerID": ids,
        "Region": rng.choice(PAYLOADS + ["Europe"], len(ids)),
        "SignupDate": (pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 300, len(ids)), unit="D"))
        .strftime("%Y-%m-%d"),
        f"{LINK} age": rng.integers(18, 80, len(ids)),  # a numeric column with a hostile name
    })
    n = 900
    who = np.concatenate([rng.choice(ids, n - len(PAYLOADS)), PAYLOADS])  # five rows of customers not listed
    quantity = rng.integers(1, 5, n)
    price = np.round(rng.uniform(5, 200, n), 2)
    transactions = pd.DataFrame({
        "TransactionID": [f"T{i:05d}" for i in range(n)], "CustomerID": who,
        "TransactionDate": (pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 86400, n), unit="s"))
        .strftime("%Y-%m-%d %H:%M:%S"),
        "Category": rng.choice([IMAGE, LINK, HTML, "**bold**", ":red[x]", "Books"], n),
        "Quantity": quantity, "Price": price, "TotalValue": np.round(quantity * price, 2),
        IMAGE: np.round(rng.lognormal(2, 1.5, n), 2),  # heavy-tailed: log-transformed, so named in a caption
    })
    csv = folder / "customers.csv"
    customers.to_csv(csv, index=False)
    book = folder / "book.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        transactions.to_excel(writer, sheet_name=HTML, index=False)
        pd.DataFrame().to_excel(writer, sheet_name=EMPTY_SHEET, index=False)
    return [(BOOK, book.read_bytes()), (CSV, csv.read_bytes())]


def test_md_shows_text_literally():
    for text in PAYLOADS + ["a_b", "- item\n1. one\n# h", "`c` |t| ~s~ &amp; \\", ":material/home: www.x.org a@b.co"]:
        escaped = md(text)
        assert unescape(escaped) == text
        assert not UNESCAPED.search(escaped)
    assert "http://" not in md("see http://evil.example") and "www." not in md("www.evil.example")


def test_hostile_text_is_never_markdown_on_any_page(tmp_path):
    at = _app()
    at.session_state["data.uploads"] = _hostile_upload(tmp_path)
    at.run()
    at.button(key="data.load").click().run()
    assert at.session_state["analysis"].status("data") == "done", [e.value for e in at.error]
    shown = assert_no_live_markdown(at, "data")
    at.run()  # the loaded files' names
    shown += assert_no_live_markdown(at, "data")

    _goto(at, "features")
    shown += assert_no_live_markdown(at, "features")
    at.radio(key="w:features.unit").set_value("row").run()  # the rows as they are: column names are features
    at.multiselect(key="w:features.selected.row").set_value([IMAGE, "Quantity", "TotalValue"]).run()
    shown += assert_no_live_markdown(at, "features")

    _goto(at, "compare")
    at.multiselect(key="w:compare.algorithms").set_value(["kmeans"])
    at.slider(key="w:compare.k_range").set_value((2, 4))
    at.number_input(key="w:compare.resamples").set_value(5).run()
    at.button(key="compare.run").click().run()
    assert at.session_state["analysis"].current("comparison") is not None
    shown += assert_no_live_markdown(at, "compare")

    _goto(at, "label")
    at.text_input(key="w:label.0.name").input(f"{IMAGE} {HTML}").run()
    at.text_area(key="w:label.0.description").input(f"{LINK} **bold** :red[x] $x$").run()
    assert at.session_state["analysis"].project.labels[0].name == f"{IMAGE} {HTML}"
    shown += assert_no_live_markdown(at, "label")
    for page in ("compare", "report", "data"):
        _goto(at, page)
        shown += assert_no_live_markdown(at, page)

    # the hostile text was shown (as text): file, sheet and column names, the unmatched ids
    text = "\n".join(shown)
    assert f"Loaded: {BOOK}, {CSV}" in text
    assert f"Joined {BOOK}: {HTML} to {CSV} on customer_id" in text
    assert f"sheet '{EMPTY_SHEET}' is empty and was skipped" in text
    assert f"customer id not found in {CSV} (e.g. {', '.join(sorted(PAYLOADS))})" in text
    assert f"log-transformed: {IMAGE}." in text and "Most distinctive: " in text and f", {IMAGE}" in text


def test_an_error_sentence_quoting_a_hostile_file_name_is_text():
    name = f"{IMAGE.replace('/', '')} {HTML.replace('/', '')} :smile: :red[x].csv"  # no "/" in a file name
    at = _app()
    at.session_state["data.uploads"] = [(name, b"CustomerID,TransactionDate,TotalValue\n")]  # header only
    at.run()
    at.button(key="data.load").click().run()
    shown = assert_no_live_markdown(at, "data")
    assert at.error and any(name in text for text in shown)  # the error names the file, as text
