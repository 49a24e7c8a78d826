"""Saving uploaded files into a private temporary folder (no Streamlit here, so tests can call it).

Uploads arrive as ``(name, bytes)`` pairs: from ``st.file_uploader`` in the app,
or straight from a test. They are written into a fresh ``tempfile.mkdtemp()``
folder (never anywhere else) under their base name only, so a crafted name like
``../../x.csv`` cannot escape the folder.

The folders are removed again: at once when their batch is refused, by
:meth:`app_support.sessions.Registry.tidy` when the analysis no longer reads them
(other files loaded, sample data, a project opened, Start over, expiry), and at
the latest when the server process exits. :func:`remove_folder` removes only
folders this process made.
"""

from __future__ import annotations

import atexit
import hashlib
import re
import shutil
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from engine.analysis.runner import Analysis
from engine.errors import InputError
from engine.loading.io import SUPPORTED_SUFFIXES
from engine.project import DataSpec, Project

DATA_SUFFIXES = SUPPORTED_SUFFIXES  # exactly what engine.loading.io reads
LOGO_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg")

UPLOAD_PREFIX = "segmentation-upload-"  # every upload folder's name starts so (see plain_message)
Upload = tuple[str, bytes]
# A folder made by save_uploads, as it appears in an engine message (any parent path, either separator).
_UPLOAD_FOLDER = re.compile(r"[^\s'\"(]*" + re.escape(UPLOAD_PREFIX) + r"[A-Za-z0-9_]+[/\\]")
# "(OSError)", "(BadZipFile)", "(ArrowInvalid)", "(ValueError: ...)": a Python class name in brackets.
_CLASS_NAME = re.compile(r" ?\((?:[a-z_]+\.)*[A-Z][A-Za-z0-9]*(?:Error|Exception|Warning|Invalid|File|Failure)"
                         r"(?::[^)]*)?\)")


_made: set[Path] = set()  # the upload folders of this process still on disk
_made_lock = threading.Lock()


def upload_folders(paths: Iterable[str | Path | None]) -> set[Path]:
    """The upload folders (made by this process and still there) that hold any of ``paths``."""
    parents = {Path(p).parent for p in paths if p}
    with _made_lock:
        return parents & _made


def remove_folder(folder: Path) -> None:
    """Delete an upload folder with its files; anything this process did not make is left alone."""
    with _made_lock:
        if folder not in _made:
            return
        _made.discard(folder)
    shutil.rmtree(folder, ignore_errors=True)


@atexit.register
def _remove_all() -> None:
    for folder in list(_made):
        remove_folder(folder)


def save_uploads(files: list[Upload], allowed: tuple[str, ...] = DATA_SUFFIXES) -> list[str]:
    """Write the uploads into one new temporary folder and return their paths.

    Raises InputError for an empty list, an empty file or a file type the engine cannot read
    (and leaves no folder behind).
    """
    if not files:
        raise InputError("No files were uploaded; choose one or more CSV, Excel or Parquet files.")
    folder = Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX))
    with _made_lock:
        _made.add(folder)
    try:
        return _write(folder, files, allowed)
    except BaseException:
        remove_folder(folder)
        raise


def _write(folder: Path, files: list[Upload], allowed: tuple[str, ...]) -> list[str]:
    paths = []
    for name, content in files:
        base = Path(name).name or "upload"
        if Path(base).suffix.lower() not in allowed:
            raise InputError(
                f"{base} is not a file type the app reads; upload {', '.join(s.lstrip('.') for s in allowed)} files."
            )
        if not content:
            raise InputError(f"{base} is empty (0 bytes); export it again and upload the new file.")
        target = folder / base
        target.write_bytes(content)
        paths.append(str(target))
    return paths


def limits_help(data: DataSpec) -> str:
    """The read limits in force, for the upload widget (the project file's data.max_rows, max_workbook_mb, max_columns)."""
    return (f"At most {data.max_rows:,} rows per table and {data.max_workbook_mb:,} MB of unpacked data per workbook; "
            f"the first {data.max_columns:,} columns of a table are considered. A project "
            "file changes these limits with data.max_rows, data.max_workbook_mb and data.max_columns.")


def digest(files: list[Upload]) -> str:
    """Identity of a batch of uploads (names and contents): the Data page loads the same batch once."""
    h = hashlib.sha256()
    for name, content in files:
        h.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return h.hexdigest()


def plain_message(text: str) -> str:
    """An error message as the analyst reads it: "the uploaded file X" for a temporary upload path, no class names.

    The engine names files by their path (right for the command line); in the app
    that path is a private temporary folder, and the analyst knows the file by the
    name it had when uploaded (the base name save_uploads kept).
    """
    text = _UPLOAD_FOLDER.sub("the uploaded file ", text)
    text = _CLASS_NAME.sub("", text)
    if text.startswith("the uploaded file "):
        text = "T" + text[1:]
    return text


def load_uploads(analysis: Analysis, files: list[Upload]) -> None:
    """Point the analysis at the uploaded files and load them.

    On bad input the InputError propagates and the analysis keeps its previous
    paths and results, so nothing already done is lost.
    """
    paths = save_uploads(files)
    data = analysis.project.data
    previous = list(data.paths), dict(data.roles), list(data.exclude_sheets or [])
    data.paths = paths
    data.roles, data.exclude_sheets = {}, []  # detected afresh for new files; their sheets are all read
    try:
        analysis.run_data()
    except BaseException:
        data.paths, data.roles, data.exclude_sheets = previous
        remove_folder(Path(paths[0]).parent)  # the refused batch's files go at once
        raise


def open_project(files: list[Upload], current_logo: str | None = None) -> Analysis:
    """Restore an analysis from an uploaded project file plus (optionally) its data files and logo.

    ``current_logo`` is the logo the session's analysis already uses: a project
    file naming a logo of that name keeps it without uploading it again (an
    uploaded file of the same name wins).
    """
    projects = [(n, b) for n, b in files if Path(n).suffix.lower() == ".json"]
    if len(projects) != 1:
        raise InputError(
            f"Upload exactly one project file (.json) with its data files; got {len(projects)} .json files."
        )
    name, content = projects[0]
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{name} is not a text (UTF-8) project file; export it again from the app.") from None
    others = [(n, b) for n, b in files if (n, b) != projects[0]]
    logo = Path(current_logo) if current_logo else None
    if logo is not None and logo.is_file() and logo.name not in {Path(n).name for n, _ in others}:
        others.append((logo.name, logo.read_bytes()))
    data_dir = Path(save_uploads(others, DATA_SUFFIXES + LOGO_SUFFIXES)[0]).parent if others else None
    try:
        return Analysis.from_project_json(text, data_dir)
    except BaseException:
        if data_dir is not None:
            remove_folder(data_dir)
        raise


def save_logo(name: str, content: bytes) -> str:
    """Save an uploaded logo and return its path (for ``project.report.logo``)."""
    return save_uploads([(name, content)], LOGO_SUFFIXES)[0]


def save_model(name: str, content: bytes) -> str:
    """Save an uploaded model file (JSON written by ``build --export-model``) and return its path."""
    return save_uploads([(name, content)], (".json",))[0]


def demo_analysis() -> Analysis:
    from engine.project import demo_project

    return Analysis(project=demo_project())


def blank_analysis() -> Analysis:
    return Analysis(project=Project())
