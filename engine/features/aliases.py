"""Columns of a one-row-per-customer table that *are* catalogue features under another name.

A CRM export or an RFM worksheet already holds "Recency", "Days Since Last Purchase",
"# Orders (LTM)" or "Total Spend $". Clustered under their own names, the narrative
cannot know what they mean: a cluster reads "Very high Recency" (a long time ago, or
very recent?) and no persona (Champions, Lapsed) can apply. Taken as the catalogue's
``recency_days``, ``frequency``, ``monetary`` and ``tenure_days`` they get the
catalogue's wording and personas, while the report still shows the analyst's own
column name as the label.

Only unambiguous names are taken: a recency or tenure counted in weeks, months or years
is not in days, so it keeps its own name (a telecom "tenure" is in months), and the
one-letter "R", "F", "M" of RFM worksheets are usually 1-5 scores, not the values; money
is the column the loader took as the amount.
"""

from __future__ import annotations

import re

from engine.loading.roles import normalise_name

_OTHER_UNIT = re.compile(r"week|wk|month|mth|mo$|year|yr|hour|hr$|minute|min$")
_PATTERNS = {
    "recency_days": re.compile(
        r"recency(days|indays|d)?|dayssince(the|your)?(last|latest|most ?recent)"
        r"(purchase|order|transaction|buy|invoice|visit|sale)?|(last(purchase|order|transaction))?daysago"
        r"|days(since|from)last|lastpurchasedaysago|lastorderdaysago|daysinactive|inactivedays"),
    "frequency": re.compile(
        r"frequency|(n|no|num|number|numberof|nof|count|total|totalnumberof|nb)?"
        r"(orders|purchases|transactions|invoices)(count|total|made|placed)?(ltm|l12m|lifetime|alltime)?"
        r"|(order|purchase|transaction|invoice)(count|frequency)"),
    "tenure_days": re.compile(
        r"tenure(days|indays)|daysascustomer|customerdays|dayssincefirst(purchase|order|transaction|signup)?"
        r"|(customer)?agedays|dayssincesignup|dayssinceregistration|daysactive"),
}


def catalogue_aliases(columns: list[str], amount_column: str | None = None) -> dict[str, str]:
    """{column: catalogue key} for the columns that are catalogue features under another name.

    A key already present as a column is left alone; a key two columns could be is given to neither.
    """
    present = set(columns)
    candidates: dict[str, list[str]] = {}
    for column in columns:
        key = normalise_name(column)
        if not key or column in ("recency_days", "frequency", "monetary", "tenure_days"):
            continue
        for target, pattern in _PATTERNS.items():
            if pattern.fullmatch(key) and not (target != "frequency" and _OTHER_UNIT.search(key)):
                candidates.setdefault(target, []).append(column)
        if column == amount_column or (amount_column is None and re.fullmatch(r"monetary(value)?", key)):
            candidates.setdefault("monetary", []).append(column)
    return {cols[0]: target for target, cols in candidates.items() if len(cols) == 1 and target not in present}
