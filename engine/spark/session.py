"""One SparkSession for the build, and the translation of Spark's failures into one sentence each.

pyspark is optional (``requirements-spark.txt``) and needs Java 17 or newer; both are
checked before a JVM starts, so the analyst reads what to install, not a gateway trace.
Spark's own errors while reading (a path that does not exist, a file it cannot parse)
become :class:`~engine.errors.InputError` in :func:`spark_errors`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import InputError

MIN_JAVA = 17
INSTALL_PYSPARK = "pip install -r requirements-spark.txt"
DEFAULT_CONF = {
    "spark.sql.session.timeZone": "UTC",  # day numbers and dates read the same as on one machine
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


@dataclass
class SparkInfo:
    """Where the build ran, for the methodology: master URL, executors, Spark version."""

    master: str
    executors: int
    version: str
    conf: dict[str, str] = field(default_factory=dict)

    def sentence(self) -> str:
        who = "1 executor" if self.executors == 1 else f"{self.executors} executors"
        return (f"The data, features, clustering and profiles were computed on Apache Spark {self.version} "
                f"(master {self.master}, {who}); only a stratified sample of at most a few thousand customers "
                "was brought to one machine, for the 2-D views and charts.")


def require_pyspark() -> None:
    """pyspark importable, else one sentence saying how to install it."""
    if importlib.util.find_spec("pyspark") is None:
        raise InputError(f"Spark mode needs pyspark 4, which is not installed; install it with `{INSTALL_PYSPARK}` "
                         "or build without --engine spark.")


def java_version(java: str) -> int | None:
    """The major version of the ``java`` executable (None when it cannot be told)."""
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major  # "1.8.0" is Java 8


def require_java(master: str) -> None:
    """A Java 17+ on this machine when Spark runs here (a local master); remote masters bring their own."""
    if not master.startswith("local"):
        return
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.path.exists(java):
        where = f"JAVA_HOME is {home}, which has no bin/java" if home else "no java is on the PATH"
        raise InputError(f"Spark mode needs Java {MIN_JAVA} or newer and {where}; install one (Debian: "
                         "apt-get install default-jre-headless) or build without --engine spark.")
    version = java_version(java)
    if version is not None and version < MIN_JAVA:
        raise InputError(f"Spark mode needs Java {MIN_JAVA} or newer, but {java} is Java {version}; install a newer "
                         "one (Debian: default-jre-headless) or point JAVA_HOME at it.")


def spark_session(master: str = "local[*]", conf: dict | None = None):
    """The active SparkSession (reused when one runs, as on Databricks or under spark-submit), else a new one."""
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:  # Databricks, spark-submit: the session the platform made
        ship_engine(active)
        return active
    require_java(master)
    if master.startswith("local"):  # the Python workers run this interpreter (its packages), not the PATH's python3
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName("customer-segmentation")
    builder = builder.config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{_quiet_logging()}")
    for key, value in {**DEFAULT_CONF, **local_conf(master), **{str(k): str(v) for k, v in (conf or {}).items()}}.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: say so in one sentence
        raise InputError(f"Spark could not start with master {master!r} ({_first_line(exc)}); check "
                         "compute.spark_master and that Java 17+ is installed.") from None
    spark.sparkContext.setLogLevel("ERROR")
    ship_engine(spark)
    return spark


PARTITIONS_PER_CORE = 4


def local_conf(master: str) -> dict[str, str]:
    """Settings for a local master: shuffle partitions by the cores used, not Spark's 200 (meant for clusters).

    Spark keeps a cached DataFrame in as many partitions as the shuffle that made it, and every MLlib iteration
    then runs a task per partition: on one machine 200 small tasks per job cost more than the work (the bundled
    sample's build: 3 minutes with 200, 43 s with 2). ``compute.spark_conf`` still overrides it.
    """
    match = re.fullmatch(r"local(?:\[(\d+|\*)(?:,\s*\d+)?\])?", master.strip())
    if not match:
        return {}
    threads = match.group(1)
    cores = 1 if threads is None else (os.cpu_count() or 1) if threads == "*" else int(threads)
    return {"spark.sql.shuffle.partitions": str(max(2, PARTITIONS_PER_CORE * cores))}


def ship_engine(spark) -> None:
    """The ``engine`` package, zipped, to every executor: the features and typing run the engine's own code there."""
    import engine

    if getattr(spark, "_segmentation_engine_shipped", False):
        return
    root = Path(engine.__file__).resolve().parent
    folder = Path(tempfile.mkdtemp(prefix="segmentation-engine-"))
    archive = folder / "engine.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*.py")):
            zf.write(path, Path("engine") / path.relative_to(root))
    spark.sparkContext.addPyFile(str(archive))
    spark._segmentation_engine_shipped = True


