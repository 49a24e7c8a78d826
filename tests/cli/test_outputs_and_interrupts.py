"""Issue 13, items 4, 9 and 10: outputs never clobber inputs or each other, Ctrl-C and closed pipes are quiet,
and small bad inputs (a null project, a folder or URL as logo, a two-row Excel header) get one sentence."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.errors import InputError
from engine.project import Project
from engine.project_paths import check_outputs, input_files, write_output
from tests.cli.test_cli import ROOT, assert_one_line_error, cli

ENV = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}


def _orders(folder: Path) -> Path:
    """A small transactions CSV: 60 customers, 240 lines."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["customer_id,order_id,date,amount"]
    lines += [f"C{i % 60:03d},O{i:04d},2024-{1 + i % 12:02d}-{1 + i % 28:02d},{5 + (i * 37) % 200}.50"
              for i in range(240)]
    path = folder / "orders.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


# ---- item 4: outputs ------------------------------------------------------------------------------------------

def test_build_refuses_outputs_that_are_inputs_or_each_other_before_any_work(tmp_path):
    data = _orders(tmp_path / "in")
    before = data.read_bytes()
    (tmp_path / "link.csv").symlink_to(data)
    os.link(data, tmp_path / "hard.csv")
    (tmp_path / "notes.txt").write_text("notes")
    out = str(tmp_path / "r.pdf")
    cases = [
        (["--assignments", str(data)], ["--assignments", "orders.csv", "data file"]),
        (["--summary", str(tmp_path / "link.csv")], ["--summary", "orders.csv"]),
        (["--profiles", str(tmp_path / "hard.csv")], ["--profiles", "orders.csv"]),
        (["--html", out], ["--out", "--html", "same file"]),
        (["--summary", str(tmp_path / "s.json"), "--export-project", str(tmp_path / "s.json")],
         ["--summary", "--export-project"]),
        (["--summary", str(tmp_path / "in")], ["--summary", "existing folder"]),
        (["--html", str(data / "r.html")], ["--html", "which is a file"]),
        (["--profiles", "/proc/p.csv"], ["--profiles", "/proc"]),
        (["--charts", str(data)], ["--charts", "data file"]),
        (["--charts", str(tmp_path / "notes.txt")], ["--charts", "not a folder"]),
    ]
    for extra, words in cases:
        # --progress: a refusal before the analysis prints no progress line, only the sentence
        assert_one_line_error(cli("build", str(tmp_path / "in"), "--progress", "--out", out, *extra), *words)
    assert data.read_bytes() == before
    assert not (tmp_path / "r.pdf").exists() and not (tmp_path / "s.json").exists()


def test_check_outputs_names_each_problem(tmp_path):
    data = _orders(tmp_path / "in")
    project_file = tmp_path / "p.json"
    project_file.write_text("{}")
    inputs = [("the data file", f) for f in input_files([tmp_path / "in", tmp_path / "missing.csv"])]
    assert inputs == [("the data file", data)]
    inputs.append(("the project file", project_file))
    check_outputs({"--out": tmp_path / "r.pdf", "--html": None, "--summary": tmp_path / "new.json"}, inputs,
                  {"--charts": tmp_path / "charts"})  # all fine: no error
    with pytest.raises(InputError, match="--export-project .* is the project file"):
        check_outputs({"--export-project": project_file}, inputs)
    with pytest.raises(InputError, match="The folder .*nowhere for --out does not exist"):
        check_outputs({"--out": tmp_path / "nowhere" / "r.pdf"}, inputs)
    with pytest.raises(InputError, match="inside .*orders.csv, which is a file"):
        check_outputs({"--out": data / "deeper" / "r.pdf"}, inputs)
    with pytest.raises(InputError, match="not a regular file"):
        check_outputs({"--summary": "/dev/null"}, inputs)
    with pytest.raises(InputError, match="--out and --charts name the same file"):
        check_outputs({"--out": tmp_path / "x"}, inputs, {"--charts": tmp_path / "x"})
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            with pytest.raises(InputError, match="does not accept new files"):
                check_outputs({"--out": locked / "r.pdf"}, inputs)
        finally:
            locked.chmod(0o700)


def test_write_output_replaces_whole_files_and_keeps_the_old_one_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "summary.json"
    target.write_text("old")
    target.chmod(0o640)
    write_output(target, "new ünïcode")
    assert target.read_text(encoding="utf-8") == "new ünïcode"
    assert target.stat().st_mode & 0o777 == 0o640  # the old file's permissions are kept
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_output(link, b"through the link")
    assert link.is_symlink() and target.read_bytes() == b"through the link"

    def full_disk(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(InputError, match="summary.json could not be written .*No space left"):
        write_output(target, "half")
    assert target.read_bytes() == b"through the link"  # the old file survives
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "summary.json"]  # no partial file left


