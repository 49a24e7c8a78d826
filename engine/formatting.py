"""How numbers and words become client text: one set of rules for the narrative, the report's tables and the exports.

The rules, the same in every sentence, table cell and CSV:

- A missing value (None, NaN, pd.NA, NaT, an infinity) is one en dash, :data:`MISSING`;
  never "n/a", "nan" or "None".
- Whole numbers have thousands separators (12,345); decimals are fixed (1,234.57).
  A magnitude of 10^15 or more (which the loader only lets through as a sum) is written
  with three significant figures and its power of ten (1.81e+17), never as 18+ digits.
- A share is a percentage with one decimal (0.4128 -> 41.3%); the summary JSON
  keeps it as a fraction to 4 decimals (:func:`round_share`).
- A metric has the decimals of its :class:`engine.clustering.metrics.Metric` entry (the app's,
  the PDF's and the JSON's alike).
- A multiple is written with two decimals and "×" (0.70×).
- Money carries no currency symbol (the data does not say which).
- A feature value quoted in a sentence rounds to at most 3 significant figures
  (:func:`approx`: 1,540 / 212 / 12.5 / 3.25); tables use the feature unit's decimals.
- Counted nouns agree with their number ("1 customer", "2 customers") and an
  indefinite article agrees with the word after it ("an average", "a high").
- A CSV text cell a spreadsheet would run as a formula gets a leading quote.
- A cluster is shown by its name, "Unassigned" for noise, else "Cluster <id>".
- A segment's revenue index (revenue share / customer share) is worded by the
  fixed bands of :data:`REVENUE_INDEX_BANDS`.
"""

from __future__ import annotations

import math

import pandas as pd

from engine.results import NOISE

MISSING = "–"  # en dash: shown for a value that does not exist

# Decimals per metric key, shared by the PDF, the app and the summary JSON: the registry's, plus stability.
STABILITY_DECIMALS = {"ari": 3, "jaccard": 3}  # the clustering metrics' decimals live on their registry entries
DEFAULT_METRIC_DECIMALS = 4
SHARE_DECIMALS = 4  # shares are fractions; 4 decimals = percentages to 2 decimals
PCT_DECIMALS = 1  # a percentage is printed with one decimal everywhere: 41.3%
RATIO_DECIMALS = 2  # a multiple is printed with two decimals everywhere: 0.70×
MEAN_DECIMALS = 4  # cluster means in the summary JSON (shares are fractions, so 2 would lose them)

# A segment's revenue index = its share of revenue / its share of customers (1.00× = earns in line with its size).
# Bands on the index as printed (two decimals), lower edge included; the first band whose edge the index reaches:
#   index >= 2.00         "well above its size"
#   1.25 <= index < 2.00  "above its size"
#   0.80 <= index < 1.25  "in line with its size"
#   index < 0.80          "below its size"   (0.70× is below its size)
REVENUE_INDEX_BANDS = ((2.0, "well above its size"), (1.25, "above its size"), (0.8, "in line with its size"),
                       (-math.inf, "below its size"))

UNIT_WORDS = {"customer": ("customer", "customers"), "row": ("row", "rows")}
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Words whose first letter misleads the article: "a" before a "y"/"w" sound, "an" before a silent h.
_A_BEFORE = ("one", "once", "uni", "use", "usu", "user", "eu", "ewe")
_AN_BEFORE = ("hour", "honest", "honour", "heir")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


# ---- missing values and rounding ----------------------------------------------


def is_missing(value) -> bool:
    """True for None, NaN, pd.NA, NaT and infinities (values printed as a dash)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def is_number(value) -> bool:
    """True for a finite real number (None, NaN, infinities and text are not)."""
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def metric_decimals(key: str) -> int:
    """Decimals of a metric: its :class:`engine.clustering.metrics.Metric` entry, the stability indices' 3, else 4."""
    from engine.clustering.metrics import METRICS  # lazy: formatting sits below the clustering registries

    if key in METRICS:
        return METRICS[key].decimals
    return STABILITY_DECIMALS.get(key, DEFAULT_METRIC_DECIMALS)


def round_metric(key: str, value) -> float | None:
    """A metric rounded as the report prints it; None when missing (JSON null)."""
    if is_missing(value):
        return None
    return round(float(value), metric_decimals(key))


def round_share(value) -> float | None:
    """A share (fraction 0..1) rounded as the report prints it; None when missing."""
    return None if is_missing(value) else round(float(value), SHARE_DECIMALS)


