"""Data and user text shown literally where Streamlit renders Markdown (no Streamlit here, so tests can call it).

Streamlit renders Markdown in st.markdown, st.caption, st.write, the bodies of
st.info/warning/error/success, help tooltips, and the labels of widgets,
expanders, tabs, metrics and page links: an image (``![m](http://…)``) there
makes the browser fetch its URL, a link is live, ``:red[x]`` is coloured,
``$x$`` is typeset, ``:material/x:`` becomes an icon. Customer ids, column and
category names, file and sheet names, the analyst's labels and the engine's
sentences that quote them go through :func:`md` before they reach such a place.
"""

from __future__ import annotations

import re

# Every Markdown punctuation Streamlit acts on inline: links and images ([ ] ( ) !), emphasis (* _ ~),
# code (`), HTML and autolinks (< > &), tables (|), headings (#), LaTeX ($), directives, icons and
# emoji shortcodes (: and the / of ":material/x:"). A backslash before ASCII punctuation always means the
# character itself.
_INLINE = re.compile(r"([\\`*_\[\]()!#<>&|~$:{}/])")
# Bare web addresses and e-mail addresses become links after the escapes are read (GFM autolink literals):
# an invisible word joiner inside "://", "www." and "@" keeps them text.
_AUTOLINK = re.compile(r"(://|www(?=\.)|@)", re.IGNORECASE)
_JOINER = "\u2060"
# Block markers that only mean something at the start of a line: lists (- + 1.), setext underlines (=).
_LINE_START = re.compile(r"^([ \t]*)([-+=]|\d+(?=[.)]))", re.MULTILINE)


def md(value: object) -> str:
    """``value`` as text that Streamlit's Markdown shows exactly as written (every special character escaped)."""
    text = _AUTOLINK.sub(lambda m: m[1][0] + _JOINER + m[1][1:], str(value))
    text = _INLINE.sub(r"\\\1", text)
    return _LINE_START.sub(lambda m: m[1] + (m[2] + "\\" if m[2][0].isdigit() else "\\" + m[2]), text)


def unescape(text: str) -> str:
    """What the reader sees of a string escaped by :func:`md` (for comparing shown text with engine text)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text).replace(_JOINER, "")
