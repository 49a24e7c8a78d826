"""The narrative engine: levels, personas, names, consistency warnings and report-level sentences.

Input is a :class:`engine.results.Profile`; output is plain text in
:class:`engine.results.ClusterLabel` objects, :class:`ConsistencyWarning` lists
and lists of sentences. Deterministic, no network, no language model: every
sentence is a template filled with numbers from the profile. The personas and
the claims table are data (``personas.yaml``, documented in docs/playbook.md).
"""

from engine.narrative.consistency import check_consistency, find_claims
from engine.narrative.edits import apply_edits
from engine.narrative.fit import assign_personas, persona_fit
from engine.narrative.levels import (
    LEVELS,
    THRESHOLDS,
    compares_medians,
    distinctive_features,
    feature_levels,
    level_word,
)
from engine.narrative.naming import generate_labels
from engine.narrative.playbook import Claim, Persona, Playbook, load_playbook
from engine.narrative.story import business_implications, executive_summary, methodology, monitoring

__all__ = [
    "LEVELS",
    "THRESHOLDS",
    "Claim",
    "Persona",
    "Playbook",
    "apply_edits",
    "assign_personas",
    "business_implications",
    "check_consistency",
    "compares_medians",
    "distinctive_features",
    "executive_summary",
    "feature_levels",
    "find_claims",
    "generate_labels",
    "level_word",
    "load_playbook",
    "methodology",
    "monitoring",
    "persona_fit",
]
