"""Spark mode's bad input: one sentence each, never a JVM stack trace."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def test_missing_pyspark_says_how_to_install_it(monkeypatch):
    import importlib.util

    from engine.spark import session

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a))
    with pytest.raises(InputError, match=r"needs pyspark 4, which is not installed; install it with "
                                         r"`pip install -r requirements-spark.txt`"):
        session.require_pyspark()


def test_missing_java_is_one_sentence(monkeypatch, tmp_path):
    from engine.spark.session import require_java

    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(InputError, match=r"needs Java 17 or newer and JAVA_HOME is .* which has no bin/java"):
        require_java("local[2]")
    require_java("spark://head:7077")  # a remote master brings its own Java


def test_an_old_java_is_refused(monkeypatch, tmp_path):
    from engine.spark import session

    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "java").write_text("")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    monkeypatch.setattr(session, "java_version", lambda java: 8)
    with pytest.raises(InputError, match="needs Java 17 or newer, but .* is Java 8"):
        session.require_java("local[*]")


def test_the_command_line_without_java_prints_one_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "JAVA_HOME": str(tmp_path / "nojava"), "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "engine", "build", "--demo", "--engine", "spark", "--spark-master",
                          "local[2]", "--out", str(tmp_path / "r.pdf"), "--quiet"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "needs Java 17 or newer" in out.stderr
    assert not (tmp_path / "r.pdf").exists()


def test_spark_master_without_spark_engine_is_refused(tmp_path):
    from engine.cli import main

    assert main(["build", "--demo", "--engine", "local", "--spark-master", "local[2]",
                 "--out", str(tmp_path / "r.pdf")]) == 2


def test_an_unreadable_path_is_one_sentence(spark, tmp_path):
    from engine.spark.reading import read_tables

    with pytest.raises(InputError, match=r"Spark cannot find .*no/such/folder; check the path"):
        read_tables(spark, [str(tmp_path / "no" / "such" / "folder")])
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match="is not a CSV or Parquet file"):
        read_tables(spark, [str(tmp_path / "notes.txt")])
    with pytest.raises(InputError, match="holds no CSV or Parquet file"):
        read_tables(spark, [str(tmp_path)])


def test_a_local_master_gets_shuffle_partitions_by_its_cores_and_a_cluster_its_own():
    import os

    from engine.spark.session import PARTITIONS_PER_CORE, local_conf

    assert local_conf("local[2]") == {"spark.sql.shuffle.partitions": str(2 * PARTITIONS_PER_CORE)}
    assert local_conf("local") == {"spark.sql.shuffle.partitions": str(max(2, PARTITIONS_PER_CORE))}
    assert local_conf("local[*]") == {"spark.sql.shuffle.partitions": str(PARTITIONS_PER_CORE * os.cpu_count())}
    assert local_conf("spark://head:7077") == {} and local_conf("yarn") == {}


class _JavaThrowable:
    """Stands in for a py4j JavaObject of a Java exception: class name, message, cause."""

    def __init__(self, name, message, cause=None):
        self._name, self._message, self._cause = name, message, cause

    def getClass(self):  # noqa: N802 - the Java method names
        name = self._name
        return type("Class", (), {"getName": lambda _self: name})()

    def getMessage(self):  # noqa: N802
        return self._message

    def getCause(self):  # noqa: N802
        return self._cause


class _Failed(Exception):
    def __init__(self, java_exception):
        super().__init__("An error occurred while calling o10353.getResult.\n\tat org.apache.spark...")
        self.java_exception = java_exception


def test_a_failed_spark_job_is_one_sentence_naming_the_stage_and_its_root_cause():
    from engine.spark.session import java_failure

    heap = _Failed(_JavaThrowable("org.apache.spark.SparkException", "Job aborted",
                                  _JavaThrowable("java.lang.OutOfMemoryError", "Java heap space")))
    sentence = java_failure(heap, "profiling the segments in Spark")
    assert sentence.startswith("Spark ran out of memory while profiling the segments in Spark; give it more")
    assert "spark.driver.memory" in sentence and "\n" not in sentence
    other = _Failed(_JavaThrowable("org.apache.spark.SparkException", "Job aborted",
                                   _JavaThrowable("java.io.IOException", "No space left on device")))
    assert java_failure(other, "loading data in Spark") == (
        "Spark failed while loading data in Spark (java.io.IOException: No space left on device).")
