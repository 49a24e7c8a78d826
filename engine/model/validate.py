"""Read and check a model file before anything uses it: JSON only (never pickle), every part validated.

Any problem is one sentence naming the file and the part at fault (an
InputError): not JSON, not a model file, another format version, a missing or
mistyped key, a matrix of the wrong shape, a number that is not finite.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from engine.errors import InputError
from engine.features.rfm import RFM_COLUMNS, SEGMENTS
from engine.model.export import FORMAT, VERSION
from engine.model.fitted import METHOD_OF
from engine.model.saved import SavedModel
from engine.model.transform import SCALER_FIELDS

_COVARIANCE_SHAPES = {"full": "mpp", "tied": "pp", "diag": "mp", "spherical": "m"}


class _Checker:
    """Typed access to the parsed file; every failure is an InputError naming the key path."""

    def __init__(self, name: str):
        self.name = name

    def fail(self, what: str):
        raise InputError(f"{self.name} is not a usable segmentation model: {what}.")

    def key(self, d: dict, key: str, where: str, types: tuple, optional_none: bool = False):
        if not isinstance(d, dict) or key not in d:
            self.fail(f"{where}.{key} is missing")
        value = d[key]
        if value is None and optional_none:
            return None
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            self.fail(f"{where}.{key} should be {' or '.join(t.__name__ for t in types)}, not {_kind(value)}")
        return value

    def numbers(self, value, shape: tuple, where: str, positive: bool = False) -> np.ndarray:
        """A finite numeric array of ``shape`` (None in shape: any size ≥ 1)."""
        try:
            array = np.asarray(value)
        except (ValueError, TypeError):
            array = None
        if array is None or array.dtype.kind not in "iuf" or array.ndim != len(shape):
            self.fail(f"{where} should be {_shape_words(shape)} of numbers")
        for got, want in zip(array.shape, shape, strict=True):
            if (want is None and got < 1) or (want is not None and got != want):
                self.fail(f"{where} has shape {list(array.shape)}, expected {_shape_words(shape)}")
        array = array.astype("float64")
        if not np.isfinite(array).all():
            self.fail(f"{where} holds a value that is not a finite number")
        if positive and (array <= 0).any():
            self.fail(f"{where} holds a value that is not positive")
        return array

    def ints(self, value, length: int | None, where: str) -> list[int]:
        if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in value) or (
                length is not None and len(value) != length):
            self.fail(f"{where} should be a list of {length if length is not None else 'some'} whole numbers")
        return value


def load_model(source: str | Path | bytes) -> SavedModel:
    """A SavedModel from a model file's path or its JSON text; InputError (one sentence) on any problem."""
    name, text = _read(source)
    try:
        spec = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        message = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8 text"
        message = message[:1].lower() + message[1:]
        raise InputError(f"{name} is not a segmentation model file (it is not JSON: {message}).") from None
    if not isinstance(spec, dict) or spec.get("format") != FORMAT:
        raise InputError(f"{name} is not a segmentation model file (it has no \"format\": \"{FORMAT}\"); "
                         "write one with build --export-model.")
    version = spec.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise InputError(f"{name} has no whole-number format version; this version reads version {VERSION}.")
    if version != VERSION:
        newer = "a newer product" if version > VERSION else "an older product"
        raise InputError(f"{name} was written by format version {version}; this version reads version {VERSION} "
                         f"(the file comes from {newer}: rebuild the model with this one).")
    check = _Checker(name)
    _check(spec, check)
    return SavedModel(spec, source=name)


def _read(source) -> tuple[str, str | bytes]:
    if isinstance(source, bytes):
        return "The model file", source
    if isinstance(source, str) and source.lstrip().startswith(("{", "[")):
        return "The model file", source
    path = Path(source)
    if not path.is_file():
        raise InputError(f"The model file {path} was not found.")
    try:
        return path.name, path.read_bytes()
    except OSError as exc:
        raise InputError(f"The model file {path} cannot be read ({exc.strerror or exc}).") from None


