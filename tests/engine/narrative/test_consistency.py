"""Edits on top of generated labels, and warnings when a label contradicts the numbers."""

from __future__ import annotations

import pytest

from engine.errors import InputError
from engine.narrative import apply_edits, check_consistency, find_claims, generate_labels
from engine.project import LabelSpec
from engine.results import NOISE
from tests.engine.narrative.test_fixtures import build_profile, mall_profile, retail_groups, retail_profile

# retail_profile clusters: 0 champions, 1 bulk, 2 premium, 3 lapsed, 4 new (lowest spend: median 80).


@pytest.fixture(scope="module")
def profile():
    return retail_profile()


@pytest.fixture
def generated(profile):
    return generate_labels(profile)


def _edited(generated, edits):
    labels, notes = apply_edits(generated, edits)
    return labels, notes


def test_high_value_on_the_lowest_spend_cluster_is_flagged_with_its_numbers(profile, generated):
    labels, _ = _edited(generated, {4: LabelSpec(name="High value customers")})
    warnings = check_consistency(labels, profile)
    assert len(warnings) == 1
    w = warnings[0]
    assert (w.cluster, w.claim, w.feature, w.level, w.suppressed) == (4, "high value", "monetary", "very low", False)
    # Population median of monetary: the 50th and 51st of 100 customers are the largest lapsed value
    # (150 x 1.2 = 180) and the smallest premium one (940 x 0.8 = 752): (180 + 752) / 2 = 466. 80 / 466 = 0.17.
    assert w.message == ("'High value' is claimed for cluster 4 (in its name), but its median net revenue is 80 vs "
                         "466 overall (0.17×, very low).")


def test_consistent_edit_gives_no_warning(profile, generated):
    labels, notes = _edited(generated, {0: LabelSpec(name="VIP high-value regulars",
                                                     description="Our most valuable, frequent and recent buyers.")})
    assert labels[0].edited
    assert check_consistency(labels, profile) == []
    assert notes == []


@pytest.mark.parametrize("text", [
    "Not high value", "not a high-value group", "Non-frequent shoppers? No: they are NOT frequent",
    "Customers who are no longer active", "Hardly loyal",
])
def test_negated_claims_are_not_claims(profile, generated, text):
    labels, _ = _edited(generated, {4: LabelSpec(name=text)})
    assert check_consistency(labels, profile) == []


def test_low_value_on_the_highest_spender_is_the_seed_report_mistake(profile, generated):
    labels, _ = _edited(generated, {0: LabelSpec(name="Low Value, Low Price Buyers",
                                                 description="These customers spend the least.")})
    claims = {(w.claim, w.feature) for w in check_consistency(labels, profile)}
    assert ("low value", "monetary") in claims


def test_claims_are_found_in_descriptions_too_and_deduplicated_per_feature(profile, generated):
    labels, _ = _edited(generated, {3: LabelSpec(name="Active buyers", description="Recent, active and engaged.")})
    warnings = check_consistency(labels, profile)
    assert [(w.cluster, w.claim, w.feature, w.level) for w in warnings] == [
        (3, "active", "recency_days", "very high")]
    assert "(in its name)" in warnings[0].message
    assert "median days since the last order is 420 vs 60 overall (7.00×, very high)" in warnings[0].message


def test_direction_of_recency_is_respected(profile, generated):
    labels, _ = _edited(generated, {0: LabelSpec(name="Lapsed"), 3: LabelSpec(name="Dormant ex-customers")})
    warnings = check_consistency(labels, profile)
    assert [(w.cluster, w.claim) for w in warnings] == [(0, "lapsed")]


def test_suppressed_labels_still_report_their_warnings_marked_suppressed(profile, generated):
    labels, _ = _edited(generated, {4: LabelSpec(name="Premium customers", suppress_warnings=True)})
    warnings = check_consistency(labels, profile)
    assert [(w.claim, w.suppressed) for w in warnings] == [("premium customers", True)]
    assert labels[4].suppress_warnings


