"""The playbook as data: required personas, self-consistent wording, and clear errors for a broken file."""

from __future__ import annotations

import textwrap

import pytest

from engine.errors import InputError
from engine.narrative import LEVELS, find_claims, load_playbook

REQUIRED = {
    "Champions", "Loyal regulars", "Big spenders", "Bulk buyers", "Bargain hunters", "Premium occasional buyers",
    "New customers", "At risk", "Lapsed / hibernating", "Occasional buyers",
}


def test_playbook_has_the_required_personas_with_strategies_and_kpis():
    playbook = load_playbook()
    assert {p.name for p in playbook.personas.values()} >= REQUIRED
    for persona in playbook.personas.values():
        assert 2 <= len(persona.strategies) <= 4, persona.key
        assert persona.kpis, persona.key
        assert persona.rule, persona.key
        for condition in persona.rule + persona.if_present:
            assert set(condition.levels) <= set(LEVELS)


CATALOGUE_LABELS = {  # every catalogue feature, so label claims ("high unit price") are read too
    "recency_days": "Recency", "frequency": "Frequency", "monetary": "Monetary", "total_quantity": "Total quantity",
    "avg_order_value": "Average order value", "avg_unit_price": "Average unit price",
    "avg_items_per_order": "Items per order", "tenure_days": "Tenure", "mean_days_between_orders": "Days between orders",
    "distinct_products": "Distinct products",
}


@pytest.mark.parametrize("key", sorted(load_playbook().personas))
def test_persona_name_and_description_claim_only_what_the_rule_guarantees(key):
    """Every claim word in a persona's name or description must be implied by its rule (registry-wide).

    Level claims need the rule's allowed levels inside the claim's; a claim with
    absolute conditions ("new", "lapsed") needs the persona to carry each of them
    at least as strictly.
    """
    persona = load_playbook().personas[key]
    conditions = {f: set(c.levels) for c in persona.rule + persona.if_present for f in c.features}
    bounds = {c.measure: c for c in persona.absolute}
    for text in (persona.name, persona.description):
        for matched, claim in find_claims(text) + find_claims(text, features=CATALOGUE_LABELS):
            guaranteed = [f for f in claim.features if f in conditions]
            assert guaranteed, f"{key}: {matched!r} claims {claim.features} but the rule does not constrain it"
            assert all(conditions[f] <= set(claim.supported) for f in guaranteed), (
                f"{key}: {matched!r} needs {claim.supported}, the rule allows {[conditions[f] for f in guaranteed]}")
            for needed in claim.absolute:
                own = bounds.get(needed.measure)
                assert own is not None, f"{key}: {matched!r} needs {needed.measure}, the persona does not bound it"
                if needed.maximum is not None:
                    assert own.maximum is not None and own.maximum <= needed.maximum, (key, matched, needed)
                if needed.minimum is not None:
                    assert own.minimum is not None and own.minimum >= needed.minimum, (key, matched, needed)


def test_claims_table_covers_the_issue_vocabulary():
    phrases = {c.phrase: (c.features, c.supported) for c in load_playbook().claims}
    high, low = ("high", "very high"), ("very low", "low")
    for phrase in ("high value", "valuable", "premium customers", "vip", "top spenders", "big spenders"):
        assert phrases[phrase] == (("monetary",), high)
    for phrase in ("low value", "low spend"):
        assert phrases[phrase] == (("monetary",), low)
    for phrase in ("inactive", "lapsed", "dormant", "at risk", "churned"):
        assert phrases[phrase] == (("recency_days",), high)
    assert phrases["recent"] == (("recency_days",), low)
    assert phrases["new"] == (("tenure_days",), low)
    assert phrases["long standing"] == (("tenure_days",), high)
    assert phrases["bulk"] == (("avg_items_per_order", "total_quantity"), high)
    assert phrases["premium"] == (("avg_unit_price",), high)
    assert phrases["bargain"] == (("avg_unit_price",), low)
    assert phrases["frequent"][1] == high and phrases["occasional"][1] == ("very low", "low", "average")


GOOD_TAIL = """
fallback: {description: "x", strategies: [a, b]}
unassigned: {name: Unassigned, description: "x", strategies: [a, b]}
"""


@pytest.mark.parametrize("body, message", [
    ("personas:\n  - {key: a, name: A, rule: {monetary: [hihg]}, description: d, strategies: [x, y]}",
     "Level 'hihg' in persona 'a'"),
    ("personas:\n  - {key: a, name: A, rule: {monetary: [high]}, description: d, strategies: [x]}",
     "has 1 strategies; give 2 to 4"),
    ("personas:\n  - {key: a, name: A, description: d, strategies: [x, y]}", "has no 'rule'"),
    ("personas:\n  - {key: a, name: A, rule: {monetary: [high]}, description: d, strategies: [x, y]}\n"
     "  - {key: a, name: B, rule: {monetary: [low]}, description: d, strategies: [x, y]}", "lists persona 'a' twice"),
    ("personas:\n  - {key: a, name: A, rule: {monetary: [high]}, description: d, strategies: [x, y], "
     "priority: high}", "priority 'high'"),
    ("claims:\n  - {features: [monetary], supported: [great], phrases: [vip]}", "Level 'great' in claim 'vip'"),
    ("personas:\n  - {key: a, name: A, rule: {monetary: [high]}, description: d, strategies: [x, y], "
     "absolute: {tenure_share: {max: 0.25}}}", "Measure 'tenure_share' in persona 'a'"),
    ("personas:\n  - {key: a, name: A, rule: {monetary: [high]}, description: d, strategies: [x, y], "
     "absolute: {tenure_days_share_of_window: {below: 0.25}}}", "needs bounds like {max: 0.25}"),
    ("claims:\n  - {features: [tenure_days], supported: [low], phrases: [new], "
     "absolute: {tenure_days_share_of_window: {max: quarter}}}", "has max 'quarter'; use a number"),
    ("rfm_personas: {Champions: heroes}", "maps RFM segment 'Champions' to persona 'heroes'"),
    ("personas: [\n", "cannot be read (ParserError at line"),
])
def test_broken_playbook_files_name_the_entry_and_the_problem(tmp_path, body, message):
    path = tmp_path / "playbook.yaml"
    path.write_text(textwrap.dedent(body) + ("" if "[\n" in body else GOOD_TAIL), encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_playbook(path)


def test_extra_persona_in_a_custom_playbook_is_loaded(tmp_path):
    path = tmp_path / "playbook.yaml"
    path.write_text(
        "personas:\n  - {key: gift, name: Gift buyers, priority: 3, rule: {share_Gifts: [very high]}, "
        "description: 'Buy mostly gifts.', strategies: [a, b], kpis: [k]}\n" + GOOD_TAIL, encoding="utf-8")
    playbook = load_playbook(path)
    assert playbook.personas["gift"].rule[0].features == ("share_Gifts",)
    assert playbook.personas["gift"].priority == 3