# ---- numbers --------------------------------------------------------------------


HUGE = 1e15  # from this magnitude on, a number is written 1.81e+17 (see the module's rules)


def _huge(value: float) -> str:
    return f"{value:.3g}"


def integer(value) -> str:
    """Whole number with thousands separators: 12,345."""
    if is_missing(value):
        return MISSING
    return _huge(float(value)) if abs(float(value)) >= HUGE else f"{round(float(value)):,d}"


def number(value, decimals: int = 2) -> str:
    """Number with separators and fixed decimals: 1,234.57."""
    if is_missing(value):
        return MISSING
    return _huge(float(value)) if abs(float(value)) >= HUGE else f"{float(value):,.{decimals}f}"


def approx(value) -> str:
    """A feature value for a sentence: 1,540 / 212 / 12.5 / 3.25 / 0.35 (3 significant figures, at most)."""
    if not is_number(value):
        return MISSING
    v = float(value)
    size = abs(v)
    if size >= HUGE:
        return _huge(v)
    if size >= 100:
        text = f"{v:,.0f}"
    elif size >= 10:
        text = f"{v:.1f}"
    else:
        text = f"{v:.2f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def metric(value, key: str = "") -> str:
    """A clustering metric with its registry entry's decimals (:func:`metric_decimals`)."""
    rounded = round_metric(key, value)
    if rounded is None:
        return MISSING
    return f"{rounded:,.{metric_decimals(key)}f}"


def pct(value, decimals: int = PCT_DECIMALS) -> str:
    """A fraction as a percentage: 0.2345 -> 23.5%.

    Rounded once, from the value itself (the JSON's 4-decimal share rounds to the
    same percentage; rounding that share again could move a 15.85% to 15.8%).
    """
    return MISSING if is_missing(value) else f"{float(value) * 100:,.{decimals}f}%"


def ratio(value, decimals: int = RATIO_DECIMALS) -> str:
    """A multiple: 3.83×."""
    return MISSING if is_missing(value) else f"{float(value):,.{decimals}f}\u00d7"


def money(value, decimals: int = 2) -> str:
    """An amount without a currency symbol (the data does not say which): 12,345.67."""
    return number(value, decimals)


def days(value, decimals: int = 0) -> str:
    """A duration in days: 45 days, 1 day."""
    if is_missing(value):
        return MISSING
    text = f"{float(value):,.{decimals}f}"
    return f"{text} day" if text == "1" else f"{text} days"


def signed(value, decimals: int = 2) -> str:
    """A standardised difference with its sign: +0.53, −1.20 (true minus sign)."""
    if is_missing(value):
        return MISSING
    text = f"{float(value):+.{decimals}f}"
    return text.replace("-", "\u2212")


# Feature units (FeatureDef.unit) -> how a value of that feature is written in a table.
_BY_UNIT = {
    "days": lambda v: number(v, 1),
    "currency": lambda v: money(v, 2),
    "share": pct,
    "orders": lambda v: number(v, 2),
    "items": lambda v: number(v, 1),
    "count": lambda v: number(v, 2),
}


def feature_value(value, unit: str = "") -> str:
    """A feature value written in its unit's format (days 1 dp, currency 2 dp, shares %)."""
    return _BY_UNIT.get(unit, lambda v: number(v, 2))(value)


def feature_total(value, unit: str = "") -> str:
    """A cluster total of an additive feature: whole orders, items and currency units (totals get large)."""
    return integer(value) if unit in ("orders", "items", "currency") else feature_value(value, unit)


# ---- dates ----------------------------------------------------------------------


def long_date(value) -> str:
    """A date written out, locale-independent: 31 December 2024."""
    if value is None:
        return MISSING
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    if pd.isna(ts):
        return MISSING
    return f"{ts.day} {_MONTHS[ts.month - 1]} {ts.year}"


