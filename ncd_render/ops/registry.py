"""The registry of op kinds: one :class:`OpKind` per DSL function (or syntax form), declaring
everything the back-ends need about it in one place.

Each module of :mod:`ncd_render.ops` registers its kinds with :func:`register`; back-ends
never match on kind strings, they ask :func:`of` for an op's entry and call what it declares:

* ``build(b, call, options, scope, label)``: the shape rule, run by the IR builder ``b``
  (returns the ids of the values made); ``options`` maps option names to their typed
  :class:`~ncd_render.options.Kind`;
* ``glyph``: how the box is drawn (``box``, ``mark``, ``join``, ``softmax``, ``norm``,
  ``bar``, ``wiring``, ``cap`` or ``none``) and ``hold``, which wires its box holds
  (``acts``, ``through``, ``lookup``, ``all`` or ``none``); ``label(op)`` gives ``(text, size, bold)``;
  ``taper(op)`` draws a box as the paper's trapezoid (``narrow`` for a stride, ``widen`` for a transposition);
* ``cost(op, c)``: a :class:`~ncd_render.ops.work.Work` from the cost back-end's context ``c``;
  and the kernel facts the cost model's timing asks of a box (never its kind's name):
  ``gemm(diagram, op)``, the box as a tensor-core GEMM ``(batch, M, N, K)`` or None;
  ``special``, special-function results (exp, reciprocal, tanh) per output element;
  ``rescalable``, whether it commutes with a positive rescaling (``f(c·x) = c·f(x)``), so an
  online-softmax correction passes through it; ``causal(op)``, the (query, key) axes of a
  causal pattern whose blocks a fused kernel skips, and its sliding window (or None); ``routes(op)``, ``(axis, k)`` of a gate
  that sends each item to k indices of the axis; ``framework_kernel(op)``, the name of the framework's kernel that runs it unfused, whose measured
  instruction counts :mod:`ncd_render.cost.framework_kernels` holds (None: none measured);
  ``commutes``, whether a join's operands may trade places (the layout runs a sum on along its topmost operand);
  ``broadcasts``, whether a framework runs it as one element-wise kernel over its output with an
  operand expanded along the axes it lacks (PyTorch's binary ops: ``X * G``, a layer scale);
  ``strided_copy``, whether, when it runs a kernel at all, that kernel is a framework's copy of a
  strided view (PyTorch's ``contiguous()`` of a permutation, a rearrange that is not a view); ``clones``,
  whether, run out of place, it copies its first operand first (PyTorch's ``masked_fill``: clone, then
  ``masked_fill_``);
* ``parameters(op)`` and ``initial(op, name)``: its learned tensors and how they start;
  and what ``ncd check`` asks to choose integer ids: ``keeps_ids``, whether ids pass through
  it unchanged (a copy, rename, rearrange or index), and ``vocabulary(op)``, the axis whose
  size is how many ids it looks up (an embedding's rows); ``reads_flags``, which operand it reads as
  flags (``mask(S, M)``'s M), the one place, besides moving them, that a boolean input may go;
* ``run(op, box, xs, rt)``: how it runs in torch (``rt`` lends ``torch``, ``nn``, ``einops``,
  ``functional``, ``patterns``); ``source(op, w, target)``: how it is written as PyTorch
  source, ``(lines before, expression, precedence, comment)``;
* ``example``: a statement for the conformance test (tests/test_ops_conformance.py).

An op whose kind is not registered is an error, never a default:

>>> from ncd_render.ir import Op
>>> of(Op(0, "warp", (), ()))
Traceback (most recent call last):
...
ncd_render.errors.NcdError: no op kind 'warp' is registered
hint: every kind lives in a module of ncd_render/ops/
"""
from __future__ import annotations

from dataclasses import field
from types import MappingProxyType
from typing import Callable, Mapping

from ..errors import NcdError
from ..records import record

# Precedence of a written expression, for parentheses when one is written inside another.
ADD, MUL, ATOM = 1, 2, 3
GLYPHS = {"box", "mark", "join", "softmax", "norm", "bar", "wiring", "cap", "none"}
HOLDS = {"acts", "through", "lookup", "all", "none"}


def default_label(op):
    """A learned box's bold label (L by default); any other box's label, or its kind."""
    return (op.label or "L", 1.0, True) if op.learned else (op.label or op.kind, 0.9, False)


def no_parameters(op) -> dict:
    return {}


