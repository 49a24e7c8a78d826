"""The command line: contracts of ``inspect`` and ``build``, and one-line errors on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args], cwd=cwd, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )


def assert_one_line_error(out: subprocess.CompletedProcess, *words: str) -> None:
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("error: ")
    for word in words:
        assert word.lower() in lines[0].lower(), lines[0]


def test_inspect_sample_names_three_tables_and_their_roles():
    out = cli("inspect", str(SAMPLE))
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for table in ("Customers", "Products", "Transactions"):
        assert table in text
    for kind in ("customers", "products", "transactions"):
        assert kind in text
    for role, column in [("customer_id", "CustomerID"), ("date", "TransactionDate"), ("amount", "TotalValue"),
                         ("quantity", "Quantity"), ("product_id", "ProductID"), ("category", "Category"),
                         ("region", "Region"), ("signup_date", "SignupDate")]:
        assert any(role in line and column in line for line in text.splitlines()), (role, column)


def _write(tmp_path: Path, name: str, content: bytes | str) -> Path:
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode())
    return p


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("empty.csv", b"", ["empty.csv", "empty"]),
        ("header.csv", "CustomerID,Date,Amount\n", ["header.csv"]),
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00" + bytes(range(256)) * 4, ["image.csv"]),
        ("notes.txt", "hello", ["notes.txt", ".csv"]),
        ("dup.csv", "CustomerID,Amount,Amount\n1,2,3\n2,3,4\n", ["dup.csv", "Amount"]),
        ("words.csv", "name,city\nAnn,Paris\nBob,Rome\nCy,Oslo\n", ["words.csv", "numeric"]),
    ],
)
def test_inspect_bad_files_give_one_line(tmp_path, name, content, words):
    path = _write(tmp_path, name, content)
    assert_one_line_error(cli("inspect", str(path)), *words)


def test_missing_path_and_empty_folder(tmp_path):
    assert_one_line_error(cli("inspect", str(tmp_path / "nope.csv")), "nope.csv")
    (tmp_path / "empty_dir").mkdir()
    assert_one_line_error(cli("inspect", str(tmp_path / "empty_dir")), "empty_dir")


def test_build_bad_project_and_bad_output(tmp_path):
    bad = _write(tmp_path, "p.json", '{"clustering": {"k_range": [9, 3]}}')
    assert_one_line_error(cli("build", "--demo", "--project", str(bad), "--out", str(tmp_path / "r.pdf")),
                          "k_range")
    assert_one_line_error(cli("build", "--demo", "--out", str(tmp_path / "no_such_dir" / "r.pdf")), "no_such_dir")
    assert_one_line_error(cli("build", "--demo", "--out", str(tmp_path / "r.docx")), ".pdf")
    assert_one_line_error(cli("build", "--out", str(tmp_path / "r.pdf")), "data")


def test_build_unknown_feature_is_one_line(tmp_path):
    p = _write(tmp_path, "p.json", json.dumps({"features": {"selected": ["shoe_size"]}}))
    assert_one_line_error(cli("build", "--demo", "--project", str(p), "--out", str(tmp_path / "r.pdf")),
                          "shoe_size")


@pytest.mark.slow
def test_build_demo_writes_every_export_and_round_trips(tmp_path):
    out = cli("build", "--demo", "--out", str(tmp_path / "demo.pdf"), "--summary", str(tmp_path / "s.json"),
              "--html", str(tmp_path / "r.html"), "--assignments", str(tmp_path / "a.csv"),
              "--profiles", str(tmp_path / "p.csv"), "--export-project", str(tmp_path / "project.json"),
              "--quiet")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "demo.pdf").read_bytes()[:5] == b"%PDF-"
    summary = json.loads((tmp_path / "s.json").read_text())
    for key in ("input", "features", "scaling", "comparison", "chosen", "clusters", "warnings", "timings_s"):
        assert key in summary
    assert summary["input"]["unit"] == "customer"
    assert sum(c["size"] for c in summary["clusters"]) == summary["input"]["customers"]
    assignments = (tmp_path / "a.csv").read_text().splitlines()
    assert assignments[0].split(",")[:3] == ["id", "cluster_id", "cluster_name"]
    assert len(assignments) - 1 == summary["input"]["customers"]

    exported = json.loads((tmp_path / "project.json").read_text())
    assert exported["features"]["selected"] == summary["features"]  # defaults written out
    assert exported["clustering"]["seed"] == 42

    # Rebuild from the exported project file: the same numbers come out.
    again = cli("build", "--project", str(tmp_path / "project.json"), "--out", str(tmp_path / "again.pdf"),
                "--summary", str(tmp_path / "s2.json"), "--quiet")
    assert again.returncode == 0, again.stderr
    summary2 = json.loads((tmp_path / "s2.json").read_text())
    for key in ("input", "features", "scaling", "comparison", "chosen", "clusters"):
        assert summary2[key] == summary[key], key
