"""Measure the import structure of `mhis`: cycles, upward imports, imports of another app
made inside functions.

    PYTHONPATH=src .venv/bin/python scripts/import_layers.py [--verbose]

Cycles are counted at two levels with grimp (the graph import-linter reads): between the
top-level modules of `mhis` (`mhis.registry`, `mhis.crypto`, …; a package stands for all its
files) and between the files (every module, a cycle being a strongly connected group of more
than one file). Imports under `if TYPE_CHECKING:` are left out: they are not run. Upward
imports are imports from a file to a file of a higher layer in `LAYERS`, counted once per
(importer, imported) pair; imports between two top-level modules of one layer are counted
apart (the layers contract forbids them too). Function-level imports are the `import` and
`from … import` statements inside a function body that name another top-level module of
`mhis` (read with `ast`).

The exit status is 0 when there is no cycle, no upward or sideways import and every
top-level module is in a layer; 1 otherwise.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
import tomllib
from pathlib import Path

import grimp

PACKAGE = "mhis"

# Lowest first: the `layers` contract of pyproject.toml ([tool.importlinter]), which
# lint-imports enforces, read from there so that the two cannot disagree.
_CONTRACTS = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
LAYERS = [
    {name.strip() for name in layer.split("|")}
    for layer in reversed(next(c for c in _CONTRACTS["tool"]["importlinter"]["contracts"] if c["id"] == "layers")["layers"])
]  # fmt: skip


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None
    for index, names in enumerate(LAYERS):
        if parts[1] in names:
            return index
    return None


def top(module: str) -> str:
    return ".".join(module.split(".")[:2])


def strongly_connected(nodes, edges) -> list[list[str]]:
    """Tarjan's groups of more than one node (iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return sorted(groups)


def function_level_imports(root: Path) -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        relative = path.relative_to(root.parent).with_suffix("")
        module = ".".join(relative.parts).removesuffix(".__init__")
        own = top(module)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                names = []
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                for name in names:
                    if name.split(".")[0] == PACKAGE and top(name) not in (own, PACKAGE):
                        found.append((module, node.lineno, name))
    return sorted(set(found))


def measure(verbose: bool = False) -> dict[str, int]:
    # Imports under `if TYPE_CHECKING:` only name types for the checker: they are not run.
    graph = grimp.build_graph(PACKAGE, cache_dir=None, exclude_type_checking_imports=True)
    modules = {m for m in graph.modules if m != PACKAGE}
    file_edges: dict[str, set[str]] = {}
    top_edges: dict[str, set[str]] = {}
    upward, sideways = [], []
    for importer in modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            if imported == PACKAGE or not imported.startswith(PACKAGE + "."):
                continue
            file_edges.setdefault(importer, set()).add(imported)
            a, b = top(importer), top(imported)
            if a != b:
                top_edges.setdefault(a, set()).add(b)
            la, lb = layer_of(importer), layer_of(imported)
            if la is not None and lb is not None and lb > la:
                upward.append((importer, imported))
            elif la is not None and la == lb and a != b:
                sideways.append((importer, imported))
    tops = {top(m) for m in modules}
    top_cycles = strongly_connected(tops, top_edges)
    file_cycles = strongly_connected(modules, file_edges)
    unplaced = sorted(m for m in tops if layer_of(m) is None)
    inner = function_level_imports(Path(importlib.util.find_spec(PACKAGE).origin).parent)
    print(f"cycles between top-level modules: {len(top_cycles)}")
    for group in top_cycles:
        print("   ", " ⇄ ".join(m.removeprefix("mhis.") for m in group))
    print(f"cycles between files: {len(file_cycles)}")
    for group in file_cycles:
        print(f"    ({len(group)} files)", " ⇄ ".join(m.removeprefix("mhis.") for m in group))
    print(f"upward imports: {len(upward)}")
    for importer, imported in sorted(upward):
        print(f"    {importer} → {imported}")
    print(f"imports between modules of one layer: {len(sideways)}")
    for importer, imported in sorted(sideways):
        print(f"    {importer} → {imported}")
    print(f"imports of another app inside functions: {len(inner)}")
    if verbose:
        for module, line, name in inner:
            print(f"    {module}:{line} {name}")
    if unplaced:
        print("not in a layer:", ", ".join(unplaced))
    return {
        "top_cycles": len(top_cycles),
        "file_cycles": len(file_cycles),
        "upward": len(upward),
        "sideways": len(sideways),
        "inner": len(inner),
        "unplaced": len(unplaced),
    }


if __name__ == "__main__":
    counts = measure(verbose="--verbose" in sys.argv)
    failing = ("top_cycles", "file_cycles", "upward", "sideways", "unplaced")
    sys.exit(1 if any(counts[name] for name in failing) else 0)