def _quiet_logging() -> Path:
    """A log4j2 configuration printing only fatal errors: the analyst's terminal gets our lines, not the JVM's
    (a failed task's Java stack trace included: the build says what failed in one sentence). With
    SEGMENTATION_DEBUG=1 Spark's errors are printed too."""
    level = "error" if os.environ.get("SEGMENTATION_DEBUG") else "fatal"
    path = Path(tempfile.gettempdir()) / f"segmentation-spark-log4j2-{level}.properties"
    if not path.exists():
        path.write_text(f"rootLogger.level = {level}\nrootLogger.appenderRef.stderr.ref = console\n"
                        "appender.console.type = Console\nappender.console.name = console\n"
                        "appender.console.target = SYSTEM_ERR\nappender.console.layout.type = PatternLayout\n"
                        "appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n\n")
    return path


def session_info(spark) -> SparkInfo:
    """Master, executor count (the driver alone in local mode counts as one) and version of a running session."""
    sc = spark.sparkContext
    master = sc.master
    try:
        executors = max(len(sc._jsc.sc().getExecutorMemoryStatus()) - (0 if master.startswith("local") else 1), 1)
    except Exception:  # pragma: no cover - a cluster manager without the status call (Spark Connect)
        executors = 1
    if master.startswith("local"):
        cores = re.search(r"local\[(\d+|\*)\]", master)
        executors = 1 if not cores else executors
    return SparkInfo(master=master, executors=executors, version=spark.version,
                     conf={k: v for k, v in DEFAULT_CONF.items()})


def java_failure(exc: Exception, during: str) -> str:
    """One sentence for a Spark job that failed ``during`` a stage (the Java exception's deepest cause named);
    running out of memory gets the settings that give Spark more."""
    names, cause = [], getattr(exc, "java_exception", None)
    while cause is not None and len(names) < 20:
        try:
            names.append(f"{cause.getClass().getName()}: {cause.getMessage() or ''}".strip().rstrip(":"))
            cause = cause.getCause()
        except Exception:  # noqa: BLE001 - the JVM may be gone
            break
    text = " ".join([*names, str(exc)])
    root = names[-1] if names else _condition(str(exc))
    if "OutOfMemoryError" in text or "Java heap space" in text:
        return (f"Spark ran out of memory while {during}; give it more (compute.spark_conf: spark.driver.memory "
                "in local mode, spark.executor.memory on a cluster) or run on a cluster with more executors.")
    return f"Spark failed while {during} ({' '.join(root.split())[:200]})."


def _first_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:160] + ("..." if len(text) > 160 else "")


@contextlib.contextmanager
def spark_errors(what: str):
    """Spark's reading errors as one sentence about ``what`` (e.g. the path being read)."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import AnalysisException, PySparkException

    try:
        yield
    except AnalysisException as exc:
        text = str(exc)
        if "PATH_NOT_FOUND" in text or "Path does not exist" in text:
            raise InputError(f"Spark cannot find {what}; check the path (it may be any URI Spark reads, "
                             "e.g. s3a://, abfss://, hdfs://, dbfs:/).") from None
        if "UNABLE_TO_INFER_SCHEMA" in text or "EMPTY" in text.upper():
            raise InputError(f"Spark read no data from {what}; check that it holds CSV or Parquet files.") from None
        raise InputError(f"Spark cannot read {what} ({_condition(text)}).") from None
    except (Py4JJavaError, PySparkException) as exc:
        raise InputError(f"Spark failed while reading {what} ({_condition(str(exc))}).") from None


def _condition(text: str) -> str:
    """The error class of a Spark message ("[PATH_NOT_FOUND] ..."), else its first line, shortened."""
    match = re.search(r"\[([A-Z_]+(?:\.[A-Z_]+)?)\]", text)
    first = text.strip().splitlines()[0] if text.strip() else "no detail"
    return match.group(1) if match else first[:160]
