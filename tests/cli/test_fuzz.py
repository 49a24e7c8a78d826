"""Bounded fuzz test of the command line on generated, mutated inputs (fixed seed).

Every case is a small customer export (transactions, customers and products
tables) written as CSV, Excel or Parquet after one to three mutations — odd
column names, bad values, missing columns, duplicated rows and ids, tiny or
empty tables, other delimiters and encodings — or a project file with one
mutated key. Every run must either succeed with consistent accounting, or fail
with one sentence and exit code 2: never exit code 1 (an internal error), never
a traceback.

``inspect`` cases go through ``engine.cli.main`` itself. Build cases run the
engine the way ``build`` does (``run_project`` and the exports) without the PDF
rendering, with the CLI's own error handling (:func:`engine.cli.run_guarded`),
so a few hundred cases take well under a minute.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine import cli

SEED = 20261202
N_FILE_CASES = 200
N_PROJECT_CASES = 60
N_BUILD_CASES = 30
HOSTILE = ["![m](http://127.0.0.1:9/x)", "<b>x</b>", "=1+1", "Ünïcødé name", "a,b", 'q"uote', "", " ", "id"]
BAD_VALUES = ["inf", "-inf", "1e308", "nan", "abc", "", "-5", "0", "1,234.5", "12/31/2024", "2099-01-01", "NULL"]


def _tables(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    n_customers = int(rng.choice([60, 80, 100]))
    ids = [f"C{i:04d}" for i in range(n_customers)]
    n_lines = n_customers * int(rng.integers(2, 5))
    start = pd.Timestamp("2023-01-01")
    tx = pd.DataFrame({
        "customer_id": rng.choice(ids, n_lines),
        "order_id": [f"O{i:05d}" for i in rng.integers(0, n_lines // 2 + 1, n_lines)],
        "order_date": (start + pd.to_timedelta(rng.integers(0, 700, n_lines), unit="D")).strftime("%Y-%m-%d"),
        "quantity": rng.integers(1, 6, n_lines),
        "unit_price": rng.gamma(2.0, 15.0, n_lines).round(2),
        "product_id": [f"P{i:03d}" for i in rng.integers(0, 30, n_lines)],
    })
    customers = pd.DataFrame({
        "customer_id": ids,
        "signup_date": (start - pd.to_timedelta(rng.integers(0, 400, n_customers), unit="D")).strftime("%Y-%m-%d"),
        "region": rng.choice(["North", "South", "East", "West"], n_customers),
    })
    products = pd.DataFrame({"product_id": [f"P{i:03d}" for i in range(30)],
                             "category": rng.choice(["Food", "Home", "Toys"], 30)})
    return {"transactions": tx, "customers": customers, "products": products}


# --- mutations: each changes the tables in place and returns a short name -------------------------

def _rename_odd(t, rng):
    name = str(rng.choice(list(t)))
    col = str(rng.choice(list(t[name].columns)))
    t[name] = t[name].rename(columns={col: str(rng.choice(HOSTILE)) + col[: int(rng.integers(0, 4))]})


def _drop_column(t, rng):
    name = str(rng.choice(list(t)))
    col = str(rng.choice(list(t[name].columns)))
    t[name] = t[name].drop(columns=[col])


def _bad_values(t, rng):
    name = str(rng.choice(list(t)))
    df = t[name].astype(object)
    col = str(rng.choice(list(df.columns)))
    rows = rng.choice(len(df), size=max(1, int(len(df) * rng.choice([0.01, 0.1, 0.5, 1.0]))), replace=False)
    df.loc[df.index[rows], col] = rng.choice(BAD_VALUES, len(rows))
    t[name] = df


def _duplicate_rows(t, rng):
    name = str(rng.choice(list(t)))
    df = t[name]
    if df.empty:
        return
    extra = df.sample(n=max(1, len(df) // 10), random_state=int(rng.integers(1 << 30)))
    t[name] = pd.concat([df, extra], ignore_index=True)


def _tiny(t, rng):
    name = str(rng.choice(list(t)))
    t[name] = t[name].head(int(rng.choice([0, 1, 2, 5, 49])))


def _drop_table(t, rng):
    name = str(rng.choice(["customers", "products", "transactions"]))
    if len(t) > 1:
        del t[name]


def _constant_or_empty_column(t, rng):
    name = str(rng.choice(list(t)))
    col = str(rng.choice(list(t[name].columns)))
    t[name] = t[name].assign(**{col: rng.choice([None, 0, "same"])})


def _date_formats(t, rng):
    if "transactions" not in t or "order_date" not in t["transactions"]:
        return
    tx = t["transactions"]
    dates = pd.to_datetime(tx["order_date"], errors="coerce")
    style = str(rng.choice(["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%y", "mixed", "epoch", "serial", "tz"]))
    if style == "mixed":
        first = dates.dt.strftime("%d/%m/%Y")
        second = dates.dt.strftime("%m/%d/%Y")
        values = np.where(rng.random(len(tx)) < 0.5, first, second)
    elif style == "epoch":
        values = (dates.astype("int64") // 10**9).astype("Int64")
    elif style == "serial":
        values = (dates - pd.Timestamp("1899-12-30")).dt.days
    elif style == "tz":
        values = dates.dt.strftime("%Y-%m-%dT%H:%M:%S+02:00")
    else:
        values = dates.dt.strftime(style)
    t["transactions"] = tx.assign(order_date=values)


def _same_id_column_types(t, rng):
    ids = t["customers"].get("customer_id") if "customers" in t else None
    if ids is not None and ids.map(lambda v: isinstance(v, str) and v[1:].isdigit()).all():
        t["customers"] = t["customers"].assign(customer_id=ids.str[1:].astype(int))


def _hostile_ids(t, rng):
    if "transactions" not in t or "customer_id" not in t["transactions"]:
        return
    tx = t["transactions"].astype({"customer_id": object})
    rows = rng.choice(len(tx), size=max(1, len(tx) // 20), replace=False) if len(tx) else []
    tx.loc[tx.index[rows], "customer_id"] = rng.choice(HOSTILE, len(rows))
    t["transactions"] = tx


MUTATIONS = [_rename_odd, _drop_column, _bad_values, _duplicate_rows, _tiny, _drop_table, _constant_or_empty_column,
             _date_formats, _same_id_column_types, _hostile_ids]


@dataclass
class Case:
    paths: list[str]
    mutations: list[str]
    fmt: str
    project: Path | None = None
    notes: list[str] = field(default_factory=list)


def _write(t: dict[str, pd.DataFrame], folder: Path, rng: np.random.Generator) -> tuple[list[str], str]:
    fmt = str(rng.choice(["csv"] * 4 + ["csv;", "csv-latin1", "parquet", "parquet", "xlsx"]))
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    if fmt == "xlsx" and t:
        path = folder / "export.xlsx"
        with pd.ExcelWriter(path) as writer:
            for name, df in t.items():
                df.to_excel(writer, sheet_name=name[:31], index=False)
        return [str(path)], fmt
    for name, df in t.items():
        if fmt == "parquet":
            path = folder / f"{name}.parquet"
            df.astype({c: str for c in df.columns if df[c].dtype == object}).to_parquet(path, index=False)
        else:
            path = folder / f"{name}.csv"
            sep = ";" if fmt == "csv;" else ","
            encoding = "latin-1" if fmt == "csv-latin1" else "utf-8"
            df.to_csv(path, index=False, sep=sep, encoding=encoding, errors="replace")
        paths.append(str(path))
    return paths, fmt


def _file_case(rng: np.random.Generator, folder: Path) -> Case:
    t = _tables(rng)
    names = []
    for mutation in rng.choice(MUTATIONS, size=int(rng.integers(1, 4)), replace=False):
        mutation(t, rng)
        names.append(mutation.__name__)
    paths, fmt = _write(t, folder, rng)
    return Case(paths, names, fmt)


# --- project-file mutations -------------------------------------------------------------------

FAST_CLUSTERING = {"algorithms": ["kmeans"], "k_range": [2, 4], "stability_resamples": 0, "seed": 7}
WRONG = [None, "10", 2.5, -1, 2**40, [], {}, "", "x" * 300, True, [1], {"a": 1}, "2099-13-45", "../../etc/passwd"]
KEYS = {
    "data": ["unit", "roles", "sheet", "exclude_sheets", "as_of", "returns", "duplicates", "min_units", "paths"],
    "features": ["selected", "scaling", "log"],
    "clustering": ["algorithms", "k_range", "seed", "params", "choice", "stability_resamples", "selection"],
    "report": ["client", "title", "date", "page_size", "accent", "logo", "sections", "projection", "detail"],
    "labels": ["0", "1", "x"],
}


def _project_text(rng: np.random.Generator) -> str:
    kind = rng.random()
    if kind < 0.08:
        return str(rng.choice(["null", "[]", "42", '"text"', "{", '{"data": ', "", "\ufeff{}"]))
    project: dict = {"clustering": dict(FAST_CLUSTERING), "data": {}, "report": {}, "features": {}}
    section = str(rng.choice(list(KEYS)))
    key = str(rng.choice(KEYS[section]))
    value = WRONG[int(rng.integers(len(WRONG)))]
    if kind < 0.15:
        project[section] = value  # a whole section of the wrong type
    elif kind < 0.22:
        project.setdefault(section, {})["unknown_" + key] = 1
    else:
        project.setdefault(section, {})
        if isinstance(project[section], dict):
            project[section][key] = value
    return json.dumps(project)


# --- running ----------------------------------------------------------------------------------

def _inspect(case: Case) -> tuple[int, str, str]:
    argv = ["inspect", *case.paths] + (["--project", str(case.project)] if case.project else [])
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def _build(case: Case, project_file: Path | None) -> tuple[int, str, dict | None, str]:
    """The build path without the PDF: (exit code, stderr, summary, assignments CSV)."""
    from engine.analysis.runner import run_project
    from engine.project import Project
    from engine.report import exports

    made: dict = {}

    def work() -> int:
        project = Project.load(project_file) if project_file else Project()
        if project_file is None:
            project.clustering.algorithms = list(FAST_CLUSTERING["algorithms"])
            project.clustering.k_range = tuple(FAST_CLUSTERING["k_range"])
            project.clustering.stability_resamples = 0
        project.data.paths = list(case.paths)
        result = run_project(project)
        made["summary"] = exports.summary_dict(result)
        made["assignments"] = exports.assignments_csv(result)
        return 0

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.run_guarded(work)
    return code, err.getvalue(), made.get("summary"), made.get("assignments", "")


def _assert_one_sentence(stderr: str, case: Case) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, f"exit 2 without a message: {case}"
    message = lines[-1]
    assert message.startswith("error: "), (message, case)
    assert "Traceback" not in stderr and "Error:" not in message.removeprefix("error: "), (stderr, case)
    assert message.rstrip().endswith((".", ")", "?")), (message, case)


@pytest.fixture(scope="module")
def limited_threads():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # tiny fits: thread start-up would dominate
        yield


def test_fuzzed_inputs_succeed_consistently_or_fail_with_one_sentence(tmp_path, limited_threads):
    rng = np.random.default_rng(SEED)
    outcomes: Counter = Counter()
    internal: list[str] = []

    def record(code: int, stderr: str, case: Case) -> None:
        outcomes["ok" if code == 0 else "clear error" if code == 2 else "internal"] += 1
        if code == 2:
            _assert_one_sentence(stderr, case)
        elif code != 0:
            internal.append(f"{case.mutations} {case.fmt}: {stderr.strip()[-300:]}")

    for i in range(N_FILE_CASES):
        case = _file_case(rng, tmp_path / f"f{i}")
        code, out, err = _inspect(case)
        record(code, err, case)
        if code == 0:
            assert out.strip() and "Traceback" not in out + err, case

    for i in range(N_PROJECT_CASES):
        case = _file_case(np.random.default_rng([SEED, i]), tmp_path / f"p{i}")
        case.project = tmp_path / f"p{i}.json"
        case.project.write_text(_project_text(rng), encoding="utf-8")
        code, _, err = _inspect(case)
        record(code, err, case)

    for i in range(N_BUILD_CASES):
        case = _file_case(rng, tmp_path / f"b{i}")
        if i % 4 == 0:
            case.project = tmp_path / f"b{i}.json"
            case.project.write_text(_project_text(rng), encoding="utf-8")
        code, err, summary, assignments = _build(case, case.project)
        record(code, err, case)
        if code == 0:
            ids = pd.read_csv(io.StringIO(assignments), dtype=str, keep_default_na=False)["id"]
            given = summary["input"]
            assert given["rows"] <= given["rows_read"], case
            assert given["n_units"] == len(ids) == ids.nunique(), (given, len(ids), ids.nunique(), case)
            if given["unit"] == "customer":
                assert given["customers"] == given["n_units"], (given, case)
            assert all(np.isfinite(c["revenue"]) for c in summary["clusters"] if c["revenue"] is not None), case

    print(f"fuzz: {sum(outcomes.values())} cases, {dict(outcomes)}")
    assert not internal, "internal errors:\n" + "\n".join(internal[:20])
    assert outcomes["ok"] >= 40 and outcomes["clear error"] >= 40  # the generator reaches both sides