def _check(spec: dict, c: _Checker) -> None:
    data = c.key(spec, "data", "model", (dict,))
    unit = c.key(data, "unit", "data", (str,))
    if unit != "customer":
        raise InputError(f"{c.name} was built on {unit} data, not customers; only a customer segmentation can score "
                         "new customers.")
    if c.key(data, "shape", "data", (str,)) not in ("transactions", "customer_table"):
        c.fail("data.shape should be \"transactions\" or \"customer_table\"")
    roles = c.key(data, "roles", "data", (dict,))
    if any(not isinstance(v, str) for v in roles.values()):
        c.fail("data.roles should map roles to column names")
    if c.key(data, "returns", "data", (str,)) not in ("net", "exclude"):
        c.fail("data.returns should be \"net\" or \"exclude\"")
    if c.key(data, "duplicates", "data", (str,)) not in ("auto", "drop", "keep"):
        c.fail("data.duplicates should be \"auto\", \"drop\" or \"keep\"")
    c.key(data, "sheet", "data", (str,), optional_none=True)
    c.key(data, "currency", "data", (str,), optional_none=True)
    p = _check_features(c.key(spec, "features", "model", (dict,)), c)
    ids = _check_segments(c.key(spec, "segments", "model", (list,)), p, c)
    algorithm = c.key(spec, "algorithm", "model", (dict,))
    name = c.key(algorithm, "name", "algorithm", (str,))
    if name not in METHOD_OF:
        c.fail(f"algorithm.name {name!r} is not an algorithm this version knows")
    state = c.key(algorithm, "assign", "algorithm", (dict,))
    if c.key(state, "method", "algorithm.assign", (str,)) != METHOD_OF[name]:
        c.fail(f"algorithm.assign.method should be {METHOD_OF[name]!r} for {name}")
    _check_assign(state, p, c)
    if "segment_of" in state and not set(state["segment_of"]) <= ids | {-1}:
        c.fail("algorithm.assign.segment_of names a segment id that is not among the segments")
    if "segments" in state and not set(state["segments"]) <= ids:
        c.fail("algorithm.assign.segments names a segment id that is not among the segments")
    outside = c.key(spec, "outside", "model", (dict,))
    c.key(outside, "rule", "outside", (str,))
    c.key(c.key(spec, "build", "model", (dict,)), "customers", "build", (int,))


def _check_features(f: dict, c: _Checker) -> int:
    names = c.key(f, "names", "features", (list,))
    if not names or any(not isinstance(n, str) for n in names) or len(set(names)) != len(names):
        c.fail("features.names should be a non-empty list of distinct feature names")
    p = len(names)
    labels = c.key(f, "labels", "features", (dict,))
    if any(not isinstance(v, str) for v in labels.values()):
        c.fail("features.labels should map feature names to labels")
    c.numbers(c.key(f, "fill", "features", (list,)), (p,), "features.fill")
    log = c.key(f, "log", "features", (list,))
    if not set(log) <= set(names):
        c.fail("features.log names a feature that is not in features.names")
    scaling = c.key(f, "scaling", "features", (str,))
    if scaling not in SCALER_FIELDS:
        c.fail(f"features.scaling {scaling!r} is not one of {', '.join(SCALER_FIELDS)}")
    scaler = c.key(f, "scaler", "features", (dict,))
    if set(scaler) != set(SCALER_FIELDS[scaling]):
        c.fail(f"features.scaler should hold {', '.join(SCALER_FIELDS[scaling]) or 'nothing'} for {scaling} scaling")
    for field in SCALER_FIELDS[scaling]:
        values = c.numbers(scaler[field], (p,), f"features.scaler.{field}")
        if field == "scale" and (values == 0).any():
            c.fail("features.scaler.scale holds a zero")
    return p


def _check_segments(segments: list, p: int, c: _Checker) -> set[int]:
    if not segments:
        c.fail("segments is empty")
    ids = set()
    for i, s in enumerate(segments):
        where = f"segments[{i}]"
        ids.add(c.key(s, "id", where, (int,)))
        c.key(s, "name", where, (str,))
        share = c.key(s, "build_share", where, (int, float))
        if not 0 <= share <= 1:
            c.fail(f"{where}.build_share is not a share between 0 and 1")
        centre = c.key(s, "centre", where, (list,), optional_none=True)
        if centre is not None:
            c.numbers(centre, (p,), f"{where}.centre")
            c.numbers([c.key(s, "outside_threshold", where, (int, float))], (1,), f"{where}.outside_threshold")
    if len(ids) != len(segments):
        c.fail("segments repeats a segment id")
    if all(s["centre"] is None for s in segments):
        c.fail("no segment has a centre")
    return ids


