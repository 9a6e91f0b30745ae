"""The diagram model every back-end reads: axes, values (tensors, each a tuple of axis names,
top to bottom), ops (boxes and wirings in composition order) and sections.

Every value is consumed exactly once (copies are ``copy`` ops and unused values end in
``delete`` ops), which is what makes the diagram a string diagram that can be laid out wire by
wire. :func:`ncd_render.ir.build` makes one from a program.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Callable, Mapping

from . import parse as ast
from .errors import Span
from .records import record

if TYPE_CHECKING:
    import networkx as nx


@record
class Axis:
    """A named axis. ``size`` is None when only symbolic; width axes get an overline."""

    name: str
    size: int | None
    width: bool
    span: Span | None

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.name[1:-1].split()) if self.name.startswith("(") else (self.name,)


@record
class Value:
    """One tensor: a name from the source and its axes (wires), top to bottom."""

    id: int
    name: str
    axes: tuple[str, ...]
    dtype: str
    span: Span | None


@record
class Section:
    """A titled part of the diagram: a ``section`` or an expanded component call.

    A ``fused`` section is one kernel for the cost model: its intermediates stay on chip.
    """

    id: int
    title: str
    kind: str  # "section" | "block" | "repeat"
    parent: int | None
    depth: int
    span: Span | None
    fused: bool = False
    times: int = 1  # a "repeat" section runs its body this many times, each with its own weights
    carried: tuple[tuple[int, int], ...] = ()  # (value entering, value leaving) each time round
    # which of the theme's section colours its panel takes: a section's or repeat's place among the
    # file's (syntax.Section.number), a call's after all of theirs by its component's place, so one
    # section has one colour in every layout of the file, a page's parts and definitions included
    colour: int = 0


@record
class Op:
    """A box (or a wiring such as einsum, copy, add) in the diagram.

    ``acts[i]`` are the axes of input i the base function depends on;
    ``broadcast`` are the axes that pass by untouched.
    """

    id: int
    kind: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    acts: tuple[tuple[str, ...], ...] = ()
    broadcast: tuple[str, ...] = ()
    label: str | None = None
    learned: bool = False
    params: Mapping = field(default_factory=lambda: MappingProxyType({}))
    section: int | None = None
    span: Span | None = None

    @property
    def name(self) -> str:
        """A stable identifier for the box (used for parameters and cost rows)."""
        return self.params.get("name") or f"{self.kind}{self.id}"


@dataclass
class Diagram:
    source: ast.Program
    axes: dict[str, Axis]
    values: dict[int, Value]
    ops: list[Op]
    sections: dict[int, Section]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    tandems: dict[str, str] = field(default_factory=dict)  # axis -> the name of its tandem group
    expand: Callable[[], Diagram] | None = field(default=None, repr=False)  # builds the diagram with every call expanded
    # section -> the run of parallel sections it is drawn stacked with, in shared columns (drawing only:
    # :func:`ncd_render.layout.parallel.stack` sets it)
    stacks: dict[int, int] = field(default_factory=dict)
    # the tensor drawn for the axes every tensor has, passing the whole figure (drawing only: :mod:`ncd_render.layout.through`)
    through: int | None = None

    @cached_property
    def full(self) -> Diagram | None:
        """With components drawn collapsed, the same diagram with every call expanded (built on first
        use: drawing never needs it); None when nothing is collapsed."""
        return self.expand() if self.expand is not None else None

    @property
    def title(self) -> str | None:
        return self.source.title

    def shape(self, value: int) -> tuple[int | None, ...]:
        return tuple(self.axes[a].size for a in self.values[value].axes)

    def producer(self, value: int) -> Op:
        return self._producers[value]

    def consumer(self, value: int) -> Op | None:
        """The op that uses ``value`` (each value has one), or None for an output."""
        return self._consumers.get(value)

    @cached_property
    def _producers(self) -> dict[int, Op]:
        return {v: op for op in self.ops for v in op.outputs}

    @cached_property
    def _consumers(self) -> dict[int, Op]:
        return {v: op for op in self.ops for v in op.inputs}

    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        """Ops as nodes, values as edges keyed by value id, and an edge from each save to its loads."""
        import networkx as nx  # here only: nothing that draws a diagram reads the graph

        graph = nx.MultiDiGraph()
        for op in self.ops:
            graph.add_node(op.id, op=op)
            for v in op.inputs:
                graph.add_edge(self.producer(v).id, op.id, key=v)
            if op.id in self.stored:  # the stored tensor travels from the save to the load
                graph.add_edge(self.stored[op.id], op.id, key=("store", op.params["store"]))
        return graph

    @cached_property
    def stored(self) -> dict[int, int]:
        """Each load op's save op (the builder makes both: ``save X as C`` ... ``load(C)``)."""
        saves = {op.params["store"]: op.id for op in self.ops if op.kind == "save"}
        return {op.id: saves[op.params["store"]] for op in self.ops if op.kind == "load"}

    def section_path(self, section: int | None) -> tuple[int, ...]:
        """Section ids from the outermost to ``section``."""
        path = []
        while section is not None:
            path.append(section)
            section = self.sections[section].parent
        return tuple(reversed(path))


# ----------------------------------------------------------------------------
