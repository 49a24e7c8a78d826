"""Regenerate the bundled sample data: data/sample/*.csv and data/sample_truth.csv.

Run from the repository root::

    python scripts/make_sample_data.py [--customers 3000] [--seed 7] [--end-date 2024-12-31]

The defaults produce the committed files; tests/engine/test_synthetic.py checks that
they still match, so change the generator and the files together.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.synthetic import make_sample, write_sample  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end-date", default="2024-12-31")
    parser.add_argument("--out", type=Path, default=ROOT / "data", help="folder for sample/ and sample_truth.csv")
    args = parser.parse_args(argv)
    sample = make_sample(args.customers, seed=args.seed, end_date=args.end_date)
    for path in write_sample(sample, args.out / "sample", args.out / "sample_truth.csv"):
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
