"""The package's shape (docs/architecture.md): arrows run one way through the layers declared
in pyproject.toml, no import cycles, no function-local imports of the package's own modules,
no module over 700 lines — measured from the code's own imports, not asserted by hand."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import structure  # noqa: E402


@pytest.fixture(scope="module")
def shape():
    return structure.read()


def test_the_layers_hold():
    """import-linter's layers contract (pyproject.toml [tool.importlinter]): a module imports
    only from layers below its own, modules on one line do not import each other."""
    pytest.importorskip("importlinter")
    done = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
                           "sys.argv = ['lint-imports', '--no-cache']; lint_imports_command()"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


def test_no_import_cycles(shape):
    assert shape.cycles() == []


def test_no_function_local_imports_of_own_modules(shape):
    assert shape.local == []


def test_no_module_over_700_lines(shape):
    assert {m: n for m, n in shape.sizes().items() if n > structure.MAX_LINES} == {}


def test_the_reader_sees_what_it_should(tmp_path):
    """The measuring stick itself: a cycle and a local import in a two-module package are found."""
    package = tmp_path / "kefu_xl"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("def f():\n    from . import a\n    return a\n")
    shape = structure.read(package)
    assert shape.cycles() == [["kefu_xl.a", "kefu_xl.b"]]
    assert shape.local == [("kefu_xl.b", 2, "kefu_xl.a")]


def test_kinds_never_reach_up(shape):
    """A kind never imports the use cases (app), collect, the demo or the CLI: what it needs from
    other files reaches it through RecalcContext (app/collect provides the personal workbooks)."""
    up = [(m, t) for m, targets in shape.arrows.items() if m.startswith("kefu_xl.kinds.")
          for t in targets if t.startswith(("kefu_xl.app", "kefu_xl.cli", "kefu_xl.demo", "kefu_xl.present"))]
    assert up == []