# ---- item 9: Ctrl-C to the process group ----------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_ctrl_c_to_the_process_group_is_one_line_and_exit_130(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "build", "--demo", "--progress", "--out", str(tmp_path / "r.pdf")],
        cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        first = proc.stderr.readline()  # the render workers start before the analysis prints its first line
        assert "Loading data" in first, first
        workers = _children(proc.pid)
        assert len(workers) >= 1
        time.sleep(1.5)  # the workers are busy warming up (importing WeasyPrint, starting vl-convert)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert err.strip().splitlines()[-1] == "error: interrupted."
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.1)
    assert not any(Path(f"/proc/{w}").exists() for w in workers), "a render worker outlived the build"
    assert list(tmp_path.iterdir()) == []  # no report, no partial file


# ---- item 10: small things ------------------------------------------------------------------------------------

def test_inspect_piped_into_a_closed_reader_stops_quietly(tmp_path):
    data = _orders(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "engine", "inspect", str(data)], cwd=ROOT, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # like `| head -1` having exited before the report is printed
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert err == ""
    assert proc.returncode == 141  # 128 + SIGPIPE, as a shell reports a command stopped by a closed pipe


@pytest.mark.parametrize("text, word", [("null", "null"), ("[]", "a list"), ("[{\"data\": {}}]", "a list"),
                                        ("0", "a number"), ("\"x\"", "a string"), ("false", "true/false")])
def test_a_project_file_that_is_not_an_object_is_refused(tmp_path, text, word):
    path = tmp_path / "p.json"
    path.write_text(text)
    with pytest.raises(InputError, match=f"holds {word}, not a JSON object"):
        Project.load(path)
    assert Project.load(_write_json(tmp_path / "ok.json", {})).data.unit == "customer"  # {} is the empty project


def _write_json(path: Path, value) -> Path:
    path.write_text(json.dumps(value))
    return path


def test_cli_refuses_a_null_project_and_a_bad_logo_before_any_work(tmp_path):
    out = str(tmp_path / "r.pdf")
    null = tmp_path / "null.json"
    null.write_text("null\n")
    assert_one_line_error(cli("build", "--demo", "--progress", "--project", str(null), "--out", out), "null")
    folder = _write_json(tmp_path / "folder.json", {"report": {"logo": str(tmp_path)}})
    assert_one_line_error(cli("build", "--demo", "--progress", "--project", str(folder), "--out", out),
                          "is a folder", str(tmp_path))
    url = _write_json(tmp_path / "url.json", {"report": {"logo": "http://127.0.0.1:9/logo.png"}})
    assert_one_line_error(cli("build", "--demo", "--progress", "--project", str(url), "--out", out),
                          "http://127.0.0.1:9/logo.png", "local")
    assert not Path(out).exists()


def test_logo_messages(tmp_path):
    from engine.report.assets import logo_data_uri

    with pytest.raises(InputError, match="is a folder, not an image file"):
        logo_data_uri(tmp_path)
    for url in ("https://example.com/logo.png", "file:///etc/passwd", "data:image/png;base64,AAAA"):
        with pytest.raises(InputError, match="must be local") as caught:
            logo_data_uri(url)
        assert url in str(caught.value)
    with pytest.raises(InputError, match="does not exist"):
        logo_data_uri(tmp_path / "nope.png")


def _workbook(path: Path, header_rows: list[list], n: int = 80) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Orders"
    for row in header_rows:
        sheet.append(row)
    for i in range(n):
        sheet.append([f"C{i % 30:03d}", ["North", "South"][i % 2], f"O{i:04d}", f"2024-03-{1 + i % 28:02d}",
                      round(10 + (i * 7) % 90 + 0.25, 2)])
    if len(header_rows) == 2:
        sheet.merge_cells("A1:B1")
        sheet.merge_cells("C1:E1")
    book.save(path)
    return path


def test_a_two_row_merged_excel_header_gets_a_clear_message(tmp_path):
    from engine.loading.io import read_table

    names = ["customer_id", "region", "order_id", "date", "amount"]
    merged = _workbook(tmp_path / "merged.xlsx", [["Customer", None, "Order", None, None], names])
    with pytest.raises(InputError, match="two-row header: row 1 has merged or blank cells .* row 2") as caught:
        read_table(merged)
    assert "merged.xlsx" in str(caught.value) and "'Orders'" in str(caught.value)
    # One header row reads as before, and so does a header with one blank name over ordinary data.
    [(_, frame)] = read_table(_workbook(tmp_path / "plain.xlsx", [names]))
    assert list(frame.columns) == names and len(frame) == 80
    [(_, frame)] = read_table(_workbook(tmp_path / "blank.xlsx", [["customer_id", None, "order_id", "date", "amount"]]))
    assert len(frame) == 80
