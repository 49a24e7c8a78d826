"""The project file: every choice the analyst makes, as one dataclass tree.

The tree serialises to the JSON contract in DESIGN.md §3 (``data``,
``features``, ``clustering``, ``labels``, ``report``). Every key is optional;
:func:`Project.from_dict` fills defaults and validates values against the
constraint tables below, so every message names the key, the value and what is
allowed. Each step's fingerprint is a hash of the parts of the project it
depends on, which is how later steps know they are stale.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from engine.errors import InputError

ROLE_NAMES = (
    "customer_id",
    "order_id",
    "date",
    "quantity",
    "unit_price",
    "amount",
    "product_id",
    "category",
    "region",
    "signup_date",
)
UNITS = ("customer", "row")
DUPLICATES = ("auto", "drop", "keep")
SCALINGS = ("none", "standard", "minmax", "robust")
PAGE_SIZES = ("A4", "Letter")
DETAILS = ("client", "full")  # report.detail: the client report (default) or the full analyst's report
DEFAULT_ALGORITHMS = ["kmeans", "gmm", "agglomerative", "birch", "dbscan", "hdbscan", "rfm"]


@dataclass
class DataSpec:
    paths: list[str] = field(default_factory=list)
    unit: str = "customer"
    roles: dict[str, str] = field(default_factory=dict)  # role -> column (override)
    sheet: str | None = None  # pins one Excel sheet; default every non-empty sheet, each its own table
    exclude_sheets: list[str] = field(default_factory=list)  # workbook sheets not to read
    as_of: str | None = None  # recency reference date; default day after last date
    returns: str = "net"  # "net": netted out of monetary | "exclude": dropped
    duplicates: str = "auto"  # identical lines: "auto" (drop only when there is an order id) | "drop" | "keep"
    min_units: int = 50  # fewer customers (or rows) than this: the build refuses


@dataclass
class FeatureSpec:
    selected: list[str] | None = None  # None: the defaults for the data's shape
    scaling: str = "standard"
    log: list[str] | None = None  # None: skewed features get log1p automatically


@dataclass
class ClusteringSpec:
    algorithms: list[str] = field(default_factory=lambda: list(DEFAULT_ALGORITHMS))
    k_range: tuple[int, int] = (2, 10)
    seed: int = 42
    params: dict[str, dict] = field(default_factory=dict)
    choice: dict | None = None  # {"algorithm": ..., "k": ...} pins the model
    stability_resamples: int = 10
    selection: dict = field(default_factory=dict)  # model-selection rule settings (engine.clustering.selection)


@dataclass
class LabelSpec:
    name: str | None = None
    description: str | None = None
    strategies: list[str] | None = None
    suppress_warnings: bool = False

    @classmethod
    def edit_of(cls, generated, name: str, description: str, strategies: str | list[str],
                suppress_warnings: bool = False) -> LabelSpec:
        """What the analyst changed in the ``generated`` label (an engine.results.ClusterLabel).

        Only a field that differs from the generated text (spacing ignored) is kept;
        blank text means "the generated one". ``strategies``: a list, or one per line.
        """
        def words(text: str) -> str:
            return " ".join(str(text).split())

        lines = strategies.splitlines() if isinstance(strategies, str) else list(strategies)
        lines = [words(line) for line in lines if words(line)]
        name, description = words(name), words(description)
        return cls(
            name=name if name and name != words(generated.name) else None,
            description=description if description and description != words(generated.description) else None,
            strategies=lines if lines and lines != [words(x) for x in generated.strategies] else None,
            suppress_warnings=bool(suppress_warnings),
        )


@dataclass
class ReportSpec:
    client: str = ""  # empty: the cover prints no "Prepared for" line
    title: str = "Customer Segmentation Report"
    analyst: str = ""
    date: str | None = None  # printed date; default: end of the data (reproducible)
    page_size: str = "A4"
    accent: str = "#1f4e79"
    logo: str | None = None  # path to PNG/SVG/JPEG
    sections: list[str] | None = None  # None: all sections
    projection: str = "pca"  # "pca" | "tsne" | "umap"
    detail: str = "client"  # "client": short body + technical appendix; "full": the long analyst's form
    objective: str = ""  # the client report's stated objective (empty: a standard sentence)


@dataclass
class Project:
    data: DataSpec = field(default_factory=DataSpec)
    features: FeatureSpec = field(default_factory=FeatureSpec)
    clustering: ClusteringSpec = field(default_factory=ClusteringSpec)
    labels: dict[int, LabelSpec] = field(default_factory=dict)
    report: ReportSpec = field(default_factory=ReportSpec)

    # ---- serialisation -------------------------------------------------
    def to_dict(self) -> dict:
        d = {
            "data": asdict(self.data),
            "features": asdict(self.features),
            "clustering": asdict(self.clustering),
            "labels": {
                str(k): {kk: vv for kk, vv in asdict(v).items() if vv not in (None, False)}
                for k, v in sorted(self.labels.items())
            },
            "report": asdict(self.report),
        }
        d["clustering"]["k_range"] = list(self.clustering.k_range)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, default=str)

    @classmethod
    def from_dict(cls, d: dict | None) -> Project:
        d = d or {}
        _expect(d, dict, "project file")
        _unknown(d, {"data", "features", "clustering", "labels", "report"}, "project file")
        data = _build(DataSpec, d.get("data", {}), "data")
        features = _build(FeatureSpec, d.get("features", {}), "features")
        clustering = _build(ClusteringSpec, d.get("clustering", {}), "clustering")
        report = _build(ReportSpec, d.get("report", {}), "report")
        labels_raw = d.get("labels", {}) or {}
        _expect(labels_raw, dict, "labels")
        labels = {}
        for key, value in labels_raw.items():
            try:
                cid = int(key)
            except (TypeError, ValueError):
                raise InputError(
                    f"labels key {key!r} is not a cluster id; use the cluster number, e.g. \"0\"."
                ) from None
            labels[cid] = _build(LabelSpec, value, f"labels.{key}")
        project = cls(data, features, clustering, labels, report)
        project.validate()
        return project

    @classmethod
    def load(cls, path: str | Path) -> Project:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"Project file {p} does not exist; check the path.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"Project file {p} cannot be read ({exc.__class__.__name__}).") from None
        return cls.from_json(text, f"Project file {p}", "fix it or start without --project")

    @classmethod
    def from_json(cls, text: str, where: str = "The project file", fix: str = "fix it") -> Project:
        """Parse and validate project-file text; bad JSON gets one sentence with its line number."""
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where} is not valid JSON (line {exc.lineno}: {exc.msg}); {fix}.") from None
        if not isinstance(raw, dict):  # `null`, a list or a number is not an empty project
            kind = {type(None): "null", list: "a list", str: "a string", bool: "true/false"}.get(type(raw), "a number")
            raise InputError(f"{where} holds {kind}, not a JSON object like {{\"data\": {{...}}}}; {fix}.")
        return cls.from_dict(raw)

    # ---- validation ----------------------------------------------------
    def validate(self) -> None:
        _choice(self.data.unit, UNITS, "data.unit")
        _choice(self.data.returns, ("net", "exclude"), "data.returns")
        _choice(self.data.duplicates, DUPLICATES, "data.duplicates")
        mu = self.data.min_units
        if not isinstance(mu, int) or isinstance(mu, bool) or mu < 3:
            raise InputError(f"data.min_units is {mu!r}; use a whole number of 3 or more.")
        for role in self.data.roles:
            _choice(role, ROLE_NAMES, "data.roles key")
        _choice(self.features.scaling, SCALINGS, "features.scaling")
        _choice(self.report.page_size, PAGE_SIZES, "report.page_size")
        _choice(self.report.projection, ("pca", "tsne", "umap"), "report.projection")
        _choice(self.report.detail, DETAILS, "report.detail")
        kr = self.clustering.k_range
        if (
            not isinstance(kr, list | tuple)
            or len(kr) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in kr)
            or kr[0] < 2
            or kr[1] < kr[0]
            or kr[1] > 30
        ):
            raise InputError(
                f"clustering.k_range is {list(kr) if isinstance(kr, list | tuple) else kr!r}; "
                "use two whole numbers [low, high] with 2 <= low <= high <= 30."
            )
        self.clustering.k_range = (int(kr[0]), int(kr[1]))
        seed = self.clustering.seed
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise InputError(f"clustering.seed is {seed!r}; use a whole number 0 or above.")
        if not self.clustering.algorithms:
            raise InputError("clustering.algorithms is empty; name at least one algorithm.")
        from engine.clustering.algorithms import (
            ALGORITHMS,  # local: the registry loads scikit-learn, which the app start skips
        )

        for name in self.clustering.algorithms:
            _choice(name, tuple(ALGORITHMS), "clustering.algorithms entry")
        for name in self.clustering.params:
            _choice(name, tuple(ALGORITHMS), "clustering.params key")
        ch = self.clustering.choice
        if ch is not None:
            if not isinstance(ch, dict) or "algorithm" not in ch:
                raise InputError('clustering.choice must look like {"algorithm": "kmeans", "k": 4}.')
            _choice(ch["algorithm"], tuple(ALGORITHMS), "clustering.choice.algorithm")
            k = ch.get("k")
            if k is not None and (not isinstance(k, int) or isinstance(k, bool) or k < 2):
                raise InputError(f"clustering.choice.k is {k!r}; use a whole number of 2 or more.")
        from engine.clustering.selection import SelectionRule

        SelectionRule.from_dict(self.clustering.selection)
        if not 0 <= self.clustering.stability_resamples <= 200:
            raise InputError("clustering.stability_resamples must be between 0 and 200.")

    # ---- fingerprints (staleness) -------------------------------------
    def fingerprint(self, step: str) -> str:
        """Hash of everything the given step depends on.

        step is one of "data", "features", "clustering", "labels", "report"; each
        includes the steps before it, so an upstream change changes every
        downstream fingerprint.
        """
        order = ["data", "features", "clustering", "labels", "report"]
        d = self.to_dict()
        upto = order[: order.index(step) + 1]
        payload = json.dumps({k: d[k] for k in upto}, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample"


def demo_project() -> Project:
    """The bundled sample with default choices (what ``build --demo`` runs)."""
    project = Project()
    project.data.paths = [str(SAMPLE_DIR)]
    project.report.client = "Sample Retail Co."
    project.report.title = "Customer Segmentation Report"
    return project


def resolved_project(project: Project, feature_names: list[str] | None) -> Project:
    """A copy of the project with the defaulted feature list written out.

    The exported project file then says which features were clustered even when
    the analyst left ``features.selected`` to the defaults, and still rebuilds the
    same report if the defaults change. ``features.log`` keeps its value: ``null``
    (automatic) behaves differently from a list on features with negative values.
    """
    copy = Project.from_dict(project.to_dict())
    if feature_names is not None and copy.features.selected is None:
        copy.features.selected = list(feature_names)
    return copy


# ---- helpers ---------------------------------------------------------------

def _expect(value, typ, where):
    if not isinstance(value, typ):
        raise InputError(f"{where} should be a JSON {'object' if typ is dict else typ.__name__}, not {type(value).__name__}.")


def _unknown(d: dict, allowed: set[str], where: str) -> None:
    extra = sorted(set(d) - allowed)
    if extra:
        raise InputError(f"{where} has unknown key {extra[0]!r}; allowed keys are {', '.join(sorted(allowed))}.")


def _choice(value, allowed: tuple, where: str) -> None:
    if value not in allowed:
        raise InputError(f"{where} is {value!r}; allowed values are {', '.join(map(str, allowed))}.")


def _build(cls, raw, where):
    if raw is None:
        raw = {}
    _expect(raw, dict, where)
    names = {f for f in cls.__dataclass_fields__}
    _unknown(raw, names, where)
    try:
        obj = cls(**raw)
    except TypeError as exc:  # pragma: no cover - guarded by _unknown
        raise InputError(f"{where}: {exc}.") from None
    for f, spec in cls.__dataclass_fields__.items():
        v = getattr(obj, f)
        if f in raw and v is not None and spec.type in ("str", "str | None") and not isinstance(v, str):
            raise InputError(f"{where}.{f} is {v!r}; it should be text.")
        if (
            f in raw
            and v is not None
            and spec.type.startswith("list[str]")
            and (not isinstance(v, list) or not all(isinstance(x, str) for x in v))
        ):
            raise InputError(f"{where}.{f} should be a list of names, e.g. [\"monetary\"].")
    return obj
