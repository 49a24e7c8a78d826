"""The engine is pure Python: importing every engine module never pulls in streamlit or umap."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import engine

ROOT = Path(__file__).resolve().parent.parent


def _engine_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(engine.__path__, "engine.") if not m.name.endswith("__main__"))


def test_engine_modules_import_without_streamlit_or_umap():
    modules = _engine_modules()
    assert "engine.analysis.steps" in modules and "engine.errors" in modules
    code = (
        "import sys, importlib\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'streamlit':\n"
        "            raise ImportError('engine must not import streamlit')\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "assert 'umap' not in sys.modules, 'umap imported at module load'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"


def test_no_engine_source_mentions_streamlit_import():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "engine").rglob("*.py")
        if any(line.lstrip().startswith(("import streamlit", "from streamlit")) for line in p.read_text().splitlines())
    ]
    assert offenders == []


def test_the_default_path_never_imports_pyspark():
    """pyspark is optional (requirements-spark.txt): every module outside engine.spark, and a whole local
    analysis of the bundled sample, run without importing it."""
    modules = [m for m in _engine_modules() if not m.startswith("engine.spark")]
    code = (
        "import sys, importlib\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('pyspark', 'py4j'):\n"
        "            raise ImportError('the default path must not import pyspark')\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "import engine.spark\n"
        "from engine.analysis.steps import build_features, load\n"
        "from engine.project import demo_project\n"
        "project = demo_project()\n"
        "assert project.compute.engine == 'local'\n"
        "build_features(project, load(project))\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"


# The folder list reads like the pipeline; a step may use the steps before it, never one after it.
LAYERS = ["loading", "features", "clustering", "views", "narrative", "report", "spark", "analysis", "model", "migration"]
SHARED = {"errors", "results", "project", "project_schema", "project_paths", "formatting", "synthetic"}  # below every step


def _layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS):
        return LAYERS.index(parts[1]) + 1 if parts[1] in LAYERS else 0
    name = parts[1] if len(parts) > 1 else ""
    return 0 if name in SHARED else len(LAYERS) + 1  # cli and __main__ sit on top


def test_no_step_imports_a_later_step_at_module_level():
    import ast

    upward = []
    for path in sorted((ROOT / "engine").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.parse(path.read_text()).body:  # module level only: a lazy import inside a function is allowed
            if (isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("engine.")
                    and _layer(node.module) > _layer(module)):
                upward.append(f"{module} imports {node.module}")
    assert upward == []


def test_the_layers_are_the_engine_folders():
    folders = {p.name for p in (ROOT / "engine").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(LAYERS)
    loose = {p.stem for p in (ROOT / "engine").glob("*.py")} - {"__init__", "__main__", "cli"}
    assert loose == SHARED
