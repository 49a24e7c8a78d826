"""The words of a label: a feature's trait words, a quoted fact, the size sentence and template filling."""

from __future__ import annotations

from engine.formatting import approx, feature_label, integer, is_number, pct, ratio, unit_words, with_article
from engine.narrative.playbook import Playbook
from engine.results import Profile

SHARE_PREFIX = "share_"


def trait(feature: str, level: str, labels: dict[str, str], playbook: Playbook) -> str:
    """Words for a feature at a level, direction-aware for recency and tenure ("long since last order")."""
    wording = playbook.features.get(feature)
    if wording is not None and level in wording.words:
        return wording.words[level]
    noun = wording.short if wording is not None else feature_label(feature, labels)
    return f"{level} {noun}"


def fact(feature: str, row: dict, labels: dict[str, str], playbook: Playbook, unit: str) -> str:
    """A fragment quoting the cluster's value, the population's and their ratio for one feature."""
    by_median = row["basis"] == "median ratio"
    stat = "median" if by_median else "average"
    value = row["cluster_median"] if by_median else row["cluster_mean"]
    overall = row["population_median"] if by_median else row["population_mean"]
    times = row["ratio"]
    label = feature_label(feature, labels)
    if feature.startswith(SHARE_PREFIX):
        return f"{label}: {stat} {pct(value)} vs {pct(overall)} overall"
    wording = playbook.features.get(feature)
    ratio_ok = is_number(times) and times > 0
    if wording is not None and (ratio_ok or "{ratio}" not in wording.fact):
        return wording.fact.format(
            stat=stat, a_stat=with_article(stat), value=approx(value),
            overall=approx(overall), ratio=ratio(times).rstrip("×"), unit=unit,
        )
    text = f"{label}: {stat} {approx(value)} vs {approx(overall)} overall"
    return text + (f" ({ratio(times)})" if ratio_ok else "")


def size_sentence(profile: Profile, cluster: int) -> str:
    s = profile.summary.loc[cluster]
    _, many = unit_words(profile.unit)
    text = f"{integer(s['size'])} {many} ({pct(s['share'])})"
    revenue_share = s.get("revenue_share", float("nan"))
    if is_number(revenue_share):
        text += f", {pct(revenue_share)} of revenue"
    return text + "."


class _Defaults(dict):
    def __missing__(self, key: str) -> str:  # unknown placeholders stay visible, never crash
        return "{" + key + "}"


def fill_in(template: str, values: dict) -> str:
    return str(template).format_map(_Defaults(values))


def rfm_lead(name: str) -> str:
    """The RFM rule behind a segment name, in score terms (no claims: the numbers follow)."""
    from engine.features.rfm import RULES  # lazy: it imports scipy

    rule = next((r for r in RULES if r.segment.lower() == name.lower()), None)
    if rule is None:
        return "Segment named by the RFM rule baseline."
    r = str(rule.r_min) if rule.r_min == rule.r_max else f"{rule.r_min}-{rule.r_max}"
    fm = f"{rule.fm_min:g}" if rule.fm_min == rule.fm_max else f"{rule.fm_min:g}-{rule.fm_max:g}"
    return (f"Segment of the RFM rule baseline: recency score {r} and combined frequency and monetary score {fm} "
            "on a 1-5 scale.")
