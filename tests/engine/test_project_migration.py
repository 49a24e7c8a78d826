"""The project file's ``migration`` block: {model, from, to}, checked whole, absent by default."""

from __future__ import annotations

import json

import pytest

from engine.errors import InputError
from engine.project import MigrationSpec, Project
from engine.project_paths import resolve_paths

GOOD = {"model": "model.json", "from": "2024-03-31", "to": "2024-06-30"}


def test_a_migration_block_round_trips_with_its_json_keys():
    project = Project.from_dict({"migration": GOOD})
    assert project.migration == MigrationSpec("model.json", "2024-03-31", "2024-06-30")
    assert project.to_dict()["migration"] == GOOD
    assert Project.from_json(project.to_json()).migration == project.migration
    project.validate()


def test_without_one_the_project_file_is_as_before():
    project = Project()
    assert project.migration is None
    assert "migration" not in project.to_dict() and "migration" not in project.to_json()
    assert Project.from_dict({"migration": None}).migration is None


def test_it_changes_the_report_fingerprint_only():
    plain, moved = Project(), Project.from_dict({"migration": GOOD})
    for step in ("data", "features", "clustering", "labels"):
        assert plain.fingerprint(step) == moved.fingerprint(step)
    assert plain.fingerprint("report") != moved.fingerprint("report")
    later = Project.from_dict({"migration": {**GOOD, "to": "2024-09-30"}})
    assert later.fingerprint("report") != moved.fingerprint("report")


@pytest.mark.parametrize(("block", "words"), [
    ({**GOOD, "from": "2024-06-30"}, "migration.from (2024-06-30) must be before migration.to (2024-06-30)."),
    ({**GOOD, "from": "2024-07-01"}, "migration.from (2024-07-01) must be before migration.to (2024-06-30)."),
    ({"model": "model.json", "from": "2024-03-31"}, "migration needs the key 'to', e.g. {\"model\": "),
    ({**GOOD, "from": "31/03/2024"}, "migration.from is '31/03/2024', which is not a date; use YYYY-MM-DD"),
    ({**GOOD, "to": None}, "migration.to is None, which is not a date"),
    ({**GOOD, "model": "model.pkl"}, "migration.model is 'model.pkl'; use the path of a model file written by "
                                     "--export-model"),
    ({**GOOD, "model": " .json"}, "migration.model is ' .json'"),
    ({**GOOD, "model": 7}, "migration.model is 7; it should be text."),
    ({**GOOD, "too": "2024-09-30"}, "migration has unknown key 'too'; did you mean 'to'?"),
    ("model.json", "migration should be a JSON object, not text."),
])
def test_a_bad_block_is_one_sentence_naming_the_key(block, words):
    with pytest.raises(InputError) as caught:
        Project.from_dict({"migration": block})
    assert str(caught.value).startswith(words)


def test_every_problem_at_once_and_a_misspelt_section_is_named():
    with pytest.raises(InputError) as caught:
        Project.from_dict({"migration": {"model": 3, "from": "soon", "to": "2024-06-30"}})
    assert caught.value.problems == [
        "migration.model is 3; it should be text.",
        "migration.from is 'soon', which is not a date; use YYYY-MM-DD, e.g. \"2024-12-31\".",
    ]
    with pytest.raises(InputError, match="unknown key 'migraton'; did you mean 'migration'"):
        Project.from_dict({"migraton": GOOD})


def test_an_uploaded_model_is_found_and_a_missing_one_drops_the_section_with_a_note(tmp_path):
    (tmp_path / "model.json").write_text("{}")
    project = Project.from_dict({"migration": {**GOOD, "model": "/elsewhere/model.json"}})
    assert resolve_paths(project, tmp_path) == []
    assert project.migration.model == str((tmp_path / "model.json").resolve())
    project = Project.from_dict({"migration": {**GOOD, "model": "/etc/other.json"}})
    notes = resolve_paths(project, tmp_path)
    assert project.migration is None
    assert notes == ['The model file other.json was not uploaded; the report has no "How segments moved" section.']


def test_a_project_file_with_a_migration_restores_in_the_app(tmp_path):
    from engine.analysis.runner import Analysis

    (tmp_path / "model.json").write_text("{}")
    restored = Analysis.from_project_json(json.dumps({"migration": GOOD}), tmp_path)
    assert restored.project.migration.start == "2024-03-31" and restored.notes == []
