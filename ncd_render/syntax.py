"""The syntax tree of a .ncd file: small frozen dataclasses, each knowing where in the file it
came from (its :class:`~ncd_render.errors.Span`). :mod:`ncd_render.parse` makes them.

The records keep their fields in slots (their spans are named tuples), with no ``__dict__`` each: the
diagram holds its program to the end, and a 10,000-box program's tree and spans took 44 MB that way, 28 MB so."""
from __future__ import annotations

from dataclasses import field
from fractions import Fraction

from .errors import Source, Span
from .records import record



@record(slots=True)
class Name:
    name: str
    span: Span


@record(slots=True)
class AxisRef:
    """One axis as written in a shape or spec: ``m`` or a group ``(r c)``."""

    names: tuple[str, ...]
    span: Span

    @property
    def grouped(self) -> bool:
        return len(self.names) > 1

    def __str__(self) -> str:
        return self.names[0] if len(self.names) == 1 else "(" + " ".join(self.names) + ")"


@record(slots=True)
class SizeInt:
    value: int
    span: Span


@record(slots=True)
class SizeRef:
    name: str
    span: Span


@record(slots=True)
class SizeOp:
    op: str
    left: "SizeExpr"
    right: "SizeExpr"
    span: Span


SizeExpr = SizeInt | SizeRef | SizeOp


def size_names(size: SizeExpr) -> list[str]:
    """The axes a size expression reads, in the order written (``c + r`` reads c, then r)."""
    if isinstance(size, SizeRef):
        return [size.name]
    return size_names(size.left) + size_names(size.right) if isinstance(size, SizeOp) else []


@record(slots=True)
class Title:
    text: str
    span: Span


@record(slots=True)
class Depth:
    value: int
    span: Span


@record(slots=True)
class Convolutions:
    """``convolutions compact``: draw each unfold and the map after it as one ★k box."""

    form: str  # "compact" | "explicit"
    span: Span


@record(slots=True)
class AxisDecl:
    name: str
    size: SizeExpr | None
    width: bool
    span: Span


@record(slots=True)
class Tandem:
    name: str
    axes: tuple[str, ...]
    span: Span


@record(slots=True)
class CheckSizes:
    """``check y=5, x=6``: the sizes ``ncd check`` runs the diagram at unless told otherwise."""

    sizes: tuple[tuple[str, int], ...]
    span: Span


@record(slots=True)
class TensorDecl:
    name: str
    axes: tuple[AxisRef, ...]
    dtype: str
    span: Span


@record(slots=True)
class Input:
    tensors: tuple[TensorDecl, ...]
    span: Span


@record(slots=True)
class Output:
    names: tuple[Name, ...]
    span: Span


@record(slots=True)
class Delete:
    names: tuple[Name, ...]
    span: Span


@record(slots=True)
class Return:
    names: tuple[Name, ...]
    span: Span


@record(slots=True)
class Save:
    name: Name
    store: str
    span: Span


@record(slots=True)
class Repeat:
    """``repeat N ["title"] ... end``: the body applied N times in sequence."""

    times: int
    title: str | None
    body: tuple
    span: Span
    number: int = 0  # its place among the file's sections and repeats (Section.number)


@record(slots=True)
class Spec:
    """``inputs -> outputs``; ``outputs`` is None when there is no arrow."""

    inputs: tuple[tuple[AxisRef, ...], ...]
    outputs: tuple[tuple[AxisRef, ...], ...] | None
    span: Span


@record(slots=True)
class Scale:
    """A constant factor: a number, an axis size, or an axis size to a power; ``divide``: written
    after ``/``, its reciprocal. After a tensor (``X * G``, ``X / G``), ``axis`` may name a tensor:
    an element-wise product or quotient."""

    text: str
    number: float | None
    axis: str | None
    exponent: Fraction
    span: Span
    divide: bool = False


@record(slots=True)
class Option:
    name: str
    value: str | float | tuple[float, ...] | None  # a tuple: one number per width axis
    span: Span
    text: str | None = None  # the value as written


@record(slots=True)
class Call:
    fn: Name
    args: tuple[Name, ...]
    spec: Spec | None
    options: tuple[Option, ...]
    scale: Scale | None
    span: Span


@record(slots=True)
class Add:
    """``A + B + C``, or ``A - B`` (``subtract``: the second term taken from the first)."""

    terms: tuple[Name, ...]
    span: Span
    subtract: bool = False


@record(slots=True)
class Offset:
    """``X + 1``, ``X - 1``, ``1 + X`` or ``1 - X``: ``number`` added to the tensor ``arg``, or, ``negate``, the
    tensor taken from it (``1 - X``). ``text`` is the number as written, ``number`` its value as added
    (``X - 1`` adds -1)."""

    arg: Name
    text: str
    number: float
    negate: bool
    span: Span


@record(slots=True)
class Alias:
    """``Y = X``: a second name for the tensor X."""

    arg: Name
    span: Span


@record(slots=True)
class Scaled:
    arg: Name
    scale: Scale
    span: Span


@record(slots=True)
class Assign:
    targets: tuple[Name, ...]
    expr: Call | Add | Offset | Scaled | Alias
    label: str | None
    span: Span


@record(slots=True)
class Section:
    """``section "Title" [fused] ... end``; a fused section is costed as one kernel."""

    title: str
    body: tuple
    span: Span
    fused: bool = False
    # its place among the file's sections and repeats, in reading order from 0: the colour its
    # panel takes in every layout of the file, whichever statements a layout builds together
    number: int = 0


@record(slots=True)
class Block:
    name: str
    params: tuple[TensorDecl, ...]
    body: tuple
    span: Span
    number: int = 0  # its place among the file's components, in reading order from 0


Statement = Title | Depth | Convolutions | AxisDecl | Tandem | CheckSizes | Input | Output | Delete | Save | Return | Assign | Section | Repeat | Block


@record(slots=True)
class Program:
    source: Source
    statements: tuple = field(default_factory=tuple)
    sections: int = 0  # how many sections and repeats the file has (an expanded call's colour comes after theirs)

    @property
    def title(self) -> str | None:
        return next((s.text for s in self.statements if isinstance(s, Title)), None)

    @property
    def depth(self) -> int | None:
        """The drawing depth the file asks for, if any."""
        return next((s.value for s in self.statements if isinstance(s, Depth)), None)

    @property
    def convolutions(self) -> str:
        """How the file asks its convolutions drawn: ``explicit`` (★ then the map, the default) or ``compact`` (one ★k box)."""
        return next((s.form for s in self.statements if isinstance(s, Convolutions)), "explicit")

    @property
    def check_sizes(self) -> CheckSizes | None:
        """The file's ``check`` line, if any."""
        return next((s for s in self.statements if isinstance(s, CheckSizes)), None)
