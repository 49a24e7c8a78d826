"""How the narrative writes numbers and units: one place, so every sentence rounds the same way.

The rounding rules are what the number-checking tests rely on: a printed value
is the profile's value rounded to the decimals shown, never a recomputation.
"""

from __future__ import annotations

import math

UNIT_WORDS = {"customer": ("customer", "customers"), "row": ("row", "rows")}


def unit_words(unit: str) -> tuple[str, str]:
    """Singular and plural of the unit of analysis ("customer", "customers")."""
    return UNIT_WORDS.get(unit, ("row", "rows"))


def is_number(value) -> bool:
    """True for a finite real number (None, NaN and infinities are not)."""
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def fmt_number(value: float) -> str:
    """A feature value for a sentence: 1,540 / 212 / 12.5 / 3.25 / 0.35 (3 significant figures, at most)."""
    if not is_number(value):
        return "n/a"
    v = float(value)
    size = abs(v)
    if size >= 100:
        text = f"{v:,.0f}"
    elif size >= 10:
        text = f"{v:.1f}"
    else:
        text = f"{v:.2f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_count(value) -> str:
    """A whole count with thousands separators (3,000)."""
    return f"{int(round(float(value))):,}"


def fmt_pct(share: float) -> str:
    """A share 0..1 as a percentage: 41% (one decimal below 10%: 4.5%)."""
    if not is_number(share):
        return "n/a"
    v = 100 * float(share)
    text = f"{v:.1f}" if abs(v) < 10 else f"{v:.0f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + "%"


def fmt_ratio(ratio: float) -> str:
    """A ratio to the population as 3.1× (two decimals below 0.1: 0.05×)."""
    if not is_number(ratio):
        return "n/a"
    v = float(ratio)
    text = f"{v:.2f}" if abs(v) < 0.1 else f"{v:.1f}"
    return text + "×"


def fmt_fixed(value: float, decimals: int) -> str:
    """A metric with a fixed number of decimals (0.9123 -> "0.91"), thousands separated."""
    return f"{float(value):,.{decimals}f}"


def capitalise(text: str) -> str:
    """First character upper-case, the rest untouched (keeps "k-means", "(k$)")."""
    return text[:1].upper() + text[1:] if text else text


def join_words(items: list[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def roman(n: int) -> str:
    """Roman numeral for small qualifiers: 2 -> "II"."""
    numerals = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = ""
    for value, letters in numerals:
        while n >= value:
            out += letters
            n -= value
    return out
