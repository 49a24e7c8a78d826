"""A small disk store for analyses, keyed by an unguessable token (no Streamlit, no engine here).

Each token owns one folder ``<root>/<token>/`` holding ``project.json`` (the
project file, text), ``meta.json`` (when it was created and last used, and which
stages were done) and ``files/`` (copies of the uploaded data files and logo,
under their base names). Nothing else is written and nothing is ever unpickled:
reading back is ``json.loads`` and the original bytes of the data files.

- Tokens come from :func:`new_token` (``secrets.token_urlsafe``) and are checked
  against :data:`TOKEN_PATTERN` before any path is built from them, so a forged
  value such as ``../../etc`` never reaches the disk.
- A token expires ``ttl_seconds`` after it was last used; expired folders are
  removed on the next :meth:`Store.sweep` (every save runs one) or when loaded.
- The store's total size is capped: after each save the least recently used
  folders are removed first until the total fits. An analysis larger than the
  whole cap is not kept on disk at all (it then lives in memory only).

Configured by environment variables (see :meth:`Store.from_env`):
``SEGMENTATION_STORE_DIR`` (default: ``segmentation-store`` in the system temp
folder), ``SEGMENTATION_STORE_HOURS`` (default 24) and ``SEGMENTATION_STORE_MB``
(default 500).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

TOKEN_BYTES = 32
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")  # exactly what token_urlsafe(32) produces
PROJECT_FILE = "project.json"
META_FILE = "meta.json"
FILES_DIR = "files"
DEFAULT_HOURS = 24.0
DEFAULT_MB = 500.0


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def valid_token(token: object) -> bool:
    return isinstance(token, str) and TOKEN_PATTERN.fullmatch(token) is not None


@dataclass(frozen=True)
class Saved:
    """What :meth:`Store.load` gives back for a token."""

    project_json: str
    files_dir: Path
    meta: dict


class Store:
    """Token folders under ``root`` with expiry and a total size cap; safe to share between threads."""

    def __init__(self, root: str | Path, ttl_seconds: float = DEFAULT_HOURS * 3600,
                 max_bytes: int = int(DEFAULT_MB * 1024 * 1024), clock: Callable[[], float] = time.time):
        self.root = Path(root)
        self.ttl_seconds = float(ttl_seconds)
        self.max_bytes = int(max_bytes)
        self.clock = clock
        self._lock = threading.RLock()

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Store:
        env = os.environ if environ is None else environ
        root = env.get("SEGMENTATION_STORE_DIR") or str(Path(tempfile.gettempdir()) / "segmentation-store")
        hours = _positive(env, "SEGMENTATION_STORE_HOURS", DEFAULT_HOURS)
        megabytes = _positive(env, "SEGMENTATION_STORE_MB", DEFAULT_MB)
        return cls(root, ttl_seconds=hours * 3600, max_bytes=int(megabytes * 1024 * 1024))

    # ---- paths -----------------------------------------------------------
    def _folder(self, token: str) -> Path:
        """The token's folder; refuses anything that is not a well-formed token."""
        if not valid_token(token):
            raise ValueError("not a store token")
        folder = self.root / token
        if folder.parent != self.root:  # cannot happen with the pattern above; belt and braces
            raise ValueError("not a store token")
        return folder

    # ---- public API ------------------------------------------------------
    def save(self, token: str, project_json: str, files: Iterable[str | Path] = (),
             meta: dict | None = None) -> bool:
        """Write the project text and copies of ``files`` for ``token``; False if the size cap evicted it.

        ``files`` are copied under their base names; files saved earlier and no
        longer listed are removed. A listed file that has disappeared keeps its
        earlier copy, if any.
        """
        folder = self._folder(token)
        if not isinstance(project_json, str):
            raise TypeError("project_json must be text")
        with self._lock:
            files_dir = folder / FILES_DIR
            files_dir.mkdir(parents=True, exist_ok=True)
            keep = set()
            for raw in files:
                source = Path(raw)
                target = files_dir / source.name
                keep.add(source.name)
                if not source.is_file() or _same_file(source, target):
                    continue
                _atomic_copy(source, target)
            for existing in files_dir.iterdir():
                if existing.name not in keep:
                    _remove(existing)
            _atomic_write(folder / PROJECT_FILE, project_json)
            now = self.clock()
            old = self._read_meta(folder) or {}
            record = {**(meta or {}), "created": old.get("created", now), "used": now}
            _atomic_write(folder / META_FILE, json.dumps(record))
            if _size(folder) > self.max_bytes:  # too large to keep at all: it pushes nobody else out
                _remove(folder)
                return False
            self.sweep()
            return folder.exists()

    def load(self, token: object) -> Saved | None:
        """The saved project, its files folder and meta, or None for a malformed, unknown or expired token."""
        if not valid_token(token):
            return None
        folder = self._folder(token)  # type: ignore[arg-type]
        with self._lock:
            meta = self._read_meta(folder)
            if meta is None or self._expired(meta):
                self.delete(token)  # type: ignore[arg-type]
                return None
            try:
                text = (folder / PROJECT_FILE).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                self.delete(token)  # type: ignore[arg-type]
                return None
            self.touch(token)  # type: ignore[arg-type]
            return Saved(text, folder / FILES_DIR, meta)

    def touch(self, token: str) -> None:
        """Mark the token used now (its expiry and eviction order start again)."""
        folder = self._folder(token)
        with self._lock:
            meta = self._read_meta(folder)
            if meta is not None:
                meta["used"] = self.clock()
                _atomic_write(folder / META_FILE, json.dumps(meta))

    def delete(self, token: str) -> None:
        if not valid_token(token):
            return
        with self._lock:
            _remove(self._folder(token))

    def tokens(self) -> list[str]:
        """Tokens with a folder on disk, least recently used first."""
        with self._lock:
            return [token for token, _, _ in self._entries()]

    def total_bytes(self) -> int:
        with self._lock:
            return sum(size for _, _, size in self._entries())

    def sweep(self) -> None:
        """Remove expired and unreadable folders, then the least recently used ones above the size cap."""
        with self._lock:
            entries = []
            for token, used, size in self._entries():
                if used is None or self.clock() - used > self.ttl_seconds:
                    _remove(self.root / token)
                else:
                    entries.append((token, size))
            total = sum(size for _, size in entries)
            for token, size in entries:  # oldest use first
                if total <= self.max_bytes:
                    break
                _remove(self.root / token)
                total -= size

    # ---- internals -------------------------------------------------------
    def _entries(self) -> list[tuple[str, float | None, int]]:
        """(token, last use or None when unreadable, bytes) per folder, least recently used first."""
        if not self.root.is_dir():
            return []
        found = []
        for folder in self.root.iterdir():
            if not folder.is_dir() or not valid_token(folder.name):
                continue  # not ours: never touched
            meta = self._read_meta(folder)
            used = meta.get("used") if meta else None
            found.append((folder.name, float(used) if isinstance(used, int | float) else None, _size(folder)))
        return sorted(found, key=lambda item: (item[1] is not None, item[1] or 0.0))

    def _read_meta(self, folder: Path) -> dict | None:
        try:
            meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return meta if isinstance(meta, dict) and isinstance(meta.get("used"), int | float) else None

    def _expired(self, meta: dict) -> bool:
        return self.clock() - float(meta["used"]) > self.ttl_seconds


def _positive(env, name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number; got {raw!r}.") from None
    if not value > 0:
        raise ValueError(f"{name} must be above zero; got {raw!r}.")
    return value


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _atomic_copy(source: Path, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    shutil.copyfile(source, tmp)
    stat = source.stat()
    os.utime(tmp, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # so an unchanged file is not copied again
    os.replace(tmp, target)


def _same_file(source: Path, target: Path) -> bool:
    """True when ``target`` is ``source`` itself or an earlier copy of it (same size and time)."""
    try:
        if source.resolve() == target.resolve():
            return True
        mine, theirs = source.stat(), target.stat()
    except OSError:
        return False
    return mine.st_size == theirs.st_size and mine.st_mtime_ns == theirs.st_mtime_ns


def _size(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
        except OSError:
            pass
    return total


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
