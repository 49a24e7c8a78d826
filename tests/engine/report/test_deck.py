"""Charts for slides (engine.report.deck): every chart the report prints, named after its section."""

from __future__ import annotations

import io
import zipfile

import pytest

from engine.errors import InputError
from engine.project import ReportSpec
from engine.report.deck import charts_zip, check_charts_folder, deck_charts, name_charts, write_charts


def test_names_follow_the_section_numbers_and_count_within_a_section():
    spec = {"title": {"text": "A chart"}}
    recorded = [("executive_summary", "a", spec), ("profiling", "b", spec), ("profiling", "c", spec),
                ("cover", "logo", spec), ("new_section", "d", spec), ("appendix_models", "e", spec)]
    charts = name_charts(recorded, {"executive_summary": 1, "profiling": 7, "cover": None, "new_section": 12,
                                    "appendix_models": "C"})
    assert [c.name for c in charts] == ["01-executive-summary-1", "07-profiling-1", "07-profiling-2", "00-cover-1",
                                        "12-new-section-1", "C-appendix-models-1"]
    assert charts[0].title == "A chart" and charts[1].section == "profiling"


def test_every_chart_of_the_report_is_collected_in_report_order(demo_result):
    from engine.report.render import render_html

    charts = deck_charts(demo_result)
    html = render_html(demo_result)
    assert len(charts) == html.count('class="chart') >= 3  # client report: overview, choosing k, 2-D view
    positions = [html.index(f'id="sec-{c.section}"') for c in charts]
    assert positions == sorted(positions)
    assert [c.name for c in charts] == sorted(c.name for c in charts)
    assert len({c.name for c in charts}) == len(charts)
    assert all(c.spec.get("datasets") for c in charts)  # the specs themselves, data inline


def test_leaving_a_section_out_leaves_its_chart_out(demo_result):
    every = {c.section for c in deck_charts(demo_result, ReportSpec(detail="full"))}
    assert "characteristics" in every
    keep = ["executive_summary", "cluster_sizes", "segments"]
    charts = deck_charts(demo_result, ReportSpec(sections=keep, detail="full"))
    assert {c.section for c in charts} == {"cluster_sizes"}
    assert charts[0].name.startswith("02-cluster-sizes-")  # numbered as printed: the second section


def test_zip_holds_a_png_and_an_svg_per_chart_and_is_reproducible(demo_result):
    charts = deck_charts(demo_result, ReportSpec(sections=["cluster_sizes"], detail="full"))
    data = charts_zip(charts)
    assert data == charts_zip(charts)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names == [f"{charts[0].name}.png", f"{charts[0].name}.svg"]
        assert archive.read(names[0])[:8] == b"\x89PNG\r\n\x1a\n"
        assert archive.read(names[1]).lstrip().startswith(b"<svg")


def test_the_charts_folder_must_be_a_folder_in_an_existing_one(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(InputError, match="is a file, not a folder"):
        check_charts_folder(tmp_path / "file.txt")
    with pytest.raises(InputError, match="does not exist"):
        write_charts([], tmp_path / "no" / "charts")
    assert write_charts([], tmp_path / "new") == [] and (tmp_path / "new").is_dir()
    assert check_charts_folder(tmp_path) == tmp_path
