"""Background runs (app_support.jobs) and the token registry that brings an analysis back (app_support.sessions)."""

import threading
from pathlib import Path

import pytest

from app_support.jobs import CANCELLED, DONE, FAILED, Runner
from app_support.sessions import RESTORE_LABEL, Registry, kept_files
from app_support.store import Store, new_token
from app_support.uploads import load_uploads
from engine.analysis.runner import Analysis
from engine.errors import InputError
from engine.project import LabelSpec, demo_project
from engine.project_paths import REPO_ROOT

SAMPLE = REPO_ROOT / "data" / "sample"


def _gate():
    """A job function that reports progress, then waits for the test to let it finish."""
    release, entered, calls = threading.Event(), threading.Event(), []

    def fn(progress):
        calls.append(1)
        progress("half way", 0.5)
        entered.set()
        assert release.wait(10)

    return fn, release, entered, calls


def test_a_second_start_of_the_same_run_follows_the_first():
    runner = Runner()
    fn, release, entered, calls = _gate()
    first = runner.start("Comparing algorithms", fn)
    assert entered.wait(10)
    assert (first.message, first.fraction, first.state) == ("half way", 0.5, "running")
    second = runner.start("Comparing algorithms", fn)
    assert second is first
    release.set()
    assert first.wait(10) and first.state == DONE and first.fraction == 1.0
    assert calls == [1]
    third = runner.start("Comparing algorithms", fn)  # finished: a new start is a new run
    assert third is not first and third.wait(10) and calls == [1, 1]


def test_runs_of_one_analysis_go_one_at_a_time_in_order():
    runner = Runner()
    order = []
    fn, release, entered, _ = _gate()
    runner.start("Comparing algorithms", lambda p: (order.append("compare"), fn(p)))
    assert entered.wait(10)
    later = runner.start("Building the PDF", lambda p: order.append("pdf"))
    assert later.state == "queued" and runner.active().label == "Comparing algorithms"
    release.set()
    assert runner.wait_idle(10)
    assert order == ["compare", "pdf"] and later.state == DONE


def test_a_failed_run_keeps_its_error_and_the_next_run_still_goes():
    finished = []
    runner = Runner(on_finish=finished.append)
    bad = runner.start("Comparing algorithms", lambda p: (_ for _ in ()).throw(InputError("Pick at least one.")))
    good = runner.start("Building the PDF", lambda p: None)
    assert runner.wait_idle(10)
    assert bad.state == FAILED and isinstance(bad.error, InputError) and str(bad.error) == "Pick at least one."
    assert runner.unseen_failure() is bad
    bad.seen = True
    assert runner.unseen_failure() is None
    assert good.state == DONE and finished == [bad, good]


def test_closing_cancels_queued_runs_and_refuses_new_ones():
    runner = Runner()
    fn, release, entered, _ = _gate()
    running = runner.start("a", fn)
    assert entered.wait(10)
    queued = runner.start("b", lambda p: pytest.fail("a cancelled run ran"))
    runner.close()
    assert queued.state == CANCELLED and queued.wait(0)
    assert runner.start("c", lambda p: pytest.fail("ran after close")).state == CANCELLED
    release.set()
    assert running.wait(10) and running.state == DONE


@pytest.fixture()
def registry(tmp_path) -> Registry:
    return Registry(Store(tmp_path / "store"), max_live=3)


def _uploaded_analysis() -> Analysis:
    analysis = Analysis()
    load_uploads(analysis, [(p.name, p.read_bytes()) for p in sorted(SAMPLE.glob("*.csv"))])
    analysis.run_features()
    return analysis


def test_an_analysis_comes_back_from_disk_with_files_choices_edits_and_stages(registry, tmp_path):
    entry = registry.new(_uploaded_analysis())
    project = entry.analysis.project
    project.features.scaling = "robust"
    project.report.client = "Acme <Retail>"
    project.labels[0] = LabelSpec(name="Weekend shoppers")
    entry.analysis.run_features()
    assert registry.save(entry)
    assert len(kept_files(entry.analysis)) == 3  # the three uploads, copied into the store

    registry.forget_live(entry.token)  # as after an eviction or a server restart
    back = registry.open(entry.token)
    assert back is not None and back is not entry and back.token == entry.token
    assert back.runner.find(RESTORE_LABEL) is not None
    assert back.runner.wait_idle(120)
    restored = back.analysis
    assert restored.project.features.scaling == "robust"
    assert restored.project.report.client == "Acme <Retail>"
    assert restored.project.labels[0].name == "Weekend shoppers"
    assert all(str(registry.store.root) in p for p in restored.project.data.paths)
    assert restored.status("data") == "done" and restored.status("features") == "done"
    assert restored.status("compare") == "pending"  # it was not run before either
    assert restored.features.value.table.equals(entry.analysis.features.value.table)
    assert registry.open(entry.token) is back  # now live again


def test_the_same_token_gives_the_same_live_analysis_and_forged_ones_nothing(registry):
    entry = registry.new(_uploaded_analysis())
    assert registry.open(entry.token) is entry
    assert registry.open(new_token()) is None  # well-formed but unknown
    assert registry.open("../" + entry.token[3:]) is None
    assert registry.open(entry.token + "x") is None


