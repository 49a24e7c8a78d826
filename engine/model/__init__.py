"""Saved segmentation models: export the chosen model as JSON, load it back, score new customers (issue 14)."""

from engine.model.export import export_model, model_json
from engine.model.saved import SavedModel, Scored
from engine.model.validate import load_model

__all__ = ["SavedModel", "Scored", "export_model", "load_model", "model_json"]
