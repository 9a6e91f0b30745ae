"""What the browser view shows for one state of a .ncd file: the figure, what each
box and wire means, the cost report and its notes; or the compiler's message.

:func:`view` never raises for a mistake in the file: the page keeps its last good
figure and shows the message over it.

>>> v = view("axis m = 4\\ninput X[m]\\nY = relu(X)\\noutput Y\\n", "demo.ncd")
>>> v["ok"], sorted(v["axes"].items()), [op["statement"] for op in v["ops"].values() if op["kind"] == "relu"]
(True, [('m', 4)], ['Y = relu(X)'])
>>> bad = view("axis m = 4\\ninput X[z]\\noutput X\\n", "demo.ncd")
>>> print(bad["error"])
demo.ncd:2:9: unknown axis 'z'
    2 | input X[z]
      |         ^
hint: declare it with 'axis z = SIZE'
"""
from __future__ import annotations

from ..figure import Figure, paused_gc
from ..cost import DTYPE_BYTES, analyse, bundled, load_profile
from ..errors import NcdError
from ..ir import Diagram, build
from ..parse import AxisDecl, SizeInt
from ..sources import program_from_text
from .costdata import notes, report_data

HIDDEN = ("input", "output", "copy", "delete")  # drawn as wires and dots, not boxes


def view(text: str, name: str, hw: str = "a100-80gb", dtype: str = "bf16", sizes: dict[str, int] | None = None,
         toggle: frozenset[tuple[int, int]] = frozenset(), theme: str = "paper", layout: str = "paper") -> dict:
    """The page's data for ``text`` (shown as file ``name``) at these settings."""
    try:
        data, diagram = figure_view(text, name, sizes, toggle, theme, layout)
    except NcdError as error:
        return {"ok": False, "error": str(error)}
    return {**data, **cost_view(diagram, hw, dtype, name)}


def figure_view(text: str, name: str, sizes: dict[str, int] | None = None, toggle: frozenset[tuple[int, int]] = frozenset(),
                theme: str = "paper", layout: str = "paper") -> tuple[dict, Diagram]:
    """The figure and what its boxes and wires mean; NcdError for a mistake in the file."""
    with paused_gc():
        program = program_from_text(text, name)
        figure = Figure(build(program, sizes=sizes, toggle=toggle), theme=theme, layout=layout)
        svg = figure.svg().decode("utf-8")
    diagram = figure.diagram
    data = {"ok": True, "file": name, "title": diagram.title or "", "svg": svg,
            "axes": {a.name: a.size for a in diagram.axes.values()},
            "settable": settable(program.statements),
            "ops": {str(op.id): _op(diagram, op) for op in diagram.ops if op.kind not in HIDDEN},
            "components": _components(diagram),
            "sizes": dict(sizes or {}), "toggle": [f"{line}:{col}" for line, col in sorted(toggle)],
            "profiles": bundled(), "dtypes": list(DTYPE_BYTES)}
    return data, diagram


def cost_view(diagram: Diagram, hw: str, dtype: str, name: str = "") -> dict:
    """The cost report and its notes on one profile and dtype; a mistake (a fused section that
    does not fit in shared memory, an axis without a size) is the report's error, under the figure."""
    data = {"hw": hw, "dtype": dtype, "cost": None, "cost_error": None, "notes": []}
    try:
        report = analyse(diagram, load_profile(hw), dtype)
    except NcdError as error:
        data["cost_error"] = str(error)
        return data
    data["cost"] = report_data(diagram, report, name)
    data["notes"] = notes(report)
    return data


def settable(statements) -> list[str]:
    """The axes the page lets one size: declared without a size, or with a plain number."""
    return [s.name for s in statements if isinstance(s, AxisDecl) and (s.size is None or isinstance(s.size, SizeInt))]


def _op(diagram: Diagram, op) -> dict:
    """A box: its statement and line, the shapes it takes and makes, the component it belongs to."""
    span = op.span
    return {"id": op.id, "name": op.name, "kind": op.params.get("fn", op.kind), "label": op.label or "",
            "line": span.line if span else None, "statement": span.source.line(span.line).strip() if span else "",
            "inputs": [_tensor(diagram, v) for v in op.inputs], "outputs": [_tensor(diagram, v) for v in op.outputs],
            "component": _component_key(diagram, op), "collapsed": op.kind == "call"}


def _tensor(diagram: Diagram, value: int) -> dict:
    v = diagram.values[value]
    return {"name": v.name, "axes": list(v.axes), "shape": list(diagram.shape(value)), "dtype": v.dtype}


def _key(span) -> str:
    return f"{span.line}:{span.column}"


def _component_key(diagram: Diagram, op) -> str | None:
    """The component call a box belongs to: the call itself when collapsed, else the innermost expanded one."""
    if op.kind == "call":
        return _key(op.span)
    inner = [s for s in diagram.section_path(op.section) if diagram.sections[s].kind == "block"]
    return _key(diagram.sections[inner[-1]].span) if inner else None


def _components(diagram: Diagram) -> dict:
    """Every component call, expanded (a block section) or collapsed (a call box), by the place of its call."""
    found = {_key(s.span): {"title": s.title, "line": s.span.line, "collapsed": False}
             for s in diagram.sections.values() if s.kind == "block" and s.span}
    found.update({_key(op.span): {"title": op.label or op.params.get("block", ""), "line": op.span.line, "collapsed": True}
                  for op in diagram.ops if op.kind == "call" and op.span})
    return found
