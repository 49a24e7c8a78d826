"""The analyst's label edits on top of the generated labels, with notes on edits that could not apply.

An edit (from the project file's ``labels`` or the app's label page) may
replace a cluster's name, description or strategies and may suppress its
consistency warnings; edits for clusters the chosen model does not have are
reported, never dropped. The edited labels then go through
:func:`engine.narrative.consistency.check_consistency` like generated ones.
"""

from __future__ import annotations

from dataclasses import replace

from engine.errors import InputError
from engine.project import LabelSpec
from engine.results import NOISE, ClusterLabel


def apply_edits(
    generated: dict[int, ClusterLabel], edits: dict[int, LabelSpec] | None
) -> tuple[dict[int, ClusterLabel], list[str]]:
    """The generated labels with the analyst's edits on top, plus notes about edits that could not apply.

    An edited field (not None) replaces the generated one and marks the label
    ``edited``, naming the field in ``edited_fields``; a field equal to the
    generated text is not an edit.
    ``suppress_warnings`` is carried over. Edits for clusters the current model
    does not have are reported in the notes, never dropped silently.
    """
    out = {c: replace(label, strategies=list(label.strategies), kpis=list(label.kpis),
                      distinctive=list(label.distinctive)) for c, label in generated.items()}
    notes: list[str] = []
    for key, spec in sorted((edits or {}).items(), key=lambda kv: str(kv[0])):
        cluster, spec = _edit_key(key), _as_spec(spec, key)
        if cluster not in out:
            shown = f" ({spec.name!r})" if spec.name else ""
            notes.append(
                f"The label edit for cluster {cluster}{shown} was not applied because the chosen model has no "
                f"cluster {cluster} (it has {_cluster_list(out)}); it stays in the project file."
            )
            continue
        label = out[cluster]
        changed: list[str] = []
        if spec.name is not None:
            name = " ".join(spec.name.split())
            if not name:
                notes.append(f"The edited name of cluster {cluster} is blank, so the generated name "
                             f"{label.name!r} is kept.")
            elif name != label.name:
                label.name = name
                changed.append("name")
        if spec.description is not None and spec.description.strip() != label.description:
            label.description = spec.description.strip()
            changed.append("description")
        if spec.strategies is not None:
            strategies = [s.strip() for s in spec.strategies if s and s.strip()]
            if strategies != label.strategies:
                label.strategies = strategies
                changed.append("strategies")
        label.edited, label.edited_fields = bool(changed), tuple(changed)
        label.suppress_warnings = bool(spec.suppress_warnings)
    names: dict[str, list[int]] = {}
    for cluster, label in out.items():
        names.setdefault(label.name.lower(), []).append(cluster)
    for clusters in names.values():
        if len(clusters) > 1:
            notes.append(f"Clusters {', '.join(map(str, sorted(clusters)))} share the name "
                         f"{out[clusters[0]].name!r}; give each a distinct name so the report can tell them apart.")
    return out, notes

def _edit_key(key) -> int:
    try:
        return int(key)
    except (TypeError, ValueError):
        raise InputError(f"labels key {key!r} is not a cluster id; use the cluster number, e.g. \"0\".") from None


def _as_spec(spec, key) -> LabelSpec:
    if isinstance(spec, LabelSpec):
        return spec
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - set(LabelSpec.__dataclass_fields__))
        if unknown:
            raise InputError(f"labels.{key} has unknown key {unknown[0]!r}; allowed keys are "
                             f"{', '.join(LabelSpec.__dataclass_fields__)}.")
        return LabelSpec(**spec)
    raise InputError(f"labels.{key} should be an object with name, description or strategies.")


def _cluster_list(labels: dict[int, ClusterLabel]) -> str:
    ids = sorted(c for c in labels if c != NOISE)
    text = ", ".join(map(str, ids)) if ids else "no clusters"
    return text + (" and Unassigned" if NOISE in labels else "")
