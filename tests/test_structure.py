"""The package's shape: small modules, imports that flow one way, no name that hides a module.

Read from the source with ``ast`` (every import counts: at the top, inside a function, or under
``TYPE_CHECKING``), so a lazy import that runs back up is caught as surely as a top-level one.
"""
import ast
import importlib
import pkgutil
import types
from pathlib import Path

import networkx as nx

import ncd_render

PACKAGE = Path(ncd_render.__file__).parent
MAX_LINES = 500
# public names older than the rule: ncd_render.render (the function) and ncd_render.cost.badges
PUBLIC_SHADOWS = {("ncd_render", "render"), ("ncd_render.cost", "badges")}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    base = PACKAGE.parent / name.replace(".", "/")
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def import_graph() -> nx.DiGraph:
    """Module -> the ncd_render modules it imports (``from .x import f`` names ``.x``; ``from . import y``, ``.y``)."""
    graph = nx.DiGraph()
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        graph.add_node(name)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                source = ".".join(base + ([node.module] if node.module else []))
                targets = [f"{source}.{a.name}" for a in node.names if _is_module(f"{source}.{a.name}")]
                if len(targets) < len(node.names):
                    targets.append(source)
            else:
                continue
            graph.add_edges_from((name, t) for t in targets if t.startswith("ncd_render") and t != name)
    return graph


def test_the_graph_reader_sees_lazy_imports():
    graph = import_graph()
    assert graph.has_edge("ncd_render.api", "ncd_render.serve.export")  # imported inside _repr_html_
    assert graph.has_edge("ncd_render.layout", "ncd_render.layout.choice")
    assert graph.has_edge("ncd_render.errors", "ncd_render.chars")


def test_imports_flow_one_way():
    cycle = next(nx.simple_cycles(import_graph()), None)
    assert cycle is None, "an import runs back up: " + " -> ".join(cycle + cycle[:1])


def test_no_module_is_over_500_lines():
    long = {_module_name(p): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_no_package_name_hides_one_of_its_modules():
    """``from .order import order`` in a package's __init__ would make ``ncd_render.layout.order`` the
    function: ``import ncd_render.layout.order as o`` and doctest collection would then find it, not the module."""
    hidden = set()
    packages = [ncd_render] + [importlib.import_module(m.name) for m in pkgutil.walk_packages(ncd_render.__path__, "ncd_render.")
                               if m.ispkg]
    for package in packages:
        for sub in pkgutil.iter_modules(package.__path__):
            value = getattr(package, sub.name, None)
            if value is not None and not isinstance(value, types.ModuleType):
                hidden.add((package.__name__, sub.name))
    assert hidden == PUBLIC_SHADOWS
