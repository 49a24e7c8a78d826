"""The disk store behind saved analyses: tokens, round trip, expiry, size cap, forged tokens, no pickle."""

import json
import pickle
from pathlib import Path

import pytest

from app_support import store as store_module
from app_support.store import (
    FILES_DIR,
    META_FILE,
    PROJECT_FILE,
    Store,
    new_token,
    valid_token,
)
from engine.project_paths import REPO_ROOT

SAMPLE = REPO_ROOT / "data" / "sample"
HOUR = 3600.0


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def store(tmp_path, clock) -> Store:
    return Store(tmp_path / "store", ttl_seconds=24 * HOUR, max_bytes=10_000_000, clock=clock)


def _project(name: str = "Sample Retail Co.") -> str:
    return json.dumps({"report": {"client": name}, "data": {"paths": ["/tmp/x/transactions.csv"]}})


def test_tokens_are_random_url_safe_and_match_the_pattern():
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(valid_token(t) and len(t) == 43 for t in tokens)


@pytest.mark.parametrize("forged", [
    None, 42, "", "abc", "../../etc/passwd", "..", ".", "a" * 42, "a" * 44, "a" * 42 + "/", "a" * 42 + ".",
    "a" * 41 + "\\x", "a" * 42 + "é", "A" * 42 + "\n", " " + "a" * 42, "%2e%2e%2f" + "a" * 34,
])
def test_forged_or_malformed_tokens_are_refused_before_touching_the_disk(store, forged):
    assert not valid_token(forged)
    assert store.load(forged) is None
    with pytest.raises(ValueError):
        store.save(forged, _project())
    store.delete(forged)  # a no-op, never an error
    assert not store.root.exists()  # nothing was created, read or removed


def test_project_and_files_round_trip_byte_for_byte(store):
    token = new_token()
    files = [SAMPLE / "Transactions.csv", SAMPLE / "Customers.csv"]
    text = _project("Ünïcode & <Co>")
    assert store.save(token, text, files, {"done": ["data", "features"]})
    saved = store.load(token)
    assert saved.project_json == text
    assert saved.meta["done"] == ["data", "features"]
    for source in files:
        assert (saved.files_dir / source.name).read_bytes() == source.read_bytes()
    folder = store.root / token
    assert sorted(p.name for p in folder.iterdir()) == sorted([PROJECT_FILE, META_FILE, FILES_DIR])
    assert sorted(p.name for p in saved.files_dir.iterdir()) == ["Customers.csv", "Transactions.csv"]


def test_a_file_no_longer_used_is_removed_and_a_vanished_source_keeps_its_copy(store, tmp_path):
    token = new_token()
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "a.csv").write_text("id,x\n1,2\n")
    (upload / "logo.png").write_bytes(b"\x89PNG")
    store.save(token, _project(), [upload / "a.csv", upload / "logo.png"])
    (upload / "a.csv").unlink()  # the temporary upload was cleaned away
    store.save(token, _project(), [upload / "a.csv"])  # the logo was dropped
    files = store.load(token).files_dir
    assert [p.name for p in files.iterdir()] == ["a.csv"]
    assert (files / "a.csv").read_text() == "id,x\n1,2\n"
    # the analysis restored from the store names the store's own copy: saving again keeps it
    store.save(token, _project(), [files / "a.csv"])
    assert (files / "a.csv").read_text() == "id,x\n1,2\n"


def test_tokens_expire_a_day_after_their_last_use(store, clock):
    token = new_token()
    store.save(token, _project())
    clock.now += 23 * HOUR
    assert store.load(token) is not None  # used again: the day starts over
    clock.now += 23 * HOUR
    assert store.load(token) is not None
    clock.now += 24 * HOUR + 1
    assert store.load(token) is None
    assert not (store.root / token).exists()


def test_a_save_sweeps_away_other_expired_tokens(store, clock):
    old, new = new_token(), new_token()
    store.save(old, _project())
    clock.now += 25 * HOUR
    store.save(new, _project())
    assert store.tokens() == [new]


def test_the_size_cap_evicts_the_least_recently_used_first(tmp_path, clock):
    store = Store(tmp_path / "s", ttl_seconds=24 * HOUR, max_bytes=3_000, clock=clock)
    payload = tmp_path / "data.csv"
    payload.write_bytes(b"x" * 800)
    a, b, c, d = (new_token() for _ in range(4))
    for token in (a, b, c):
        store.save(token, _project(), [payload])
        clock.now += 60
    assert store.tokens() == [a, b, c]
    store.load(a)  # a is used again, so b is now the oldest
    clock.now += 60
    assert store.save(d, _project(), [payload])
    assert store.tokens() == [c, a, d]
    assert store.total_bytes() <= 3_000
    assert store.load(b) is None


def test_an_analysis_larger_than_the_cap_is_not_kept_on_disk(tmp_path, clock):
    store = Store(tmp_path / "s", max_bytes=500, clock=clock)
    small, big = new_token(), new_token()
    store.save(small, _project())
    clock.now += 60
    payload = tmp_path / "big.csv"
    payload.write_bytes(b"y" * 2_000)
    assert store.save(big, _project(), [payload]) is False
    assert not (store.root / big).exists()
    assert store.tokens() == [small]  # it did not push the older, smaller one out


def test_a_planted_pickle_is_never_unpickled(store, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the store unpickled something")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    token = new_token()
    store.save(token, _project(), [SAMPLE / "Products.csv"])
    assert store.load(token).project_json == _project()  # the round trip needs no pickle
    folder = store.root / token
    (folder / PROJECT_FILE).write_bytes(pickle.dumps({"evil": object.__name__}) + b"\xff")
    assert store.load(token) is None  # not text: refused and removed, not unpickled
    assert not folder.exists()
    source = Path(store_module.__file__).read_text()
    assert "import pickle" not in source and "pickle." not in source


def test_unreadable_meta_or_foreign_folders(store, clock):
    token = new_token()
    store.save(token, _project())
    (store.root / token / META_FILE).write_text("{not json")
    foreign = store.root / "keep-me"
    foreign.mkdir()
    (foreign / "note.txt").write_text("not the store's")
    assert store.load(token) is None
    store.sweep()
    assert not (store.root / token).exists()
    assert (foreign / "note.txt").exists()  # a folder that is not a token is never touched


def test_settings_come_from_the_environment(tmp_path):
    default = Store.from_env({})
    assert default.ttl_seconds == 24 * HOUR and default.max_bytes == 500 * 1024 * 1024
    assert default.root.name == "segmentation-store"
    custom = Store.from_env({"SEGMENTATION_STORE_DIR": str(tmp_path), "SEGMENTATION_STORE_HOURS": "1.5",
                             "SEGMENTATION_STORE_MB": "2"})
    assert (custom.root, custom.ttl_seconds, custom.max_bytes) == (tmp_path, 1.5 * HOUR, 2 * 1024 * 1024)
    for bad in ("0", "-3", "a day"):
        with pytest.raises(ValueError, match="SEGMENTATION_STORE_HOURS"):
            Store.from_env({"SEGMENTATION_STORE_HOURS": bad})
