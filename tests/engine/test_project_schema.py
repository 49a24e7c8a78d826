"""The project file is checked whole against its schema: one sentence per problem, every problem at once."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from engine.errors import InputError
from engine.project import SCHEMA, ClusteringSpec, DataSpec, FeatureSpec, LabelSpec, Project, ReportSpec


def problems_of(raw) -> list[str]:
    with pytest.raises(InputError) as info:
        Project.from_dict(raw)
    error = info.value
    assert "\n" not in str(error)
    return list(getattr(error, "problems", [str(error)]))


@pytest.mark.parametrize("value", ["10", 2.5, -1, 201, True, None, [10]])
def test_stability_resamples_must_be_a_whole_number_from_0_to_200(value):
    [problem] = problems_of({"clustering": {"stability_resamples": value}})
    assert problem.startswith(f"clustering.stability_resamples is {value!r}")
    assert problem.endswith("use a whole number from 0 to 200.")


@pytest.mark.parametrize("value", [2**40, 2**32, 2**31, -1, "42", 4.0])
def test_seed_outside_what_every_random_generator_takes_is_refused(value):
    [problem] = problems_of({"clustering": {"seed": value}})
    text = " (text)" if isinstance(value, str) else ""  # "42" in quotes is text in JSON, not a number
    assert problem == f"clustering.seed is {value!r}{text}; use a whole number from 0 to 2,147,483,647."


def test_the_largest_seed_runs_every_seeded_step():
    """2**31 - 1 plus the resample offsets still fits numpy's and scikit-learn's 0..2**32-1."""
    import numpy as np

    from engine.clustering.stability import stability

    seed = Project.from_dict({"clustering": {"seed": 2**31 - 1}}).clustering.seed
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 0.3, size=(40, 2)), rng.normal(5, 0.3, size=(40, 2))])
    labels = np.repeat([0, 1], 40)
    result = stability(X, "kmeans", 2, seed, {}, labels, n_resamples=3)
    assert result.ari_mean > 0.95  # a refit whose seed overflowed would count as reproducing nothing


@pytest.mark.parametrize("value", [[2], [3, 2], [1, 5], [2, 31], [2, 2.5], ["2", "5"], "2-10", None])
def test_k_range_is_two_whole_numbers_in_order(value):
    [problem] = problems_of({"clustering": {"k_range": value}})
    assert problem.startswith("clustering.k_range is ")
    assert problem.endswith("2 <= low <= high <= 30.")


def test_every_problem_is_listed_at_once_in_reading_order():
    raw = {
        "clustering": {"stability_resamples": "10", "seed": 2**40, "algorithms": ["kmeans", "kmean"]},
        "data": {"max_rows": 0, "as_of": "2024-13-01", "unit": "household"},
        "report": {"accent": "red", "date": "31/12/2024", "detail": "Client"},
        "labels": {"0": {"suppress_warnings": "yes"}},
    }
    found = problems_of(raw)
    assert [p.split(" ")[0] for p in found] == [
        "clustering.stability_resamples", "clustering.seed", "clustering.algorithms",
        "data.max_rows", "data.as_of", "data.unit",
        "report.accent", "report.date", "report.detail", "labels.0.suppress_warnings",
    ]
    with pytest.raises(InputError) as info:
        Project.from_dict(raw)
    message = str(info.value)
    assert message.startswith("The project file has 10 problems: clustering.stability_resamples is '10'")
    assert all(p in message for p in found)
    assert "did you mean" not in found[2] and "'kmean'; allowed values are kmeans," in found[2]


@pytest.mark.parametrize("raw, sentence", [
    ({"clustering": {"stability_resample": 10}}, "clustering has unknown key 'stability_resample'; did you mean "
                                                 "'stability_resamples'?"),
    ({"stability": {"resamples": 10}}, "The project file has unknown key 'stability'; did you mean "
                                       "'clustering.stability_resamples'?"),
    ({"reports": {}}, "The project file has unknown key 'reports'; did you mean 'report'?"),
    ({"data": {"maxrows": 10}}, "data has unknown key 'maxrows'; did you mean 'max_rows'?"),
    ({"labels": {"1": {"nam": "Loyal"}}}, "labels.1 has unknown key 'nam'; did you mean 'name'?"),
    ({"colour": "red"}, "The project file has unknown key 'colour'; allowed keys are clustering, compute, data, "
                        "features, labels, migration, report."),
])
def test_an_unknown_key_names_the_nearest_known_key(raw, sentence):
    assert problems_of(raw) == [sentence]


@pytest.mark.parametrize("raw, sentence", [
    ({"labels": {"0": {"suppress_warnings": 1}}}, "labels.0.suppress_warnings is 1; use true or false."),
    ({"data": {"as_of": 20240101}}, "data.as_of is 20240101, which is not a date; use YYYY-MM-DD, e.g. \"2024-12-31\"."),
    ({"report": {"date": "2024-02-30"}}, "report.date is '2024-02-30', which is not a date; use YYYY-MM-DD, "
                                         "e.g. \"2024-12-31\"."),
    ({"report": {"title": 7}}, "report.title is 7; it should be text."),
    ({"report": {"sections": ["summary_of_everything"]}}, "report.sections entry is 'summary_of_everything'; "
                                                          "allowed values are cover, "),
    ({"clustering": {"algorithms": []}}, "clustering.algorithms is empty; name at least 1, e.g. [\"kmeans\", \"gmm\"]."),
    ({"clustering": {"params": {"kmeans": {"n_init": "x"}}}}, "clustering.params.kmeans: The 'n_init' parameter"),
    ({"clustering": {"params": {"kmeanz": {}}}}, "clustering.params key is 'kmeanz'; allowed values are kmeans, "),
    ({"clustering": {"choice": {"k": 3}}}, "clustering.choice needs the key 'algorithm', e.g. "
                                           "{\"algorithm\": \"kmeans\", \"k\": 4}."),
    ({"clustering": {"choice": {"algorithm": "gmm", "k": 2.0}}}, "clustering.choice.k is 2.0; use a whole number "
                                                                 "from 2 to 1,000."),
    ({"clustering": {"selection": {"max_share": 2}}}, "clustering.selection.max_share is 2; use a number from 0 to 1."),
    ({"data": {"roles": {"date": 3}}}, "data.roles.date is 3; it should be text."),
    ({"data": {"max_columns": 1}}, "data.max_columns is 1; use a whole number from 2 to 5,000."),
    ({"data": {"max_workbook_mb": 0.5}}, "data.max_workbook_mb is 0.5; use a whole number from 1 to 100,000."),
])
def test_each_kind_of_value_gets_its_own_sentence(raw, sentence):
    [problem] = problems_of(raw)
    assert problem.startswith(sentence)


SECTIONS = {"data": DataSpec, "features": FeatureSpec, "clustering": ClusteringSpec, "report": ReportSpec}


def test_every_key_of_every_section_is_checked():
    """A value no key accepts (a list holding a list), in every key at once: one sentence per key, naming it."""
    bad = [[1]]
    raw = {section: {f.name: bad for f in fields(cls)} for section, cls in SECTIONS.items()}
    raw["labels"] = {"0": {f.name: bad for f in fields(LabelSpec)}}
    found = problems_of(raw)
    keys = [f"{s}.{f.name}" for s, cls in SECTIONS.items() for f in fields(cls)]
    keys += [f"labels.0.{f.name}" for f in fields(LabelSpec)]
    assert len(found) == len(keys)
    for key, problem in zip(keys, found, strict=True):
        assert problem.startswith((key + " ", key + ":")), (key, problem)


def test_a_new_field_without_a_rule_is_checked_by_its_type():
    listed = {name for name in SCHEMA.rules["report"].rules}
    by_type = [f.name for f in fields(ReportSpec) if f.name not in listed]
    assert "client" in by_type and "logo" in by_type  # text fields are not in the table ...
    assert problems_of({"report": {"client": 1, "logo": False}}) == [  # ... and still checked
        "report.client is 1; it should be text.", "report.logo is False; it should be text."]


def test_good_values_and_the_defaults_round_trip():
    raw = {"data": {"max_rows": 1000, "max_workbook_mb": 5, "max_columns": 50, "as_of": "2024-06-30"},
           "clustering": {"seed": 2**31 - 1, "stability_resamples": 0, "k_range": [3, 3], "choice": None},
           "report": {"date": "2024-07-01", "accent": "#ABC", "sections": None},
           "labels": {"-1": {"name": "Noise", "suppress_warnings": True}}}
    project = Project.from_dict(raw)
    assert project.data.max_rows == 1000 and project.clustering.k_range == (3, 3)
    again = Project.from_json(project.to_json())
    assert again.to_dict() == project.to_dict()
    defaults = Project.from_dict({})
    assert (defaults.data.max_rows, defaults.data.max_workbook_mb, defaults.data.max_columns) == (20_000_000, 200, 200)
    assert Project.from_json(json.dumps(defaults.to_dict())).to_dict() == defaults.to_dict()


def test_validate_checks_values_set_in_code():
    project = Project()
    project.clustering.stability_resamples = "10"
    project.data.max_rows = -5
    with pytest.raises(InputError) as info:
        project.validate()
    assert info.value.problems == [
        "data.max_rows is -5; use a whole number from 1 to 1,000,000,000.",
        "clustering.stability_resamples is '10' (text); use a whole number from 0 to 200.",
    ]


@pytest.mark.parametrize(("raw", "sentence"), [
    ({"compute": {"engine": "dask"}}, "compute.engine is 'dask'; allowed values are local, spark."),
    ({"compute": {"spark_master": "local [2]"}},
     "compute.spark_master is 'local [2]'; use a Spark master URL such as \"local[*]\"."),
    ({"compute": {"spark_conf": {"executor.memory": "4g"}}},
     "compute.spark_conf key is 'executor.memory'; use a Spark setting such as \"spark.executor.memory\"."),
    ({"compute": {"spark_conf": {"spark.executor.memory": 4}}}, "compute.spark_conf.spark.executor.memory is 4; "
     "it should be text."),
])
def test_compute_section_bad_values_get_one_sentence_each(raw, sentence):
    with pytest.raises(InputError) as caught:
        Project.from_dict(raw)
    assert str(caught.value) == sentence


def test_compute_defaults_to_this_machine_and_round_trips_spark():
    assert (Project().compute.engine, Project().compute.spark_master) == ("local", "local[*]")
    raw = {"compute": {"engine": "spark", "spark_master": "spark://head:7077",
                       "spark_conf": {"spark.executor.memory": "8g"}}}
    again = Project.from_json(Project.from_dict(raw).to_json())
    assert again.compute.engine == "spark" and again.compute.spark_master == "spark://head:7077"
    assert again.compute.spark_conf == {"spark.executor.memory": "8g"}