def iso_date(value) -> str:
    """A date as YYYY-MM-DD (tables, appendix)."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return MISSING
    return MISSING if pd.isna(ts) else ts.strftime("%Y-%m-%d")


# ---- words ----------------------------------------------------------------------


def unit_words(unit: str) -> tuple[str, str]:
    """Singular and plural of the unit of analysis ("customer", "customers")."""
    return UNIT_WORDS.get(unit, ("row", "rows"))


def plural(count, word: str, many: str | None = None) -> str:
    """The word agreeing with ``count``: "row" for 1, "rows" otherwise (``many`` for irregular plurals)."""
    return word if is_number(count) and float(count) == 1 else (many or word + "s")


def counted(count, word: str, many: str | None = None) -> str:
    """A count and its noun: "1 customer", "2,000 customers", "– customers" when missing."""
    return f"{integer(count)} {plural(count, word, many)}"


def units(count, unit: str) -> str:
    """A count of the unit of analysis: "1 customer", "3,000 rows"."""
    one, many = unit_words(unit)
    return counted(count, one, many)


def article(word: str) -> str:
    """ "a" or "an" for the word that follows ("an average", "a high", "a unique", "an hour")."""
    lowered = word.strip().lower()
    if not lowered:
        return "a"
    if lowered.startswith(_AN_BEFORE):
        return "an"
    if lowered.startswith(_A_BEFORE):
        return "a"
    return "an" if lowered[0] in "aeiou" else "a"


def with_article(phrase: str) -> str:
    """The phrase after its indefinite article: "an average", "a median"."""
    return f"{article(phrase)} {phrase}"


def capitalise(text: str) -> str:
    """First character upper-case, the rest untouched (keeps "k-means", "(k$)")."""
    return text[:1].upper() + text[1:] if text else text


def join_words(items: list[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
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


def edited_fields(fields) -> str:
    """The parts of a label the analyst changed, in label order: "name and strategies"; "" when none."""
    return join_words([f for f in ("name", "description", "strategies") if f in set(fields or ())])


def edited_note(fields) -> str:
    """What the analyst changed in a label: "name and strategies edited by the analyst"; "" when nothing."""
    words = edited_fields(fields)
    return f"{words} edited by the analyst" if words else ""


# ---- revenue index --------------------------------------------------------------


def revenue_index(revenue_share, share) -> float:
    """Revenue share / customer share; NaN when either is missing or the segment is empty."""
    if not (is_number(revenue_share) and is_number(share)) or float(share) <= 0:
        return math.nan
    return float(revenue_share) / float(share)


def revenue_index_words(index) -> str:
    """The band of :data:`REVENUE_INDEX_BANDS` for the index as printed ("below its size"); "" when missing."""
    if not is_number(index):
        return ""
    shown = round(float(index), RATIO_DECIMALS)
    return next(words for edge, words in REVENUE_INDEX_BANDS if shown >= edge)


def revenue_index_legend(many: str = "customers") -> str:
    """The bands of :data:`REVENUE_INDEX_BANDS` in one sentence, for a table's note."""
    parts, upper = [], None
    for edge, words in REVENUE_INDEX_BANDS:
        if upper is None:
            span = f"at least {ratio(edge).rstrip('×')} times"
        elif math.isinf(edge):
            span = f"under {ratio(upper).rstrip('×')} times"
        else:
            span = f"{ratio(edge).rstrip('×')} to {ratio(upper).rstrip('×')} times"
        parts.append(f"“{words}”: {span}")
        upper = edge
    return f"A segment's share of revenue against its share of {many}: " + "; ".join(parts) + "."


# ---- exports and names ----------------------------------------------------------


def neutralise(text: str) -> str:
    """Prefix text a spreadsheet would read as a formula with a single quote (OWASP CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def feature_label(key: str, labels: dict[str, str] | None = None) -> str:
    """A feature as a client reads it: the given label, else the feature registry's ("Recency (days)"), else words."""
    if labels and labels.get(key):
        return str(labels[key])
    from engine.features.catalogue import feature_def  # lazy: the feature catalogue imports scikit-learn

    entry = feature_def(key)
    return entry.label if entry is not None else str(key).replace("_", " ")


def algorithm_label(key: str) -> str:
    """An algorithm as a client reads it: the registry's label ("k-means"), else the key in words."""
    try:
        from engine.clustering.algorithms import ALGORITHMS  # lazy: it imports scikit-learn
    except ImportError:  # registry not available
        ALGORITHMS = {}
    entry = ALGORITHMS.get(key)
    return entry.label if entry is not None else str(key).replace("_", " ")


def cluster_name(cluster: int, names: dict[int, str] | None = None) -> str:
    """Display name of a cluster: the given name, "Unassigned" for noise, else "Cluster <id>"."""
    if names and names.get(cluster):
        return str(names[cluster])
    return "Unassigned" if cluster == NOISE else f"Cluster {cluster}"
