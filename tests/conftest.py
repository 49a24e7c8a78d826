"""Shared fixtures: the demo analysis is computed once per test process."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def demo_result():
    """The full engine run on the bundled sample with default choices."""
    from engine.pipeline import demo_project, run

    return run(demo_project())
