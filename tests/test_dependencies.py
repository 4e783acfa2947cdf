"""Every library the application imports is one it declares: a fresh install (`pip install
-e .`, as `make demo` does) has it. A module imported when the application loads must come
from `[project].dependencies`; one imported inside a function may come from an optional extra
(PostgreSQL's driver, Spark), since only that path needs it, as may one imported under
`try: … except ImportError:` with its fallback. Imports for the type checker
(`if TYPE_CHECKING:`) are not run and are left out."""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "mhis"


def _names(requirements: list[str]) -> set[str]:
    return {
        re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements
    }


def _imports(tree: ast.AST):
    """(top-level module, loaded with the module?) for each import, skipping TYPE_CHECKING."""

    def walk(node: ast.AST, at_load: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from (x for n in child.orelse for x in walk_one(n, at_load))
                continue
            if isinstance(child, ast.Try) and any(
                "ImportError" in ast.unparse(h.type) for h in child.handlers if h.type
            ):  # an optional library, with its fallback: as if in a function
                yield from (x for n in child.body for x in walk_one(n, False))
                yield from (x for h in child.handlers for x in walk_one(h, at_load))
                continue
            yield from walk_one(child, at_load)

    def walk_one(node: ast.AST, at_load: bool):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], at_load
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], at_load
        inner = at_load and not isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
        )
        yield from walk(node, inner)

    yield from walk(tree, True)


def test_every_imported_library_is_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    required = _names(project["dependencies"])
    optional = set().union(*(_names(v) for v in project["optional-dependencies"].values()))
    providers = metadata.packages_distributions()
    undeclared = []
    for path in sorted(SOURCE.rglob("*.py")):
        for top, at_load in _imports(ast.parse(path.read_text(), str(path))):
            if top in sys.stdlib_module_names or top == "mhis":
                continue
            dists = {d.lower().replace("_", "-") for d in providers.get(top, [])}
            allowed = required if at_load else required | optional
            if not dists & allowed:
                where = "when loaded" if at_load else "in a function"
                undeclared.append(f"{path.relative_to(ROOT)}: {top} ({where}) from {dists}")
    assert not undeclared, "\n".join(undeclared)
