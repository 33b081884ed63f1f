"""The licensing modules are pure: they import only the standard library, each other and the
pure pricing module, so they can be reasoned about and tested without Django."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

LICENSING = Path(__file__).resolve().parent.parent
MODULES = ["engine", "regions", "licences", "document", "odrl", "describe", "labels", "i18n"]
ALLOWED = {"steward.payments.pricing"}


@pytest.mark.parametrize("name", MODULES)
def test_imports_are_stdlib_or_pure_siblings(name):
    tree = ast.parse((LICENSING / f"{name}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            # A relative import: only the pure modules of this package.
            assert node.module in MODULES, f"{name} imports .{node.module}"
            continue
        if isinstance(node, ast.ImportFrom):
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        for module in modules:
            top = module.split(".")[0]
            assert top in sys.stdlib_module_names or module in ALLOWED, f"{name} imports {module}"


@pytest.mark.parametrize("name", MODULES)
def test_importing_loads_no_django(name):
    code = (
        "import sys\n"
        f"import steward.licensing.{name}\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not loaded, loaded\n"
    )
    root = LICENSING.parent.parent
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