def test_longest_phrase_wins_and_hyphens_count_as_spaces():
    assert [(m, c.phrase) for m, c in find_claims("Premium customers")] == [("Premium customers", "premium customers")]
    assert [c.phrase for _, c in find_claims("Premium buyers")] == ["premium"]
    assert [c.phrase for _, c in find_claims("HIGH-VALUE one-time buyers")] == ["high value", "one time"]
    assert find_claims("Reactivated, renewed, irregular, newsletter, activeness") == []  # whole words only
    assert [c.phrase for _, c in find_claims("infrequent")] == ["infrequent"]


def test_bulk_claim_is_supported_by_either_quantity_feature():
    groups = [(20, {"total_quantity": 50.0, "monetary": 100.0}), (20, {"total_quantity": 5.0, "monetary": 100.0}),
              (20, {"total_quantity": 6.0, "monetary": 100.0})]
    profile = build_profile(groups)
    labels = generate_labels(profile)
    labels, _ = apply_edits(labels, {0: LabelSpec(name="Bulk buyers"), 1: LabelSpec(name="Bulk buyers too")})
    assert [(w.cluster, w.feature) for w in check_consistency(labels, profile)] == [(1, "total_quantity")]


def test_claims_about_absent_features_are_skipped():
    profile = mall_profile()
    labels, _ = apply_edits(generate_labels(profile), {0: LabelSpec(name="Lapsed VIP bargain hunters")})
    assert check_consistency(labels, profile) == []


def test_apply_edits_replaces_only_given_fields_and_marks_edited(generated):
    labels, notes = apply_edits(generated, {
        1: LabelSpec(strategies=["Call them.", "  ", "Send samples."]),
        2: LabelSpec(name=generated[2].name),  # same text: not an edit
        3: LabelSpec(description="  Gone quiet.  "),
    })
    assert labels[1].strategies == ["Call them.", "Send samples."] and labels[1].edited
    assert labels[1].name == generated[1].name and labels[1].description == generated[1].description
    assert not labels[2].edited
    assert labels[3].description == "Gone quiet." and labels[3].edited
    assert (labels[1].edited_fields, labels[2].edited_fields, labels[3].edited_fields) == (
        ("strategies",), (), ("description",))
    assert notes == []
    assert generated[1].strategies != labels[1].strategies  # the generated labels are not modified
    assert not generated[3].edited


def test_edits_for_clusters_that_no_longer_exist_are_reported(generated):
    labels, notes = apply_edits(generated, {7: LabelSpec(name="VIP"), 0: LabelSpec(name="Stars")})
    assert labels[0].name == "Stars"
    assert 7 not in labels
    assert notes == ["The label edit for cluster 7 ('VIP') was not applied because the chosen model has no "
                     "cluster 7 (it has 0, 1, 2, 3, 4); it stays in the project file."]


def test_blank_names_and_duplicate_names_give_notes(generated):
    labels, notes = apply_edits(generated, {0: LabelSpec(name="   "), 1: LabelSpec(name="Lapsed / hibernating")})
    assert labels[0].name == "Champions" and not labels[0].edited
    assert notes[0].startswith("The edited name of cluster 0 is blank")
    assert notes[1] == ("Clusters 1, 3 share the name 'Lapsed / hibernating'; give each a distinct name so the "
                        "report can tell them apart.")


def test_edits_may_come_as_dicts_with_string_keys_but_bad_keys_are_input_errors(generated):
    labels, _ = apply_edits(generated, {"2": {"name": "Gadget fans"}})
    assert labels[2].name == "Gadget fans"
    with pytest.raises(InputError, match="labels key 'two' is not a cluster id"):
        apply_edits(generated, {"two": {"name": "x"}})
    with pytest.raises(InputError, match="labels.2 has unknown key 'title'"):
        apply_edits(generated, {2: {"title": "x"}})


def test_noise_edit_applies_and_is_listed_as_unassigned():
    profile = build_profile(retail_groups(), noise_group=4)
    generated = generate_labels(profile)
    labels, notes = apply_edits(generated, {NOISE: LabelSpec(name="Outliers"), 9: LabelSpec(name="x")})
    assert labels[NOISE].name == "Outliers"
    assert "(it has 0, 1, 2, 3 and Unassigned)" in notes[0]
