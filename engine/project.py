"""The project file: every choice the analyst makes, as one dataclass tree.

The tree serialises to the JSON contract in DESIGN.md §3 (``data``,
``features``, ``clustering``, ``labels``, ``report``). Every key is optional;
:func:`Project.from_dict` checks the whole file against :data:`SCHEMA` first
(:mod:`engine.project_schema`: every problem one sentence naming the key, the
value and what is allowed, all of them at once), then fills defaults. Each step's fingerprint is a hash of the parts of the project it
depends on, which is how later steps know they are stale.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from engine import project_schema as schema
from engine.errors import InputError
from engine.project_schema import AllOf, Day, Delegate, Mapping, Names, OneOf, Range, Section, Text, Whole

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
    as_of: str | None = None  # analysis date: only lines up to it, recency from it; default day after last date
    returns: str = "net"  # "net": netted out of monetary | "exclude": dropped
    duplicates: str = "auto"  # identical lines: "auto" (drop only when there is an order id) | "drop" | "keep"
    min_units: int = 50  # fewer customers (or rows) than this: the build refuses
    max_rows: int = 20_000_000  # a table with more rows is refused before it is read in full (1M customers: ~12M)
    max_workbook_mb: int = 200  # a workbook whose sheets unpack to more than this (MB) is refused unread
    max_columns: int = 200  # columns considered per table; the rest are left out, with a note


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
class MigrationSpec:
    """``migration``: score the customers at two dates with a saved model (JSON keys ``model``, ``from``, ``to``)."""

    model: str  # the model file written by ``build --export-model``
    start: str  # "from": YYYY-MM-DD, before ``end``
    end: str  # "to"

    def to_dict(self) -> dict:
        return {"model": self.model, "from": self.start, "to": self.end}


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


ENGINES = ("local", "spark")


@dataclass
class ComputeSpec:
    """Where the analysis runs: this machine (``local``) or Apache Spark (engine.spark)."""

    engine: str = "local"
    spark_master: str = "local[*]"  # any master URL (spark://, yarn, k8s://); an active session is reused
    spark_conf: dict[str, str] = field(default_factory=dict)  # Spark settings, e.g. spark.executor.memory


# ---- the schema: what each key takes (a key not listed is checked by its type) ----

def _algorithms() -> tuple[str, ...]:
    from engine.clustering.algorithms import ALGORITHMS  # local: the registry loads scikit-learn

    return tuple(ALGORITHMS)


def _sections() -> tuple[str, ...]:
    from engine.report.sections import SECTIONS  # local: a later step

    return tuple(SECTIONS)


def _params(key: str, value) -> None:
    from engine.clustering.algorithms import check_params

    check_params(key.rsplit(".", 1)[-1], value)


def _selection(value) -> None:
    from engine.clustering.selection import SelectionRule

    SelectionRule.from_dict(value)


def _migration_dates(value: dict) -> None:
    from datetime import date

    if date.fromisoformat(value["from"].strip()[:10]) >= date.fromisoformat(value["to"].strip()[:10]):
        raise InputError(f"migration.from ({value['from']}) must be before migration.to ({value['to']}).")


MAX_K = 30
MAX_SEED = 2**31 - 1  # numpy and scikit-learn take 0..2**32-1; resample b uses seed + 1 + b, so leave headroom
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
SCHEMA = Section(None, {
    "data": Section(DataSpec, {
        "paths": Names(example='["sales.csv"]'),
        "unit": OneOf(UNITS),
        "roles": Mapping(OneOf(ROLE_NAMES), Text(nullable=True), what="key"),
        "exclude_sheets": Names(example='["Notes"]'),
        "as_of": Day(),
        "returns": OneOf(("net", "exclude")),
        "duplicates": OneOf(DUPLICATES),
        "min_units": Whole(3, 10**9),
        "max_rows": Whole(1, 10**9),
        "max_workbook_mb": Whole(1, 100_000),
        "max_columns": Whole(2, 5_000),
    }),
    "features": Section(FeatureSpec, {"scaling": OneOf(SCALINGS)}),
    "clustering": Section(ClusteringSpec, {
        "algorithms": Names(item=OneOf(_algorithms), at_least=1, example='["kmeans", "gmm"]'),
        "k_range": Range(2, MAX_K),
        "seed": Whole(0, MAX_SEED),
        "params": Mapping(OneOf(_algorithms), Delegate(_params, keyed=True)),
        "choice": Section(None, {"algorithm": OneOf(_algorithms), "k": Whole(2, 1_000, nullable=True)},
                          required=("algorithm",), example='{"algorithm": "kmeans", "k": 4}'),
        "stability_resamples": Whole(0, 200),
        "selection": Delegate(_selection),
    }),
    "labels": Mapping(Text(pattern=re.compile(r"^-?\d+$"), hint='the cluster number, e.g. "0"'),
                      Section(LabelSpec, {}), what="key"),
    "report": Section(ReportSpec, {
        "date": Day(),
        "page_size": OneOf(PAGE_SIZES),
        "accent": Text(pattern=_HEX, hint='a colour such as "#1f4e79"'),
        "sections": Names(nullable=True, item=OneOf(_sections), example='["summary"]'),
        "projection": OneOf(("pca", "tsne", "umap")),
        "detail": OneOf(DETAILS),
    }),
    "migration": AllOf((
        Section(None, {"model": Text(pattern=re.compile(r"^.*\S.*\.json$", re.IGNORECASE),
                                     hint='the path of a model file written by --export-model, e.g. "model.json"'),
                       "from": Day(nullable=False), "to": Day(nullable=False)},
                required=("model", "from", "to"),
                example='{"model": "model.json", "from": "2024-03-31", "to": "2024-06-30"}'),
        Delegate(_migration_dates),
    )),
    "compute": Section(ComputeSpec, {
        "engine": OneOf(ENGINES),
        "spark_master": Text(pattern=re.compile(r"^\S+$"), hint='a Spark master URL such as "local[*]"'),
        "spark_conf": Mapping(Text(pattern=re.compile(r"^spark\.\S+$"), hint='a Spark setting such as '
                                   '"spark.executor.memory"'), Text()),
    }),
})


@dataclass
class Project:
    data: DataSpec = field(default_factory=DataSpec)
    features: FeatureSpec = field(default_factory=FeatureSpec)
    clustering: ClusteringSpec = field(default_factory=ClusteringSpec)
    labels: dict[int, LabelSpec] = field(default_factory=dict)
    report: ReportSpec = field(default_factory=ReportSpec)
    migration: MigrationSpec | None = None  # None: no "How segments moved" section
    compute: ComputeSpec = field(default_factory=ComputeSpec)

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
            "compute": asdict(self.compute),
        }
        d["clustering"]["k_range"] = list(self.clustering.k_range)
        if self.migration is not None:  # absent, not null: a project without one reads as before
            d["migration"] = self.migration.to_dict()
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, default=str)

    @classmethod
    def from_dict(cls, d: dict | None) -> Project:
        d = d or {}
        _expect(d, dict, "project file")
        schema.raise_problems(schema.check(d, SCHEMA))  # every problem at once, before anything is built
        data = _build(DataSpec, d.get("data", {}), "data")
        features = _build(FeatureSpec, d.get("features", {}), "features")
        clustering = _build(ClusteringSpec, d.get("clustering", {}), "clustering")
        report = _build(ReportSpec, d.get("report", {}), "report")
        labels_raw = d.get("labels", {}) or {}
        _expect(labels_raw, dict, "labels")
        labels = {}
        for key, value in labels_raw.items():
            labels[int(key)] = _build(LabelSpec, value, f"labels.{key}")
        raw = d.get("migration")
        migration = MigrationSpec(raw["model"], raw["from"], raw["to"]) if raw is not None else None
        compute = _build(ComputeSpec, d.get("compute", {}), "compute")
        project = cls(data, features, clustering, labels, report, migration=migration, compute=compute)
        project.clustering.k_range = tuple(project.clustering.k_range)
        return project

    @classmethod
    def load(cls, path: str | Path) -> Project:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8-sig")  # a byte-order mark (Windows editors) is not content
        except FileNotFoundError:
            raise InputError(f"Project file {p} does not exist; check the path.") from None
        except IsADirectoryError:
            raise InputError(f"Project file {p} is a folder; give the path of the project's .json file.") from None
        except UnicodeDecodeError:
            raise InputError(f"Project file {p} is not UTF-8 text; save it as UTF-8 JSON.") from None
        except OSError as exc:
            raise InputError(f"Project file {p} cannot be read ({exc.strerror or 'no access'}).") from None
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
        """Check every value against :data:`SCHEMA`; every problem is one sentence of one InputError."""
        schema.raise_problems(schema.check(self.to_dict(), SCHEMA))
        self.clustering.k_range = (int(self.clustering.k_range[0]), int(self.clustering.k_range[1]))

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
        if step == "report" and "migration" in d:  # the migration is part of the report
            upto.append("migration")
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


def _build(cls, raw, where):
    """The dataclass of a section already checked against SCHEMA (None: the defaults)."""
    return cls(**(raw or {}))
