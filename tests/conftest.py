"""Shared fixtures: the demo analysis is computed once per test process; under xdist, Spark tests on one worker."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def demo_result():
    """The full engine run on the bundled sample with default choices."""
    from engine.analysis.runner import run_project
    from engine.project import demo_project

    return run_project(demo_project())


SPARK_TESTS = "tests/spark/"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Under ``pytest -n N`` (load distribution), every test under tests/spark goes to one worker, first.

    Each worker that runs a Spark test starts its own JVM and recomputes the session's Spark fixtures, so the
    Spark tests form one work unit (the largest, so it is handed out first) and every other test is its own
    unit, spread over the workers as ``--dist load`` does. (``@pytest.mark.xdist_group`` would say the same, but
    pytest-xdist 3.8 renames the grouped tests through ``item._nodeid``, which pytest 9.2 no longer reads, so
    the marks are ignored.) Another ``--dist`` mode asked for explicitly is left alone.
    """
    if config.getvalue("dist") not in ("load", "loadgroup"):
        return None
    from xdist.scheduler import LoadGroupScheduling

    class SparkOnOneWorker(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "spark" if nodeid.startswith(SPARK_TESTS) else super()._split_scope(nodeid)

    return SparkOnOneWorker(config, log)