def _check_assign(state: dict, p: int, c: _Checker) -> None:
    w = "algorithm.assign"
    method = state["method"]
    if method in ("centroids", "subclusters"):
        key = "centroids" if method == "centroids" else "centres"
        m = len(c.numbers(c.key(state, key, w, (list,)), (None, p), f"{w}.{key}"))
        c.ints(c.key(state, "segment_of", w, (list,)), m, f"{w}.segment_of")
    elif method == "tree":
        m = len(c.numbers(c.key(state, "centres", w, (list,)), (None, p), f"{w}.centres"))
        left = c.ints(c.key(state, "left", w, (list,)), m, f"{w}.left")
        right = c.ints(c.key(state, "right", w, (list,)), m, f"{w}.right")
        c.ints(c.key(state, "segment_of", w, (list,)), m, f"{w}.segment_of")
        if any((a < 0) != (b < 0) or not (a < m and b < m) or (a >= 0 and min(a, b) <= i)
               for i, (a, b) in enumerate(zip(left, right, strict=True))):
            c.fail(f"{w}.left and {w}.right should name later nodes in pairs, or -1 for a leaf")
    elif method == "mixture":
        kind = c.key(state, "covariance_type", w, (str,))
        if kind not in _COVARIANCE_SHAPES:
            c.fail(f"{w}.covariance_type {kind!r} is not one of {', '.join(_COVARIANCE_SHAPES)}")
        m = len(c.numbers(c.key(state, "weights", w, (list,)), (None,), f"{w}.weights", positive=True))
        c.numbers(c.key(state, "means", w, (list,)), (m, p), f"{w}.means")
        shape = tuple(m if d == "m" else p for d in _COVARIANCE_SHAPES[kind])
        for key in ("covariances", "precisions_cholesky"):
            c.numbers(c.key(state, key, w, (list,)), shape, f"{w}.{key}")
        c.ints(c.key(state, "segment_of", w, (list,)), m, f"{w}.segment_of")
    elif method == "reference":
        if c.key(state, "rule", w, (str,)) not in ("centroid", "neighbour"):
            c.fail(f"{w}.rule should be \"centroid\" or \"neighbour\"")
        m = len(c.numbers(c.key(state, "points", w, (list,)), (None, p), f"{w}.points"))
        c.ints(c.key(state, "segments", w, (list,)), m, f"{w}.segments")
        if state.get("max_distance") is not None:
            c.numbers([state["max_distance"]], (1,), f"{w}.max_distance", positive=True)
    elif method == "rfm":
        bins = c.key(state, "bins", w, (int,))
        if not 3 <= bins <= 10:
            c.fail(f"{w}.bins should be a whole number from 3 to 10")
        scores = c.key(state, "scores", w, (dict,))
        for column in RFM_COLUMNS:
            spec = c.key(scores, column, f"{w}.scores", (dict,))
            c.key(spec, "negate", f"{w}.scores.{column}", (bool,))
            key = "cuts" if "cuts" in spec else "thresholds"
            c.numbers(c.key(spec, key, f"{w}.scores.{column}", (list,)), (bins - 1,), f"{w}.scores.{column}.{key}")
        c.numbers(c.key(state, "fill", w, (list,)), (len(RFM_COLUMNS),), f"{w}.fill")
        c.ints(c.key(state, "segment_of", w, (list,)), len(SEGMENTS), f"{w}.segment_of")


def _kind(value) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number")


def _shape_words(shape: tuple) -> str:
    if len(shape) == 1:
        return f"a list of {shape[0] if shape[0] is not None else 'one or more'}"
    dims = " x ".join("n" if d is None else str(d) for d in shape)
    return f"a {dims} table"