@record
class OpKind:
    """Everything about one op kind. ``key`` is the DSL name (or, for ops written as syntax such
    as ``A + B``, the IR kind); ``kind`` is the :attr:`~ncd_render.ir.Op.kind` it builds."""

    key: str
    kind: str
    build: Callable | None = None
    options: Mapping = field(default_factory=lambda: MappingProxyType({}))
    glyph: str | Callable | None = None
    hold: str | None = None
    label: Callable | None = default_label
    cost: Callable | None = None
    parameters: Callable = no_parameters
    initial: Callable | None = None
    check: Callable | None = None  # (op, torch patterns): what it needs of the sizes before it can run
    run: Callable | None = None
    source: Callable | None = None
    reads_twice: bool | Callable = False  # its source reads its argument twice (so it is never written inline)
    at_cup: bool = False  # right after a contraction, written at its cup instead of drawn (a scale)
    fill: str = "box"  # the theme's fill for its box: "box", "mask" or "star" (the convolution tensor)
    pictogram: tuple | None = None  # drawn instead of a label: path points in units of the box's half size
    taper: Callable | None = None  # (op) -> "narrow", "widen" or None: a trapezoid for a stride (narrowing) or a transposition (widening)
    example: str | None = None
    in_dsl: bool = True  # called by name in the DSL (False: built by syntax or by the builder itself)
    runs: bool = True  # False: a box with no meaning to run or cost (opaque), refused before those back-ends
    free: bool = False  # runs no kernel and is no box: inputs, outputs, copies, deletes, saves, loads
    declares: bool = False  # declares the diagram's inputs or outputs: no statement of its computation
    gemm: Callable | None = None  # (diagram, op) -> (batch, M, N, K) on tensor cores, or None
    special: int = 0  # special-function results per output element (exp, reciprocal, tanh)
    rescalable: bool | Callable = False  # f(c·x) = c·f(x) for c > 0 (the online softmax may rescale after it)
    causal: Callable | None = None  # op -> (query axis, key axis, window or None) of a causal pattern
    routes: Callable | None = None  # op -> (axis, k): each item goes to k indices of the axis
    framework_kernel: Callable | None = None  # op -> the name of the framework's kernel that runs it (cost.framework_kernels)
    broadcasts: bool = False  # one element-wise kernel over the output, an operand expanded (stride 0) where it lacks axes
    strided_copy: bool = False  # its kernel, when it has one, copies a strided view (PyTorch's element-by-element loop)
    clones: bool = False  # run out of place, it copies its first operand before writing into it (at::masked_fill's clone)
    keeps_ids: bool = False  # its outputs hold its input's values, moved or picked: integer ids pass through unchanged
    reads_flags: int | None = None  # the operand it reads as flags (a boolean input), a mask's; flags go into no other
    vocabulary: Callable | None = None  # op -> the axis whose size is how many ids it looks up (a table's rows)
    permutes: bool | Callable = False  # wiring that reorders its operands' axes into its output's (a contraction, a transpose)
    commutes: bool = False  # a join whose operands may trade places (a sum, a product; not a quotient)
    idle: Callable | None = None  # (diagram, op) -> which of its options makes no difference at the diagram's sizes, or None
    compacts: Callable | None = None  # (diagram, op, the op after it) -> one ★ box drawing both (ncd_render.layout.compact), or None

    def glyph_of(self, op) -> str:
        glyph = self.glyph if self.glyph is not None else self.need("glyph")
        return glyph(op) if callable(glyph) else glyph

    def rescalable_of(self, op) -> bool:
        return self.rescalable(op) if callable(self.rescalable) else self.rescalable

    def permutes_of(self, op) -> bool:
        return self.permutes(op) if callable(self.permutes) else self.permutes

    def reads_twice_of(self, op) -> bool:
        return self.reads_twice(op) if callable(self.reads_twice) else self.reads_twice

    def need(self, what: str):
        """The back-end entry ``what`` (``cost``, ``run``, ``source``, ...), or an error naming the kind."""
        found = getattr(self, what)
        if found is None:
            raise NcdError(f"op kind '{self.key}' declares no {what} rule", hint=f"add {what}=... to its module in ncd_render/ops/")
        return found


_KINDS: dict[str, OpKind] = {}


def register(*kinds: OpKind) -> None:
    for k in kinds:
        if k.key in _KINDS:
            raise ValueError(f"op kind '{k.key}' is registered twice")
        if k.glyph is not None and k.glyph not in GLYPHS and not callable(k.glyph) or k.hold not in HOLDS | {None}:
            raise ValueError(f"op kind '{k.key}': unknown glyph or hold")
        _KINDS[k.key] = k


def get(key: str) -> OpKind:
    """The entry registered as ``key``; an error for an unknown one."""
    try:
        return _KINDS[key]
    except KeyError:
        raise NcdError(f"no op kind '{key}' is registered", hint="every kind lives in a module of ncd_render/ops/") from None


def idle(diagram) -> list[tuple]:
    """(op, why) for each op of ``diagram`` with an option that makes no difference at its sizes (its entry's
    ``idle``: a causal window as long as the keys), in program order."""
    found = []
    for op in diagram.ops:
        rule = of(op).idle
        why = rule(diagram, op) if rule else None
        if why:
            found.append((op, why))
    return found


def of(op) -> OpKind:
    """The entry of an IR op: its function (``params['fn']``, e.g. ``gelu``) or its kind (the layout asks
    this about thirty times per op, so it is one dictionary look-up when the kind is known)."""
    key = op.params.get("fn") or op.kind
    found = _KINDS.get(key)
    return found if found is not None else get(key)


def named(name: str) -> OpKind | None:
    """The entry the DSL calls ``name``, or None."""
    k = _KINDS.get(name)
    return k if k is not None and k.in_dsl else None


def dsl_names() -> list[str]:
    return sorted(k for k, v in _KINDS.items() if v.in_dsl)


def kinds() -> dict[str, OpKind]:
    """Every registered entry, by key."""
    return dict(_KINDS)
