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
    assert "engine.pipeline" in modules and "engine.errors" in modules
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
