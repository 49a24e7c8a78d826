"""Where a project file's data and logo paths point, a cheap identity of the input files, and the output files.

A project file names its data files; opening it must not let it read arbitrary
files on the server, so every path is resolved into the repository's ``data/``
folder or among the files the analyst uploaded with it.

The command line's outputs are checked before any work (:func:`check_outputs`:
never an input, never twice the same file, writable) and written all at once
(:func:`write_output`), so a failed build never leaves half a file or destroys an old one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import stat
import tempfile
from pathlib import Path

from engine.errors import InputError
from engine.project import Project

REPO_ROOT = Path(__file__).resolve().parent.parent


def resolve_paths(project: Project, data_dir: str | Path | None = None) -> list[str]:
    """Point ``project``'s data, logo and migration model paths at allowed files (in place); notes on what was dropped.

    Data paths must point into the repository's ``data/`` folder or to files
    the analyst uploaded with the project (``data_dir``); a path anywhere
    else is matched by file name among the uploads.
    """
    roots = [REPO_ROOT / "data"] + ([Path(data_dir)] if data_dir else [])
    project.data.paths = [_resolve(p, roots) for p in project.data.paths]
    notes = []
    if project.report.logo:
        try:
            project.report.logo = _resolve(project.report.logo, roots)
        except InputError:
            notes.append(f"The logo {Path(project.report.logo).name} was not uploaded; the report has no logo.")
            project.report.logo = None
    if project.migration is not None:
        try:
            project.migration.model = _resolve(project.migration.model, roots)
        except InputError:
            notes.append(f"The model file {Path(project.migration.model).name} was not uploaded; the report has no "
                         "\"How segments moved\" section.")
            project.migration = None
    return notes


def files_digest(paths: list[str]) -> str:
    """Cheap identity of the input files (name, size, mtime) for cache keys."""
    items = []
    for raw in paths:
        p = Path(raw)
        files = sorted(p.rglob("*")) if p.is_dir() else [p]
        for f in files:
            if f.is_file():
                st = f.stat()
                items.append((str(f), st.st_size, st.st_mtime_ns))
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()[:16]


def _resolve(raw: str, roots: list[Path]) -> str:
    path = Path(raw)
    candidates = [path] if path.is_absolute() else [REPO_ROOT / path] + [root / path for root in roots[1:]]
    if "data" in path.parts:  # a path from another checkout: .../data/sample -> <repo>/data/sample
        idx = len(path.parts) - 1 - path.parts[::-1].index("data")
        candidates.append(REPO_ROOT.joinpath(*path.parts[idx:]))
    candidates += [root / path.name for root in roots[1:]]
    for cand in candidates:
        resolved = cand.resolve()
        if resolved.exists() and any(resolved.is_relative_to(root.resolve()) for root in roots):
            return str(resolved)
    raise InputError(
        f"The project file names {raw!r}, which is neither in the bundled data/ folder nor among the uploaded "
        f"files; upload {path.name} together with the project file."
    )


# ---- output files ----------------------------------------------------------

def input_files(paths: list[str | Path]) -> list[Path]:
    """The files a build reads: files named, and the files inside folders named (missing paths are skipped)."""
    found = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found += [f for f in sorted(p.iterdir()) if f.is_file()]
        elif p.exists():
            found.append(p)
    return found


def check_outputs(files: dict[str, str | Path | None], inputs: list[tuple[str, str | Path]],
                  folders: dict[str, str | Path | None] | None = None) -> None:
    """Refuse, before any work, outputs that would replace an input or each other, or cannot be written.

    ``files`` and ``folders`` map an option (``"--out"``) to its path (None: not asked for);
    ``inputs`` are ``(what, path)`` pairs such as ``("the data file", "orders.csv")``. The same
    file is recognised through symbolic and hard links.
    """
    outputs = [(flag, Path(p)) for flag, p in {**files, **(folders or {})}.items() if p]
    for i, (flag, path) in enumerate(outputs):
        for what, source in inputs:
            if _same_file(path, Path(source)):
                raise InputError(f"{flag} {path} is {what} {source}; writing there would replace it, "
                                 "so choose another path.")
        for other, other_path in outputs[:i]:
            if _same_file(path, other_path):
                raise InputError(f"{other} and {flag} name the same file ({path}); give each output its own path.")
    for flag, path in outputs:
        if flag in (folders or {}):
            _check_folder(flag, path)
        else:
            _check_file(flag, path)


def write_output(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` all at once: a temporary file beside it, then moved into place.

    A failure (a full disk, Ctrl-C) leaves no partial file and the old file, if any, unchanged.
    A symbolic link is written through (the file it points to is replaced).
    """
    target = Path(os.path.realpath(path))
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as for a new file
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise InputError(f"{path} could not be written ({exc.strerror or exc.__class__.__name__}); "
                             "nothing was changed there.") from None
        raise
    return target


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def _check_file(flag: str, path: Path) -> None:
    if path.is_dir():
        raise InputError(f"{flag} {path} is an existing folder; give a file name (inside it, if you like).")
    _check_parent(flag, path)
    if path.exists():
        if not path.is_file():
            raise InputError(f"{flag} {path} is not a regular file; give the path of a file to write.")
        if not os.access(path, os.W_OK):
            raise InputError(f"{flag} {path} is read-only; make it writable or choose another path.")
    _probe(flag, path, path.parent)


def _check_folder(flag: str, path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise InputError(f"{flag} {path} is a file, not a folder; give a folder for the chart files.")
    if path.is_dir():
        _probe(flag, path, path)
    else:
        _check_parent(flag, path)
        _probe(flag, path, path.parent)


def _check_parent(flag: str, path: Path) -> None:
    parent = path.parent
    if parent.is_dir():
        return
    for folder in (parent, *parent.parents):
        if folder.exists():
            if not folder.is_dir():
                raise InputError(f"{flag} {path} is inside {folder}, which is a file, not a folder; "
                                 "choose another path.")
            break
    raise InputError(f"The folder {parent} for {flag} does not exist; create it or choose another path.")


def _probe(flag: str, path: Path, folder: Path) -> None:
    """Create and remove a file in ``folder``: the one sure test that outputs can be written there."""
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".write-test-")
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise InputError(f"{flag} {path} cannot be written: {folder} does not accept new files "
                         f"({exc.strerror or exc.__class__.__name__}); choose another folder.") from None
