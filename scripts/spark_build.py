"""Entry point for spark-submit: the command line (``python -m engine ...``) as a script.

    spark-submit --master yarn --py-files engine.zip scripts/spark_build.py build DATA... --engine spark --out r.pdf

The session spark-submit creates is reused (engine.spark.session.spark_session).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.cli import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
