"""One SparkSession for every Spark test of a test process: local[2], few shuffle partitions, no UI.

Under ``pytest -n 2`` every test here runs on one worker (the scheduler in tests/conftest.py), so one JVM
starts, not one per worker, and the session's fixtures (the sample read in Spark, the build) are computed once.
"""

from __future__ import annotations

import pytest

SPARK_CONF = {  # the bundled sample is a few thousand customers: two partitions, no adaptive re-planning
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.adaptive.enabled": "false",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.driver.memory": "1g",
}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/spark/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.spark)


@pytest.fixture(scope="session")
def spark():
    from engine.spark.session import spark_session

    session = spark_session("local[2]", SPARK_CONF)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def sample_lines(spark):
    """The bundled sample read, joined and cleaned in Spark (once per test process)."""
    from engine.project import demo_project
    from engine.spark.dataset import load_lines

    return load_lines(spark, demo_project())


@pytest.fixture(scope="session")
def local_sample():
    """The bundled sample loaded on one machine."""
    from engine.analysis.steps import load
    from engine.project import demo_project

    return load(demo_project())