def test_nothing_is_saved_before_data_is_loaded_and_start_over_forgets_the_token(registry):
    blank = registry.new()
    assert registry.save(blank) is False and registry.store.tokens() == []
    entry = registry.new(_uploaded_analysis())
    assert registry.save(entry) and registry.store.tokens() == [entry.token]
    registry.discard(entry)
    assert registry.store.tokens() == [] and registry.open(entry.token) is None


def test_saved_files_that_went_missing_start_afresh(registry):
    entry = registry.new(_uploaded_analysis())
    registry.save(entry)
    registry.forget_live(entry.token)
    for copy in (registry.store.root / entry.token / "files").iterdir():
        copy.unlink()
    assert registry.open(entry.token) is None
    assert registry.store.tokens() == []


def test_idle_analyses_leave_memory_first_but_never_one_with_a_run_in_progress(registry):
    fn, release, entered, _ = _gate()
    busy = registry.new()
    busy.runner.start("Comparing algorithms", fn)
    assert entered.wait(10)
    others = [registry.new() for _ in range(4)]
    assert registry.live(busy.token) is busy  # the oldest, but running
    assert registry.live(others[0].token) is None and registry.live(others[1].token) is None
    assert registry.live(others[3].token) is others[3]
    release.set()
    assert busy.runner.wait_idle(10)


def test_a_live_analysis_expires_a_day_after_its_last_use(tmp_path):
    now = [1_000_000.0]
    registry = Registry(Store(tmp_path / "store", ttl_seconds=24 * 3600, clock=lambda: now[0]),
                        clock=lambda: now[0])
    entry = registry.new(_uploaded_analysis())
    registry.save(entry)
    now[0] += 23 * 3600
    assert registry.open(entry.token) is entry  # used again: the day starts over
    now[0] += 24 * 3600 + 1
    assert registry.open(entry.token) is None
    assert registry.live(entry.token) is None and registry.store.tokens() == []


def test_a_closed_analysis_is_not_taken_back_by_another_tab(registry):
    entry = registry.new(_uploaded_analysis())
    other_tab_holds = entry
    registry.discard(entry)  # Start over in one tab
    assert registry.adopt(other_tab_holds) is False
    assert registry.save(other_tab_holds) is False
    assert registry.live(entry.token) is None and registry.store.tokens() == []


def _folder(analysis: Analysis) -> Path:
    return Path(analysis.project.data.paths[0]).parent


def test_upload_folders_go_when_the_analysis_no_longer_reads_them(registry):
    entry = registry.new(_uploaded_analysis())
    first = _folder(entry.analysis)
    registry.save(entry)
    registry.tidy(entry)  # what every script run ends with
    assert first.is_dir()  # still read: kept
    load_uploads(entry.analysis, [(p.name, p.read_bytes()) for p in sorted(SAMPLE.glob("*.csv"))[1:]])
    second = _folder(entry.analysis)
    assert second != first and first.is_dir()  # nothing goes before the run is over
    registry.tidy(entry)
    assert not first.exists() and second.is_dir()
    with pytest.raises(InputError):  # a refused batch leaves no folder and keeps the files in use
        load_uploads(entry.analysis, [("orders.csv", b"CustomerID,TransactionDate,TotalValue\n")])
    registry.tidy(entry)
    assert _folder(entry.analysis) == second and second.is_dir()
    registry.replace(entry, Analysis(project=demo_project()))  # the sample data instead
    registry.tidy(entry)
    assert not second.exists()


def test_start_over_and_expiry_remove_the_upload_folders(tmp_path):
    now = [1_000_000.0]
    registry = Registry(Store(tmp_path / "store", ttl_seconds=3600, clock=lambda: now[0]), clock=lambda: now[0])
    started_over = registry.new(_uploaded_analysis())
    folder = _folder(started_over.analysis)
    registry.tidy(started_over)
    registry.discard(started_over)
    assert not folder.exists()
    idle, active = registry.new(_uploaded_analysis()), registry.new(_uploaded_analysis())
    registry.tidy(idle)
    registry.tidy(active)
    now[0] += 3600 + 1
    assert registry.adopt(active)  # in use again; the idle one expired meanwhile
    assert not _folder(idle.analysis).exists() and _folder(active.analysis).is_dir()
    assert registry.adopt(idle) is False and idle.expired  # a tab still holding it starts afresh


def test_refused_uploads_leave_no_folder(tmp_path, monkeypatch):
    import tempfile

    from app_support.uploads import open_project, save_uploads

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # only this test's upload folders here
    with pytest.raises(InputError):
        save_uploads([("a.csv", b"x,y\n1,2\n"), ("b.docx", b"PK")])  # the second one is refused
    with pytest.raises(InputError):
        load_uploads(Analysis(), [("a.csv", b"CustomerID,TransactionDate,TotalValue\n")])  # saved, then refused
    with pytest.raises(InputError):
        open_project([("p.json", b'{"data": {"paths": ["missing.csv"]}}'), ("a.csv", b"x,y\n1,2\n")])
    assert list(tmp_path.iterdir()) == []
