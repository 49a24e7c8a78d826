"""The same analysis on Apache Spark (``compute.engine: "spark"``, ``build --engine spark``).

Nothing here is imported on the default path: the analysis runner imports this
package only when the project asks for Spark, and :func:`engine.spark.session.spark_session`
checks for pyspark and Java before anything touches the JVM, so a missing piece is
one sentence, never a stack trace. The modules follow the pipeline: reading
(:mod:`.reading`: any URI Spark reads, roles from a small sample), cleaning
(:mod:`.cleaning`), customer features (:mod:`.features`: the catalogue's own
definitions run on executors), MLlib clustering and its metrics (:mod:`.clustering`,
:mod:`.metrics`).
"""
