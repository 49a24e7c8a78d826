"""Shared fixtures: the demo analysis is computed once per test process."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def demo_result():
    """The full engine run on the bundled sample with default choices."""
    from engine.analysis.runner import run_project
    from engine.project import demo_project

    return run_project(demo_project())
