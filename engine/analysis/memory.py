"""Memory of a one-shot build: the line tables are let go once the customer features are built."""

from __future__ import annotations

import contextlib
import gc
from dataclasses import replace
from typing import TYPE_CHECKING

from engine.analysis.stages import Stored

if TYPE_CHECKING:
    from engine.analysis.runner import Analysis


def release_lines(analysis: Analysis) -> None:
    """Once customer features are built, keep the dataset without its line tables (zero rows, same columns).

    Per customer, no later stage reads the lines again (the report names the main table's roles by its
    columns only), and a million customers' lines hold about 2 GB through the comparison. Only the one-shot
    :func:`engine.analysis.runner.run_project` drops them: the app's :class:`Analysis` keeps them to rebuild
    features. The stored dataset is a copy, so a ``dataset`` passed in by the caller keeps its lines.
    """
    stored, features = analysis.data, analysis.features
    dataset = stored.value if stored is not None else None
    if dataset is None or features is None or features.value.unit != "customer" or dataset.shape != "transactions":
        return
    slim = replace(dataset, rows=dataset.rows.iloc[:0],
                   transactions=None if dataset.transactions is None else dataset.transactions.iloc[:0])
    analysis.data = Stored(slim, stored.fingerprint, stored.seconds)
    return_freed_memory()


def return_freed_memory() -> None:
    """Hand the memory just freed back to the system (Arrow's allocator keeps freed pages for reuse)."""
    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()


def arrow_pool_that_returns_memory() -> None:
    """Arrow's allocations (text columns, Parquet and CSV reads) through its jemalloc pool, unless the user set
    ``ARROW_DEFAULT_MEMORY_POOL``: jemalloc hands freed pages back to the system within a second, while the
    default mimalloc pool keeps them for reuse. Loading a million customers' 11M lines peaked ~0.5 GB lower
    (bench/README.md). A build of pyarrow without jemalloc (Windows) keeps its default pool."""
    import os

    import pyarrow as pa

    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL") or pa.default_memory_pool().backend_name == "jemalloc":
        return
    with contextlib.suppress(NotImplementedError, AttributeError):
        pa.set_memory_pool(pa.jemalloc_memory_pool())
