"""One path from data to report: the command line and the app build the same report from the same project."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from engine.analysis.runner import Analysis
from engine.project import demo_project
from engine.report.exports import summary_dict

ROOT = Path(__file__).resolve().parents[1]


def test_command_line_and_app_give_the_same_summary_and_html(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "engine", "build", "--demo", "--out", str(tmp_path / "r.pdf"), "--html",
         str(tmp_path / "r.html"), "--summary", str(tmp_path / "s.json"), "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    cli_summary = json.loads((tmp_path / "s.json").read_text())
    cli_html = (tmp_path / "r.html").read_text(encoding="utf-8")

    app = Analysis(project=demo_project())  # what the sidebar's "Try it with sample data" drives
    app.run_all()
    app_summary = json.loads(json.dumps(summary_dict(app.to_result())))
    app_html = app.render_html()

    cli_timings, app_timings = cli_summary.pop("timings_s"), app_summary.pop("timings_s")
    assert app_summary == cli_summary
    assert {"load", "features", "comparison", "choice", "stability", "labels", "projection", "narrative"} <= set(app_timings)
    assert set(app_timings) <= set(cli_timings)  # the command line adds its rendering times
    assert app_html == cli_html
