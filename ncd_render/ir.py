"""The diagram as a checked wire/box graph: the one model every backend reads.

``build(program)`` resolves names, checks every shape, expands components,
and makes copies explicit, giving a :class:`Diagram`:

* ``values``: tensors, each a tuple of axis names (its wires, top to bottom);
* ``ops``: boxes in composition order; each consumes and produces values and
  knows the axes it ``acts`` on and the axes it is ``broadcast`` over;
* ``graph``: the same as a networkx MultiDiGraph (ops are nodes, values edges),
  built on first use, so drawing never imports networkx.

Every value is consumed exactly once (copies are ``copy`` ops and unused
values end in ``delete`` ops), which is what makes the diagram a string
diagram that can be laid out wire by wire.

>>> from ncd_render.parse import parse
>>> d = build(parse("axis y = 3 width\\naxis m = 4\\naxis k = 2\\ninput X[y m]\\nH = linear(X: m -> k) with bias\\noutput H\\n"))
>>> op = d.ops[1]
>>> op.kind, op.acts, op.broadcast, d.values[op.outputs[0]].axes
('linear', (('m',),), ('y',), ('y', 'k'))
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping

from . import limits
from . import parse as ast
from .errors import NcdError, Span, did_you_mean, plural
from .opaque import build_opaque
from .options import values as option_values
from .program import check_program

if TYPE_CHECKING:
    import networkx as nx

ELEMENTWISE = {
    "relu": "ReLU", "gelu": "GELU", "silu": "SiLU", "sigmoid": "σ", "tanh": "tanh",
    "exp": "exp", "dropout": "dropout", "identity": "id",
}
NORMS = {"layernorm": "LayerNorm", "rmsnorm": "RMSNorm", "batchnorm": "BatchNorm"}
REDUCTIONS = {"max": "max", "mean": "avg", "sum": "Σ"}
WINDOW = {"kernel", "stride", "dilation", "padding"}
OPTIONS = {
    "linear": {"bias", "per"}, "softmax": set(), "einsum": set(), "rearrange": set(),
    **{n: {"affine", "eps"} for n in NORMS}, **{f: set() for f in ELEMENTWISE}, "dropout": {"p"},
    "unfold": WINDOW, "fold": WINDOW | {"output_padding"}, **{r: set() for r in REDUCTIONS},
    "index": {"at"}, "concat": set(), "rename": set(), "embedding": set(), "mask": {"causal"}, "rope": {"base", "interleaved"},
    "topk": {"k", "normalize", "groups", "topk_groups", "scale", "select_bias"}, "load": set(), "unit": set(),
    "opaque": set(),
}
BUILTINS = set(OPTIONS)


@dataclass(frozen=True)
class Axis:
    """A named axis. ``size`` is None when only symbolic; width axes get an overline."""

    name: str
    size: int | None
    width: bool
    span: Span | None

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.name[1:-1].split()) if self.name.startswith("(") else (self.name,)


@dataclass(frozen=True)
class Value:
    """One tensor: a name from the source and its axes (wires), top to bottom."""

    id: int
    name: str
    axes: tuple[str, ...]
    dtype: str
    span: Span | None


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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
        saves = {op.params["store"]: op.id for op in self.ops if op.kind == "save"}
        for op in self.ops:
            graph.add_node(op.id, op=op)
            for v in op.inputs:
                graph.add_edge(self.producer(v).id, op.id, key=v)
            if op.kind == "load":  # the stored tensor travels from the save to the load
                graph.add_edge(saves[op.params["store"]], op.id, key=("store", op.params["store"]))
        return graph

    def section_path(self, section: int | None) -> tuple[int, ...]:
        """Section ids from the outermost to ``section``."""
        path = []
        while section is not None:
            path.append(section)
            section = self.sections[section].parent
        return tuple(reversed(path))


# ----------------------------------------------------------------------------


def build(program: ast.Program, depth: int | None = None, sizes: Mapping[str, int] | None = None) -> Diagram:
    """Check ``program`` and build its diagram.

    ``depth`` collapses component calls nested deeper than it into single
    boxes (0: every call is one box; None: everything expanded).
    ``sizes`` replaces the sizes of axes declared with a number (or with no
    size) before derived axes such as ``axis k = m / h`` are computed.

    >>> from ncd_render.parse import parse
    >>> build(parse("axis m = 8\\naxis k = m / 2\\ninput X[m]\\noutput X\\n"), sizes={"m": 64}).axes["k"].size
    32
    """
    check_program(program)
    return _Builder(program, program.depth if depth is None else depth, dict(sizes or {})).run()


@dataclass
class _Scope:
    names: dict[str, int]
    section: int | None
    depth: int
    rename: dict[str, str]


class _Builder:
    def __init__(self, program: ast.Program, depth: int | None, sizes: dict[str, int]):
        self.program = program
        self.depth = depth
        self.sizes = sizes
        self.axes: dict[str, Axis] = {}
        self.values: dict[int, Value] = {}
        self.ops: list[Op] = []
        self.sections: dict[int, Section] = {}
        self.blocks: dict[str, ast.Block] = {}
        self.inputs: list[int] = []
        self.outputs: list[int] = []
        self.stores: dict[str, int] = {}
        self.next_section = 0
        self.param_names: set[str] = set()  # every learned box's name so far, collapsed bodies included
        self.last_suffix: dict[str, int] = {}  # name -> the highest n tried for it in param_name
        self.tandem_names = {s.name: s.axes for s in program.statements if isinstance(s, ast.Tandem)}

    # -- entry ---------------------------------------------------------------
    def run(self) -> Diagram:
        statements = self.program.statements
        tandems: dict[str, str] = {}
        for s in statements:
            if isinstance(s, ast.AxisDecl):
                self.declare_axis(s)
            elif isinstance(s, ast.Tandem):
                for a in s.axes:
                    self.axis(a, s.span)
                    if a in tandems:
                        raise NcdError(f"axis '{a}' is already in tandem group '{tandems[a]}'", s.span)
                    tandems[a] = s.name
            elif isinstance(s, ast.Block):
                if s.name in self.blocks or s.name in BUILTINS:
                    raise NcdError(f"component '{s.name}' is already defined", s.span)
                self.blocks[s.name] = s
        for name, size in self.sizes.items():
            if name not in self.axes:
                raise NcdError(f"cannot set the size of unknown axis '{name}'", hint=did_you_mean(name, self.axes) or "axes: " + ", ".join(self.axes))
        scope = _Scope({}, None, 0, {})
        self.statements([s for s in statements if not isinstance(s, (ast.AxisDecl, ast.Block, ast.Title, ast.Depth, ast.Tandem, ast.CheckSizes))],
                        scope, top=True)
        if not self.outputs:
            raise NcdError("the diagram has no 'output' statement", self.program.source.span(1, 1), "end the file with e.g. 'output Y'")
        self.make_copies_and_deletes()
        return Diagram(self.program, self.axes, self.values, self.ops, self.sections,
                       tuple(self.inputs), tuple(self.outputs), tandems)

    # -- axes ----------------------------------------------------------------
    def declare_axis(self, decl: ast.AxisDecl) -> None:
        if decl.name in self.axes:
            raise NcdError(f"axis '{decl.name}' is declared twice", decl.span)
        size, text = (None, decl.name) if decl.size is None else self.size(decl.size)
        if decl.name in self.sizes:
            if decl.size is not None and not isinstance(decl.size, ast.SizeInt):
                raise NcdError(f"cannot set the size of axis '{decl.name}': it is derived ({text})", decl.span, "set the axes it is computed from")
            size = self.sizes[decl.name]
            if not isinstance(size, int) or not 1 <= size <= limits.MAX_SIZE:
                raise NcdError(f"axis '{decl.name}' cannot have size {limits.shown(repr(size))}; sizes are whole numbers "
                               f"from 1 to {limits.MAX_SIZE:,} (2^40)")
        elif size is not None:
            limits.check_size(size, decl.size.span, f"axis '{decl.name}'")
        self.axes[decl.name] = Axis(decl.name, size, decl.width, decl.span)

    def size(self, expr: ast.SizeExpr) -> tuple[int | None, str]:
        if isinstance(expr, ast.SizeInt):
            return expr.value, str(expr.value)
        if isinstance(expr, ast.SizeRef):
            axis = self.axis(expr.name, expr.span)
            return axis.size, expr.name
        (a, ta), (b, tb) = self.size(expr.left), self.size(expr.right)
        text = f"{ta} {expr.op} {tb}"
        if a is None or b is None:
            return None, text
        if expr.op == "/":
            if b == 0 or a % b:
                raise NcdError(f"{ta} / {tb} = {a} / {b} is not a whole number", expr.span)
            return a // b, text
        return {"+": a + b, "-": a - b, "*": a * b}[expr.op], text

    def axis(self, name: str, span: Span) -> Axis:
        if name not in self.axes and name in self.tandem_names:
            parts = " ".join(self.tandem_names[name])
            raise NcdError(f"'{name}' is the name of the tandem axes {parts}, not an axis", span,
                           f"write the axes themselves, e.g. [{parts}]; 'tandem {name} = {parts}' only draws them as one bundle labelled {name}")
        if name not in self.axes:
            raise NcdError(f"unknown axis '{name}'", span, did_you_mean(name, self.axes) or f"declare it with 'axis {name} = SIZE'")
        return self.axes[name]

    def axis_name(self, ref: ast.AxisRef, scope: _Scope) -> str:
        """The axis a reference denotes, registering groups such as (r c)."""
        names = [scope.rename.get(n, n) for n in ref.names]
        for original, name in zip(ref.names, names):
            if original == name:
                self.axis(name, ref.span)
        if len(names) == 1:
            return names[0]
        key = "(" + " ".join(names) + ")"
        if key not in self.axes:
            parts = [self.axes[n] for n in names]
            sizes = [p.size for p in parts]
            size = None if None in sizes else _product(sizes)
            self.axes[key] = Axis(key, size, any(p.width for p in parts), ref.span)
        return key

    def shape(self, refs, scope: _Scope, what: str) -> tuple[str, ...]:
        axes = tuple(self.axis_name(r, scope) for r in refs)
        for ref, (name, count) in zip(refs, Counter(axes).items()):
            if count > 1:
                bad = [r for r, a in zip(refs, axes) if a == name][1]
                raise NcdError(f"axis '{name}' appears twice in {what}", bad.span, "give the two axes different names")
        return axes

    # -- values and ops ------------------------------------------------------
    def new_value(self, name: str, axes: tuple[str, ...], dtype: str, span: Span | None) -> int:
        vid = len(self.values)
        self.values[vid] = Value(vid, name, axes, dtype, span)
        return vid

    def add_op(self, **fields) -> Op:
        op = Op(id=len(self.ops), **fields)
        self.ops.append(op)
        return op

    def lookup(self, name: ast.Name, scope: _Scope) -> int:
        if name.name not in scope.names:
            choices = list(scope.names)
            raise NcdError(f"unknown tensor '{name.name}'", name.span,
                           did_you_mean(name.name, choices) or ("known here: " + ", ".join(choices) if choices else None))
        vid = scope.names[name.name]
        if vid is None:
            raise NcdError(f"tensor '{name.name}' was deleted and cannot be used again", name.span)
        return vid

    def describe(self, vid: int) -> str:
        return "[" + " ".join(self.values[vid].axes) + "]"

    # -- statements ----------------------------------------------------------
    def statements(self, statements, scope: _Scope, top: bool = False) -> list[int]:
        returned: list[int] = []
        for s in statements:
            if isinstance(s, ast.Input):
                if not top:
                    raise NcdError("'input' belongs at the top level; components take parameters instead", s.span)
                for t in s.tensors:
                    vid = self.new_value(t.name, self.shape(t.axes, scope, f"tensor {t.name}"), "int" if t.dtype == "int" else "real", t.span)
                    self.add_op(kind="input", inputs=(), outputs=(vid,), label=t.name, span=t.span, section=scope.section)
                    scope.names[t.name] = vid
                    self.inputs.append(vid)
            elif isinstance(s, ast.Output):
                if not top:
                    raise NcdError("'output' belongs at the top level; components end with 'return'", s.span)
                for n in s.names:
                    vid = self.lookup(n, scope)
                    if vid in self.outputs:
                        raise NcdError(f"'{n.name}' is already an output", n.span)
                    self.outputs.append(vid)
            elif isinstance(s, ast.Return):
                if top:
                    raise NcdError("'return' belongs inside a component block", s.span, "use 'output' at the top level")
                returned = [self.lookup(n, scope) for n in s.names]
            elif isinstance(s, ast.Delete):
                for n in s.names:
                    vid = self.lookup(n, scope)
                    self.add_op(kind="delete", inputs=(vid,), outputs=(), span=n.span, section=scope.section)
                    scope.names[n.name] = None
            elif isinstance(s, ast.Save):
                vid = self.lookup(s.name, scope)
                if s.store in self.stores:
                    raise NcdError(f"store '{s.store}' is already used", s.span, "give each saved tensor its own store name")
                self.stores[s.store] = vid
                self.add_op(kind="save", inputs=(vid,), outputs=(), label=s.store, span=s.span, section=scope.section,
                            params=MappingProxyType({"store": s.store}))  # a copy goes to the store; the name stays usable
            elif isinstance(s, ast.Repeat):
                self.repeat(s, scope, top)
            elif isinstance(s, ast.Section):
                sid = self.new_section(s.title, "section", scope, s.span, s.fused)
                inner = _Scope(scope.names, sid, scope.depth, scope.rename)
                returned = self.statements(s.body, inner, top) or returned
            elif isinstance(s, ast.Assign):
                self.assign(s, scope)
            elif isinstance(s, (ast.Block, ast.AxisDecl, ast.Title, ast.Depth, ast.Tandem, ast.CheckSizes)):
                word = "check" if isinstance(s, ast.CheckSizes) else type(s).__name__.lower().replace("decl", "")
                raise NcdError(f"'{word}' statements belong at the top level", s.span)
        return returned

    def repeat(self, s: ast.Repeat, scope: _Scope, top: bool) -> None:
        if s.times < 1:
            raise NcdError("repeat needs a count of at least 1", s.span)
        sid = self.new_section(s.title or "", "repeat", scope, s.span)
        before = dict(scope.names)
        first_op = len(self.ops)
        self.statements(s.body, _Scope(scope.names, sid, scope.depth, scope.rename), top)
        read = {v for op in self.ops[first_op:] for v in op.inputs}
        carried = []
        for name, vid in scope.names.items():
            old = before.get(name)
            if old is not None and vid != old and old in read:  # read, then rebound: goes round again
                if vid is None or self.values[vid].axes != self.values[old].axes:
                    got = "deleted" if vid is None else self.describe(vid)
                    raise NcdError(f"'{name}' enters the repeated block as {self.describe(old)} but leaves as {got}", s.span,
                                   "a repeated block must give back what it takes, shape for shape")
                carried.append((old, vid))
        self.sections[sid] = replace(self.sections[sid], times=s.times, carried=tuple(carried))

    def new_section(self, title: str, kind: str, scope: _Scope, span: Span, fused: bool = False) -> int:
        sid = self.next_section  # never reused, though a collapsed call drops its section
        self.next_section += 1
        parent_depth = self.sections[scope.section].depth if scope.section is not None else -1
        self.sections[sid] = Section(sid, title, kind, scope.section, parent_depth + 1, span, fused)
        return sid

    def assign(self, s: ast.Assign, scope: _Scope) -> None:
        expr = s.expr
        if isinstance(expr, ast.Alias):  # a second name for the same value: no box
            if s.label is not None or len(s.targets) != 1:
                raise NcdError("'Y = X' gives a tensor a second name; it takes one name and no label", s.span,
                               "to draw a box, write 'Y = identity(X) as LABEL'")
            scope.names[s.targets[0].name] = self.lookup(expr.arg, scope)
            return
        if isinstance(expr, ast.Add):
            outs = [self.op_add(expr, scope)]
        elif isinstance(expr, ast.Scaled) and expr.scale.axis in scope.names and expr.scale.exponent == 1:
            outs = [self.op_multiply(expr, scope)]
        elif isinstance(expr, ast.Scaled):
            outs = [self.op_scale(self.lookup(expr.arg, scope), expr.scale, scope, expr.span)]
        elif expr.fn.name in self.blocks:
            outs = self.call_block(expr, scope, s)
        else:
            outs = [self.op_call(expr, scope, s.label)]
            if expr.scale is not None:
                outs = [self.op_scale(outs[0], expr.scale, scope, expr.scale.span)]
        if len(outs) != len(s.targets):
            raise NcdError(f"{plural(len(s.targets), 'name')} on the left but the right side gives {plural(len(outs), 'tensor')}", s.span)
        for target, vid in zip(s.targets, outs):
            self.values[vid] = replace(self.values[vid], name=target.name, span=target.span)
            scope.names[target.name] = vid

    # -- operations ----------------------------------------------------------
    def op_call(self, call: ast.Call, scope: _Scope, label: str | None) -> int:
        fn = call.fn.name
        if fn not in BUILTINS:
            known = sorted(BUILTINS | set(self.blocks))
            raise NcdError(f"unknown function '{fn}'", call.fn.span, did_you_mean(fn, known) or "known: " + ", ".join(known))
        for o in call.options:
            if o.name not in OPTIONS[fn]:
                allowed = OPTIONS[fn]
                raise NcdError(f"{fn} has no option '{o.name}'", o.span,
                               did_you_mean(o.name, allowed) or (f"options: {', '.join(sorted(allowed))}" if allowed else f"{fn} takes no options"))
        options = option_values(call.options)
        if fn == "load":
            return self.op_load(call, scope)
        if fn == "unit":
            return self.op_unit(call, scope, label)
        args = [self.lookup(a, scope) for a in call.args]
        if fn == "einsum":
            return self.op_einsum(call, args, scope, label)
        if fn == "concat":
            return self.op_concat(call, args, scope, label)
        if fn == "opaque":
            return build_opaque(self, call, args, scope, label)
        if len(args) != 1:
            raise NcdError(f"{fn} takes one tensor, got {len(args)}", call.span)
        (vid,) = args
        axes = self.values[vid].axes
        common = dict(section=scope.section, span=call.span)
        if fn == "linear":
            if call.spec is None or call.spec.outputs is None or len(call.spec.inputs) != 1 or len(call.spec.outputs) != 1:
                raise NcdError("linear needs a spec 'IN AXES -> OUT AXES'", call.spec.span if call.spec else call.span,
                               f"for example linear({call.args[0].name}: {axes[-1] if axes else 'm'} -> k)")
            acted = self.spec_axes(call.spec.inputs[0], vid, scope, "linear", call.spec.span)
            new = self.shape(call.spec.outputs[0], scope, "the output of linear")
            per = ()
            if "per" in options:
                option = next(o for o in call.options if o.name == "per")
                per = (scope.rename.get(str(options["per"]), str(options["per"])),)
                self.axis(per[0], option.span)
                if per[0] in acted or per[0] in new:
                    raise NcdError(f"'per {per[0]}' gives each {per[0]} its own weights; it cannot also be mapped", option.span)
                if per[0] not in axes:
                    new = new + per  # one map for each value of the axis: the axis appears
            broadcast = tuple(a for a in axes if a not in acted and a not in per)
            clash = [a for a in new if a in broadcast]
            if clash:
                ref = next(r for r in call.spec.outputs[0] if self.axis_name(r, scope) == clash[0])
                raise NcdError(f"output axis '{clash[0]}' is already an axis of {call.args[0].name} {self.describe(vid)}", ref.span,
                               "linear maps act on some axes and broadcast over the rest; name the new axis differently")
            first = min(axes.index(a) for a in acted)
            out_axes = tuple(a for a in axes[:first] if a not in acted) + new + tuple(a for a in axes[first:] if a not in acted)
            name = label or "L"
            out = self.new_value("", out_axes, "real", call.span)
            self.add_op(kind="linear", inputs=(vid,), outputs=(out,), acts=(acted,), broadcast=broadcast, label=name,
                        learned=True, params=MappingProxyType({"in_axes": acted, "out_axes": tuple(a for a in new if a not in per),
                                                               "per": per, "bias": bool(options.get("bias")),
                                                               "name": self.param_name(name, scope)}), **common)
            return out
        if fn == "rearrange":
            return self.op_rearrange(call, vid, scope, label)
        if fn in ELEMENTWISE:
            if call.spec is not None:
                raise NcdError(f"{fn} acts on every element; it takes no axes", call.spec.span, f"write {fn}({call.args[0].name})")
            out = self.new_value("", axes, self.values[vid].dtype, call.span)
            params = {"fn": fn}
            if fn == "dropout":
                params["p"] = float(options.get("p", 0.1))
            self.add_op(kind="elementwise", inputs=(vid,), outputs=(out,), acts=((),), broadcast=axes, label=label or ELEMENTWISE[fn],
                        params=MappingProxyType(params), **common)
            return out
        if fn in ("unfold", "fold"):
            return self.op_window(fn, call, vid, options, scope, label)
        if fn == "rename":
            return self.op_rename(call, vid, scope, label)
        if fn == "embedding":
            return self.op_embedding(call, vid, scope, label)
        if fn in REDUCTIONS or fn == "index":
            return self.op_reduce(fn, call, vid, options, scope, label)
        # softmax, norms, masks, rope, top-k: act on named axes, broadcast over the rest
        if call.spec is None or call.spec.outputs is not None or len(call.spec.inputs) != 1:
            raise NcdError(f"{fn} needs the axes it normalises over", call.spec.span if call.spec else call.span,
                           f"for example {fn}({call.args[0].name}: {axes[-1] if axes else 'x'})")
        acted = self.spec_axes(call.spec.inputs[0], vid, scope, fn, call.spec.span)
        out = self.new_value("", axes, "real", call.span)
        broadcast = tuple(a for a in axes if a not in acted)
        if fn == "softmax":
            self.add_op(kind="softmax", inputs=(vid,), outputs=(out,), acts=(acted,), broadcast=broadcast, label=label,
                        params=MappingProxyType({"axes": acted}), **common)
        elif fn in ("mask", "rope", "topk"):
            self.op_along(fn, call, vid, out, acted, broadcast, options, scope, label)
        else:
            learned = bool(options.get("affine"))
            name = label or NORMS[fn]
            self.add_op(kind="norm", inputs=(vid,), outputs=(out,), acts=(acted,), broadcast=broadcast, label=name, learned=learned,
                        params=MappingProxyType({"fn": fn, "axes": acted, "eps": float(options.get("eps", 1e-5)),
                                                 "affine": learned, "name": self.param_name(name, scope)}), **common)
        return out

    def param_name(self, label: str, scope: _Scope) -> str:
        """A python-identifier name for a learned box, unique in the diagram (collapsed bodies included).

        Names taken are kept in a set and the last suffix per name, so this is constant time, not a scan of all ops."""
        base = "".join(c if c.isalnum() else "_" for c in label.replace("{", "").replace("}", "")).strip("_") or "box"
        prefix = ""
        sid = scope.section
        while sid is not None:
            sec = self.sections[sid]
            if sec.kind == "block":
                prefix = "".join(c if c.isalnum() else "_" for c in sec.title) + "_" + prefix
            sid = sec.parent
        first = prefix + base
        n = self.last_suffix.get(first, 1)  # names are never freed, so first_2 .. first_{n-1} are still taken
        name = first if n == 1 else f"{first}_{n}"
        while name in self.param_names:
            n += 1
            name = f"{first}_{n}"
        self.param_names.add(name)
        self.last_suffix[first] = n
        return name

    def spec_axes(self, refs, vid: int, scope: _Scope, fn: str, where: Span) -> tuple[str, ...]:
        """The axes ``refs`` names, each checked to be an axis of value ``vid``; ``where`` is the spec."""
        axes = self.values[vid].axes
        acted = self.shape(refs, scope, f"the axes of {fn}")
        if not acted:
            raise NcdError(f"{fn} needs at least one axis", where)
        for ref, a in zip(refs, acted):
            if a not in axes:
                raise NcdError(f"{fn} acts on axis '{a}', but the tensor has axes {self.describe(vid)}", ref.span,
                               did_you_mean(a, axes))
        return acted

    def op_einsum(self, call: ast.Call, args: list[int], scope: _Scope, label: str | None) -> int:
        spec = call.spec
        if spec is None or spec.outputs is None or len(spec.outputs) != 1:
            raise NcdError("einsum needs a spec 'A AXES, B AXES -> OUT AXES'", spec.span if spec else call.span)
        if len(spec.inputs) != len(args):
            raise NcdError(f"einsum spec has {plural(len(spec.inputs), 'input shape')} for {plural(len(args), 'tensor')}", spec.span)
        groups = []
        for refs, vid, name in zip(spec.inputs, args, call.args):
            written = tuple(self.axis_name(r, scope) for r in refs)
            if written != self.values[vid].axes:
                hint = f"the spec writes {name.name} as [{' '.join(written)}], but {name.name} is {self.describe(vid)}"
                if sorted(written) == sorted(self.values[vid].axes):
                    hint += "; the order of axes matters: transpose with rearrange first, or write them in the tensor's order"
                span = Span(spec.span.source, refs[0].span.line, refs[0].span.column, refs[-1].span.end_line, refs[-1].span.end_column) if refs else spec.span
                raise NcdError(f"einsum operand {name.name} has axes {self.describe(vid)}", span, hint)
            groups.append(written)
        out_axes = self.shape(spec.outputs[0], scope, "the output of einsum")
        for ref, a in zip(spec.outputs[0], out_axes):
            if not any(a in g for g in groups):
                raise NcdError(f"output axis '{a}' is not an axis of any operand", ref.span, "einsum cannot create axes")
        counts = Counter(a for g in groups for a in g)
        contracted = tuple(a for a in counts if a not in out_axes)
        merged = tuple(a for a in out_axes if counts[a] > 1)
        acts = tuple(tuple(a for a in g if a in contracted or a in merged) for g in groups)
        broadcast = tuple(a for a in out_axes if counts[a] == 1)
        equation = ", ".join(" ".join(g) for g in groups) + " -> " + " ".join(out_axes)
        out = self.new_value("", out_axes, "real", call.span)
        self.add_op(kind="einsum", inputs=tuple(args), outputs=(out,), acts=acts, broadcast=broadcast, label=label,
                    params=MappingProxyType({"equation": equation, "contracted": contracted, "merged": merged}),
                    section=scope.section, span=call.span)
        return out

    def op_rearrange(self, call: ast.Call, vid: int, scope: _Scope, label: str | None) -> int:
        spec = call.spec
        if spec is None or spec.outputs is None or len(spec.inputs) != 1 or len(spec.outputs) != 1:
            raise NcdError("rearrange needs a pattern 'IN AXES -> OUT AXES'", spec.span if spec else call.span,
                           "for example rearrange(X: y (k h) -> y k h)")
        written = tuple(self.axis_name(r, scope) for r in spec.inputs[0])
        if written != self.values[vid].axes:
            raise NcdError(f"rearrange input has axes {self.describe(vid)}", spec.span,
                           f"the pattern starts from [{' '.join(written)}], but {call.args[0].name} is {self.describe(vid)}; write its axes in order")
        out_axes = self.shape(spec.outputs[0], scope, "the output of rearrange")
        flat_in = [p for a in written for p in self.axes[a].parts]
        flat_out = [p for a in out_axes for p in self.axes[a].parts]
        if sorted(flat_in) != sorted(flat_out):
            raise NcdError("rearrange must keep the same axes", spec.span,
                           f"in: {' '.join(flat_in)}; out: {' '.join(flat_out)}")
        permutation = set(written) == set(out_axes)
        pattern = " ".join(written) + " -> " + " ".join(out_axes)
        out = self.new_value("", out_axes, self.values[vid].dtype, call.span)
        changed = tuple(a for a in written if a not in out_axes or not permutation or written.index(a) != out_axes.index(a))
        self.add_op(kind="rearrange", inputs=(vid,), outputs=(out,), acts=(changed,),
                    broadcast=tuple(a for a in written if a not in changed), label=label,
                    params=MappingProxyType({"pattern": pattern, "transpose": permutation}), section=scope.section, span=call.span)
        return out

    def op_add(self, expr: ast.Add, scope: _Scope) -> int:
        args = [self.lookup(t, scope) for t in expr.terms]
        first = self.values[args[0]].axes
        for name, vid in zip(expr.terms[1:], args[1:]):
            if self.values[vid].axes != first:
                raise NcdError(f"cannot add {name.name} {self.describe(vid)} to {expr.terms[0].name} {self.describe(args[0])}", name.span,
                               f"every term needs the first one's axes [{' '.join(first)}], in order; {name.name} has {self.describe(vid)}")
        out = self.new_value("", first, "real", expr.span)
        self.add_op(kind="add", inputs=tuple(args), outputs=(out,), acts=tuple(() for _ in args), broadcast=first,
                    label="+", section=scope.section, span=expr.span)
        return out

    def op_scale(self, vid: int, scale: ast.Scale, scope: _Scope, span: Span) -> int:
        if scale.axis is not None:
            axis = self.axis(scope.rename.get(scale.axis, scale.axis), scale.span)
            factor = None if axis.size is None else limits.power(axis.size, scale.exponent, scale.text, scale.span)
            text = axis.name if scale.exponent == 1 else f"{axis.name}^{{{scale.exponent}}}"
        else:
            factor, text = scale.number, scale.text
        axes = self.values[vid].axes
        out = self.new_value("", axes, "real", span)
        self.add_op(kind="scale", inputs=(vid,), outputs=(out,), acts=((),), broadcast=axes, label=text,
                    params=MappingProxyType({"factor": factor, "text": text}), section=scope.section, span=span)
        return out

    def op_multiply(self, expr: ast.Scaled, scope: _Scope) -> int:
        a = self.lookup(expr.arg, scope)
        b = self.lookup(ast.Name(expr.scale.axis, expr.scale.span), scope)
        if self.values[a].axes != self.values[b].axes:
            raise NcdError(f"cannot multiply {expr.arg.name} {self.describe(a)} by {expr.scale.axis} {self.describe(b)}", expr.scale.span,
                           f"both need one shape, in order: {expr.arg.name} has {self.describe(a)}, {expr.scale.axis} has {self.describe(b)}")
        axes = self.values[a].axes
        out = self.new_value("", axes, "real", expr.span)
        self.add_op(kind="mul", inputs=(a, b), outputs=(out,), acts=((), ()), broadcast=axes, label="×",
                    section=scope.section, span=expr.span)
        return out

    def op_unit(self, call: ast.Call, scope: _Scope, label: str | None) -> int:
        """The unit (a cap): the identity matrix over two axes of one size, unit(: a b)."""
        spec = call.spec
        if call.args or spec is None or spec.outputs is not None or len(spec.inputs) != 1 or len(spec.inputs[0]) != 2:
            raise NcdError("unit takes no tensor and two axes of one size: unit(: a b)", spec.span if spec else call.span)
        a, b = self.shape(spec.inputs[0], scope, "a unit")
        if self.axes[a].size != self.axes[b].size:
            raise NcdError(f"unit needs two axes of one size; '{a}' has {self.axes[a].size}, '{b}' has {self.axes[b].size}", spec.span)
        out = self.new_value("", (a, b), "real", call.span)
        self.add_op(kind="unit", inputs=(), outputs=(out,), label=label, params=MappingProxyType({"axes": (a, b)}),
                    section=scope.section, span=call.span)
        return out

    def op_load(self, call: ast.Call, scope: _Scope) -> int:
        if len(call.args) != 1 or call.spec is not None:
            raise NcdError("load takes the name of one store: load(C_1)", call.span)
        store = call.args[0]
        if store.name not in self.stores:
            raise NcdError(f"nothing was saved as '{store.name}'", store.span,
                           did_you_mean(store.name, self.stores) or f"save a tensor first: save X as {store.name}")
        source = self.stores[store.name]
        out = self.new_value("", self.values[source].axes, self.values[source].dtype, call.span)
        self.add_op(kind="load", inputs=(), outputs=(out,), label=store.name, section=scope.section, span=call.span,
                    params=MappingProxyType({"store": store.name, "source": source}))
        return out

    def spec_arity(self, call: ast.Call, fn: str, example: str) -> ast.Spec:
        spec = call.spec
        if spec is None or spec.outputs is None or len(spec.inputs) != 1 or len(spec.outputs) != 1:
            raise NcdError(f"{fn} needs a spec '{example}'", spec.span if spec else call.span)
        return spec

    def op_window(self, fn: str, call: ast.Call, vid: int, options: dict, scope: _Scope, label: str | None) -> int:
        """The convolution tensor: unfold splits width axes into overlapping blocks; fold is its transpose."""
        example = "h w -> y x kh kw" if fn == "unfold" else "y x kh kw -> h w"
        spec = self.spec_arity(call, fn, example)
        ins = self.spec_axes(spec.inputs[0], vid, scope, fn, spec.span)
        outs = self.shape(spec.outputs[0], scope, f"the output of {fn}")
        n = len(ins) if fn == "unfold" else len(outs)
        if (fn == "unfold" and len(outs) != 2 * n) or (fn == "fold" and len(ins) != 2 * n):
            raise NcdError(f"{fn} maps each width axis to an output axis and a kernel axis", spec.span, f"for example {fn}({call.args[0].name}: {example})")
        kernel = int(options.get("kernel", 0)) or None
        stride, dilation, padding = (int(options.get(k, d)) for k, d in (("stride", 1), ("dilation", 1), ("padding", 0)))
        extra = int(options.get("output_padding", 0))
        spatial_in, spatial_out, kernels = (ins, outs[:n], outs[n:]) if fn == "unfold" else (ins[:n], outs, ins[n:])
        for k_axis in kernels:
            size = self.axes[k_axis].size
            if kernel is None:
                kernel = size
            if size is not None and kernel is not None and size != kernel:
                raise NcdError(f"kernel axis '{k_axis}' has size {size} but the kernel is {kernel}", spec.span)
        if kernel is None:
            raise NcdError(f"{fn} needs a kernel size", call.span, "add 'with kernel=3' or give the kernel axis a size")
        for a, b in zip(spatial_in, spatial_out):
            size_a, size_b = self.axes[a].size, self.axes[b].size
            if size_a is None or size_b is None:
                continue
            if fn == "unfold":
                expected = (size_a + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
                what = f"{a}={size_a} with kernel {kernel}, stride {stride}, dilation {dilation}, padding {padding} gives {expected}"
            else:
                expected = (size_a - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1 + extra
                what = f"folding {a}={size_a} with kernel {kernel}, stride {stride}, dilation {dilation}, padding {padding} gives {expected}"
            if expected != size_b:
                raise NcdError(f"axis '{b}' has size {size_b}, but {what}", spec.span, f"declare 'axis {b} = {expected}' or change the options")
        acted = ins
        self.fresh(outs, spec.outputs[0], vid, acted, call)
        first = min(self.values[vid].axes.index(a) for a in acted)
        axes = self.values[vid].axes
        out_axes = tuple(a for a in axes[:first] if a not in acted) + outs + tuple(a for a in axes[first:] if a not in acted)
        out = self.new_value("", out_axes, "real", call.span)
        sub = ",".join(f"{k[0]}{v}" for k, v in (("stride", stride), ("dilation", dilation)) if v != 1)
        text = label or ("\\star" if fn == "unfold" else "\\star^{T}")
        self.add_op(kind=fn, inputs=(vid,), outputs=(out,), acts=(acted,), broadcast=tuple(a for a in axes if a not in acted),
                    label=text + (f"_{{{sub}}}" if sub and not label else ""),
                    params=MappingProxyType({"spatial_in": spatial_in, "spatial_out": spatial_out, "kernel_axes": kernels,
                                             "kernel": kernel, "stride": stride, "dilation": dilation, "padding": padding,
                                             "output_padding": extra}), section=scope.section, span=call.span)
        return out

    def fresh(self, new, refs, vid: int, acted, call: ast.Call) -> None:
        """The axes an operation makes must differ from those of its input that pass by (``acted`` are consumed)."""
        for ref, a in zip(refs, new):
            if a in self.values[vid].axes and a not in acted:
                raise NcdError(f"output axis '{a}' is already an axis of {call.args[0].name} {self.describe(vid)}", ref.span,
                               "the other axes pass by the box; name the new axis differently")

    def op_rename(self, call: ast.Call, vid: int, scope: _Scope, label: str | None) -> int:
        """The same data with other axis names, e.g. token positions as keys: rename(X: t -> s)."""
        spec = self.spec_arity(call, "rename", "t -> s")
        old = self.spec_axes(spec.inputs[0], vid, scope, "rename", spec.span)
        new = self.shape(spec.outputs[0], scope, "the output of rename")
        if len(old) != len(new):
            raise NcdError("rename maps each axis to one new name", spec.span)
        for a, b in zip(old, new):
            if self.axes[a].size != self.axes[b].size:
                raise NcdError(f"rename: axis '{b}' has size {self.axes[b].size}, '{a}' has {self.axes[a].size}", spec.span,
                               f"declare 'axis {b} = {a}'")
        mapping = dict(zip(old, new))
        axes = self.values[vid].axes
        out_axes = tuple(mapping.get(a, a) for a in axes)
        if len(set(out_axes)) != len(out_axes):
            raise NcdError(f"rename would give the tensor two axes named the same: [{' '.join(out_axes)}]", spec.span)
        out = self.new_value("", out_axes, self.values[vid].dtype, call.span)
        self.add_op(kind="rename", inputs=(vid,), outputs=(out,), acts=(old,), broadcast=tuple(a for a in axes if a not in mapping),
                    label=label, params=MappingProxyType({"mapping": tuple(mapping.items())}), section=scope.section, span=call.span)
        return out

    def op_reduce(self, fn: str, call: ast.Call, vid: int, options: dict, scope: _Scope, label: str | None) -> int:
        """max / mean / sum over named axes (pooling after unfold), or index one position of an axis (a ket)."""
        if call.spec is None or call.spec.outputs is not None or len(call.spec.inputs) != 1:
            raise NcdError(f"{fn} needs the axes it removes", call.spec.span if call.spec else call.span, f"for example {fn}({call.args[0].name}: kh kw)")
        acted = self.spec_axes(call.spec.inputs[0], vid, scope, fn, call.spec.span)
        axes = self.values[vid].axes
        params = {"fn": fn, "axes": acted}
        if fn == "index":
            if len(acted) != 1:
                raise NcdError("index picks one position of one axis", call.spec.span)
            at = int(options.get("at", 0))
            size = self.axes[acted[0]].size
            if size is not None and not -size <= at < size:
                raise NcdError(f"index {at} is outside axis '{acted[0]}' of size {size}", call.span)
            params["at"] = at
        out = self.new_value("", tuple(a for a in axes if a not in acted), self.values[vid].dtype, call.span)
        text = label or (f"|{params['at']}⟩" if fn == "index" else REDUCTIONS[fn])
        self.add_op(kind="index" if fn == "index" else "reduce", inputs=(vid,), outputs=(out,), acts=(acted,),
                    broadcast=tuple(a for a in axes if a not in acted), label=text, params=MappingProxyType(params),
                    section=scope.section, span=call.span)
        return out

    def op_concat(self, call: ast.Call, args: list[int], scope: _Scope, label: str | None) -> int:
        spec = call.spec
        if spec is None or spec.outputs is None or len(spec.outputs) != 1 or len(spec.inputs) != len(args) or len(spec.outputs[0]) != 1:
            raise NcdError("concat needs one axis per tensor and the joined axis: concat(A, B: x1, x2 -> x)", spec.span if spec else call.span)
        joined = [self.spec_axes(refs, v, scope, "concat", spec.span) for refs, v in zip(spec.inputs, args)]
        if any(len(j) != 1 for j in joined):
            raise NcdError("concat joins one axis of each tensor", spec.span)
        (target,) = self.shape(spec.outputs[0], scope, "the output of concat")
        self.fresh((target,), spec.outputs[0], args[0], joined[0], call)
        rests = [tuple(a for a in self.values[v].axes) for v in args]
        first_rest = tuple(target if a == joined[0][0] else a for a in rests[0])
        for j, v, name in zip(joined[1:], args[1:], call.args[1:]):
            other = tuple(target if a == j[0] else a for a in self.values[v].axes)
            if other != first_rest:
                raise NcdError(f"concat: {name.name} {self.describe(v)} does not match {call.args[0].name} {self.describe(args[0])} apart from the joined axis",
                               name.span)
        sizes = [self.axes[j[0]].size for j in joined]
        total = self.axes[target].size
        if None not in sizes and total is not None and sum(sizes) != total:
            raise NcdError(f"axis '{target}' has size {total}, but the joined axes add up to {sum(sizes)}", spec.span,
                           f"declare 'axis {target} = {' + '.join(j[0] for j in joined)}'")
        out = self.new_value("", first_rest, "real", call.span)
        self.add_op(kind="concat", inputs=tuple(args), outputs=(out,), acts=tuple(j for j in joined),
                    broadcast=tuple(a for a in first_rest if a != target), label=label,
                    params=MappingProxyType({"axes": tuple(j[0] for j in joined), "into": target}), section=scope.section, span=call.span)
        return out

    def op_embedding(self, call: ast.Call, vid: int, scope: _Scope, label: str | None) -> int:
        spec = self.spec_arity(call, "embedding", "v -> m")
        if self.values[vid].dtype != "int":
            raise NcdError(f"embedding looks up integer ids, but {call.args[0].name} is real", call.args[0].span,
                           f"declare it with 'int': input {call.args[0].name}[...] int")
        vocab = self.shape(spec.inputs[0], scope, "the vocabulary of embedding")
        new = self.shape(spec.outputs[0], scope, "the output of embedding")
        axes = self.values[vid].axes
        if len(vocab) != 1 or vocab[0] in axes:
            raise NcdError("embedding needs the vocabulary axis the ids index into: embedding(T: v -> m)", spec.span)
        name = label or "E"
        self.fresh(new, spec.outputs[0], vid, (), call)
        out = self.new_value("", axes + new, "real", call.span)
        self.add_op(kind="embedding", inputs=(vid,), outputs=(out,), acts=((),), broadcast=axes, label=name, learned=True,
                    params=MappingProxyType({"vocab": vocab[0], "out_axes": new, "name": self.param_name(name, scope)}),
                    section=scope.section, span=call.span)
        return out

    def op_along(self, fn, call, vid, out, acted, broadcast, options, scope, label) -> None:
        """Operations along named axes that keep the shape: causal mask, rotary embedding, top-k gating."""
        params: dict = {"axes": acted}
        if fn == "mask":
            if len(acted) != 2 or not options.get("causal"):
                raise NcdError("mask needs the query and key axes and 'with causal'", call.span, "for example mask(S: y x) with causal")
            text = label or "mask"
        elif fn == "rope":
            if len(acted) != 2:
                raise NcdError("rope needs the position axis and the depth axis it rotates in pairs", call.span, "for example rope(Q: y k)")
            depth = self.axes[acted[1]].size
            if depth is not None and depth % 2:
                raise NcdError(f"rope rotates pairs, but axis '{acted[1]}' has odd size {depth}", call.spec.span)
            params["base"] = float(options.get("base", 10000.0))
            params["interleaved"] = bool(options.get("interleaved"))  # pairs (2i, 2i+1), not (i, i + d/2)
            text = label or "RoPE"
        else:
            if len(acted) != 1:
                raise NcdError("topk chooses along one axis", call.span, "for example topk(P: e) with k=2")
            k = int(options.get("k", 1))
            size = self.axes[acted[0]].size
            if size is not None and not 1 <= k <= size:
                raise NcdError(f"topk keeps {k} of {size}", call.span)
            params.update(k=k, normalize=bool(options.get("normalize")), groups=int(options.get("groups", 1)),
                          topk_groups=int(options.get("topk_groups", 1)), scale=float(options.get("scale", 1.0)),
                          select_bias=bool(options.get("select_bias")))
            text = label or f"top{k}"
        learned = fn == "topk" and params["select_bias"]
        if learned:
            params["name"] = self.param_name(label or "bias_e", scope)
        self.add_op(kind=fn, inputs=(vid,), outputs=(out,), acts=(acted,), broadcast=broadcast, label=text, learned=learned,
                    params=MappingProxyType(params), section=scope.section, span=call.span)

    # -- components ----------------------------------------------------------
    def call_block(self, call: ast.Call, scope: _Scope, stmt: ast.Assign) -> list[int]:
        block = self.blocks[call.fn.name]
        if call.spec is not None or call.options or call.scale is not None:
            raise NcdError(f"component {block.name} takes tensors only", call.span)
        if len(call.args) != len(block.params):
            raise NcdError(f"{block.name} takes {plural(len(block.params), 'tensor')}, got {len(call.args)}", call.span,
                           f"{block.name}(" + ", ".join(p.name for p in block.params) + ")")
        args = [self.lookup(a, scope) for a in call.args]
        rename: dict[str, str] = {}
        for param, arg, name in zip(block.params, args, call.args):
            formal = [str(r) for r in param.axes]
            actual = self.values[arg].axes
            if len(formal) != len(actual):
                raise NcdError(f"{block.name} expects {param.name} with {len(formal)} axes [{' '.join(formal)}], "
                               f"got {name.name} {self.describe(arg)}", name.span)
            for f, a, ref in zip(formal, actual, param.axes):
                if f in rename and rename[f] != a:
                    raise NcdError(f"{block.name} needs one axis for '{f}' but is given both '{rename[f]}' and '{a}'", name.span)
                rename[f] = a  # a formal axis only names a wire (declared or not); its size follows the argument
        if len(set(rename.values())) != len(rename):
            twice = [a for a, c in Counter(rename.values()).items() if c > 1][0]
            raise NcdError(f"{block.name} would see axis '{twice}' twice", call.span,
                           "give one argument other axis names first: declare 'axis s = t' and pass rename(X: t -> s)")
        collapse = self.depth is not None and scope.depth >= self.depth
        sid = self.new_section(stmt.label or block.name, "block", scope, call.span)
        inner = _Scope({p.name: a for p, a in zip(block.params, args)}, sid, scope.depth + 1, {**scope.rename, **rename})
        first_op = len(self.ops)
        returned = self.statements(block.body, inner)
        if not returned:
            raise NcdError(f"component {block.name} returns nothing", block.span, "end its body with 'return NAME'")
        if collapse:
            body = self.ops[first_op:]
            del self.ops[first_op:]
            del self.sections[sid]
            outs = []
            for r in returned:
                outs.append(self.new_value("", self.values[r].axes, self.values[r].dtype, call.span))
            self.add_op(kind="call", inputs=tuple(args), outputs=tuple(outs), acts=tuple(self.values[a].axes for a in args),
                        label=stmt.label or block.name, learned=any(o.learned for o in body),
                        params=MappingProxyType({"block": block.name, "body": tuple(body)}), section=scope.section, span=call.span)
            return outs
        return returned

    # -- copies and deletes --------------------------------------------------
    def make_copies_and_deletes(self) -> None:
        """Make fan-out explicit: a value used n times passes through a copy op."""
        uses: dict[int, list[tuple[int, int]]] = {}  # value -> (op index, input position)
        for i, op in enumerate(self.ops):
            for k, v in enumerate(op.inputs):
                uses.setdefault(v, []).append((i, k))
        out_uses = Counter(self.outputs)
        new_ops: list[Op] = []
        rewire: dict[tuple[int, int], int] = {}  # (op index, input position) -> copy value
        copies_before: dict[int, list[Op]] = {}
        deletes_after: dict[int, list[Op]] = {}
        producers = {v: i for i, op in enumerate(self.ops) for v in op.outputs}
        self.outputs = list(self.outputs)
        for vid in sorted(self.values):
            users = uses.get(vid, [])
            n = len(users) + out_uses[vid]
            value = self.values[vid]
            if n == 0 and vid in producers:
                deletes_after.setdefault(producers[vid], []).append(  # "unused": dropped automatically, not by 'delete'
                    Op(-1, "delete", (vid,), (), section=self.ops[producers[vid]].section, span=value.span,
                       params=MappingProxyType({"unused": True})))
            if n <= 1:
                continue
            first = users[0][0] if users else len(self.ops)
            copies = [self.new_value(value.name, value.axes, value.dtype, value.span) for _ in range(n)]
            for user, c in zip(users, copies):
                rewire[user] = c
            if out_uses[vid]:
                self.outputs[self.outputs.index(vid)] = copies[-1]
            sections = [self.ops[u].section for u, _ in users] or [None]
            copies_before.setdefault(first, []).append(
                Op(-1, "copy", (vid,), tuple(copies), broadcast=value.axes, section=_common_section(self, sections), span=value.span))
        for i, op in enumerate(self.ops + [None]):
            new_ops.extend(copies_before.get(i, []))
            if op is None:
                break
            inputs = tuple(rewire.get((i, k), v) for k, v in enumerate(op.inputs))
            new_ops.append(replace(op, inputs=inputs))
            new_ops.extend(deletes_after.get(i, []))
        self.ops = [replace(op, id=i) for i, op in enumerate(new_ops)]
        self.ops.append(Op(len(self.ops), "output", tuple(self.outputs), ()))


def _common_section(builder: _Builder, sections: list[int | None]) -> int | None:
    def path(s):
        p = []
        while s is not None:
            p.append(s)
            s = builder.sections[s].parent
        return p[::-1]

    paths = [path(s) for s in sections]
    common = None
    for level in zip(*paths):
        if len(set(level)) != 1:
            break
        common = level[0]
    return common


def _product(xs) -> int:
    out = 1
    for x in xs:
        out *= x
    return out
