"""The house keeps one direction: no import circle among the planner's modules.

Every import counts, at the top of a module or inside a function (a lazy import hides a circle
from Python, not from a reader). Core modules never import the command line or the app.
"""

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]


def _modules() -> dict[str, Path]:
    out = {}
    for p in (ROOT / "planner").rglob("*.py"):
        parts = list(p.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _owner(name: str, modules: dict) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> nx.DiGraph:
    """Module → every planner module it imports (a name from a package: the package)."""
    modules = _modules()
    g = nx.DiGraph()
    for mod, path in modules.items():
        g.add_node(mod)
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                targets = [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            for target in targets:
                owner = _owner(target, modules) if target.startswith("planner") else None
                if owner and owner != mod:
                    g.add_edge(mod, owner)
    return g


def test_the_walker_sees_lazy_and_package_imports():
    g = import_graph()
    assert g.has_edge("planner.session", "planner.record")  # inside a function
    assert g.has_edge("planner.plan", "planner.plan.edits")  # a package's re-export
    assert g.has_edge("planner.optimize.model", "planner.optimize.feasible")
    assert len(g) > 80


def test_no_import_circle():
    circles = [sorted(c) for c in nx.strongly_connected_components(import_graph()) if len(c) > 1]
    assert circles == []


def test_core_never_imports_the_edges():
    g = import_graph()
    edges = {"planner.cli", "planner.cli.commands", "planner.cli.parser", "planner.cli.__main__"}
    core = [m for m in g if m not in edges and m != "planner.serve"]
    assert [(m, n) for m in core for n in g.successors(m) if n in edges] == []
    for p in (ROOT / "planner").rglob("*.py"):
        assert "app_pages" not in p.read_text(encoding="utf-8"), p


def test_batch_and_validate_are_packages_of_roles():
    for pkg, roles in {"batch": {"options", "inputs", "county", "table", "cluster", "run"},
                       "validate": {"cells", "layers", "tables", "stores"}}.items():
        folder = ROOT / "planner" / pkg
        assert {p.stem for p in folder.glob("*.py")} == roles | {"__init__"}
        assert max(len(p.read_text().splitlines()) for p in folder.glob("*.py")) < 400
