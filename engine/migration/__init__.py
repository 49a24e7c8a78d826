"""How customers moved between segments from one date to another, with one saved model.

:func:`migration_table` compares two scorings of the same customers (the
``Scored.table`` of :mod:`engine.model` at a ``from`` and a ``to`` date) and
:mod:`engine.migration.sentences` says its biggest flows in words. The report
section "How segments moved" (:mod:`engine.report.section_migration`) and the
``migrate`` command read the :class:`Migration` it returns.
"""

from engine.migration.export import flows_csv, summary_block
from engine.migration.sentences import biggest_flows, flow_sentences, summary_sentences
from engine.migration.table import APPEARED, GONE, MOVED, STAYED, Migration, migration_table

__all__ = ["APPEARED", "GONE", "MOVED", "STAYED", "Migration", "biggest_flows", "flow_sentences", "flows_csv",
           "migration_table", "summary_block", "summary_sentences"]
