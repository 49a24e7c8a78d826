"""Where a project file's data and logo paths point, and a cheap identity of the input files.

A project file names its data files; opening it must not let it read arbitrary
files on the server, so every path is resolved into the repository's ``data/``
folder or among the files the analyst uploaded with it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from engine.errors import InputError
from engine.project import Project

REPO_ROOT = Path(__file__).resolve().parent.parent


def resolve_paths(project: Project, data_dir: str | Path | None = None) -> list[str]:
    """Point ``project``'s data and logo paths at allowed files (in place); notes on what was dropped.

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
