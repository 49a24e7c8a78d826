"""The report's Jinja filters: thin names over :mod:`engine.formatting`, where every number becomes text.

The summary JSON rounds with the same rules (:func:`engine.formatting.round_metric`,
:func:`engine.formatting.round_share`), so a value printed in the PDF is the
value in the JSON written with separators: Davies-Bouldin 0.7491 in both, a
share 0.2345 printed as 23.5%. The narrative's sentences use the same module,
so a percentage or a missing value reads the same in a sentence and a table.
"""

from __future__ import annotations

from engine.formatting import (
    days,
    feature_total,
    feature_value,
    integer,
    iso_date,
    long_date,
    metric,
    money,
    number,
    pct,
    ratio,
    signed,
)

FILTERS = {
    "integer": integer,
    "number": number,
    "metric": metric,
    "pct": pct,
    "money": money,
    "days": days,
    "signed": signed,
    "long_date": long_date,
    "iso_date": iso_date,
    "feature_value": feature_value,
    "feature_total": feature_total,
    "ratio": ratio,
}
