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

from . import limits, ops
from . import parse as ast
from .errors import NcdError, Span, did_you_mean, plural
from .options import values as option_values
from .program import check_program

if TYPE_CHECKING:
    import networkx as nx



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
                if s.name in self.blocks or ops.named(s.name):
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
            outs = ops.get("add").build(self, expr, {}, scope, None)
        elif isinstance(expr, ast.Scaled) and expr.scale.axis in scope.names and expr.scale.exponent == 1:
            outs = ops.get("mul").build(self, expr, {}, scope, None)
        elif isinstance(expr, ast.Scaled):
            outs = ops.get("scale").build(self, self.lookup(expr.arg, scope), expr.scale, scope, expr.span)
        elif expr.fn.name in self.blocks:
            outs = self.call_block(expr, scope, s)
        else:
            outs = self.op_call(expr, scope, s.label)
            if expr.scale is not None:
                outs = ops.get("scale").build(self, outs[0], expr.scale, scope, expr.scale.span)
        if len(outs) != len(s.targets):
            raise NcdError(f"{plural(len(s.targets), 'name')} on the left but the right side gives {plural(len(outs), 'tensor')}", s.span)
        for target, vid in zip(s.targets, outs):
            self.values[vid] = replace(self.values[vid], name=target.name, span=target.span)
            scope.names[target.name] = vid

    # -- operations ----------------------------------------------------------
    def op_call(self, call: ast.Call, scope: _Scope, label: str | None) -> list[int]:
        """A DSL function: its registry entry checks the options it takes, then builds it."""
        fn = call.fn.name
        kind = ops.named(fn)
        if kind is None:
            known = sorted(set(ops.dsl_names()) | set(self.blocks))
            raise NcdError(f"unknown function '{fn}'", call.fn.span, did_you_mean(fn, known) or "known: " + ", ".join(known))
        for o in call.options:
            if o.name not in kind.options:
                allowed = kind.options
                raise NcdError(f"{fn} has no option '{o.name}'", o.span,
                               did_you_mean(o.name, allowed) or (f"options: {', '.join(sorted(allowed))}" if allowed else f"{fn} takes no options"))
        return kind.build(self, call, option_values(call.options, kind.options), scope, label)

    def one_arg(self, call: ast.Call, scope: _Scope) -> int:
        """The one tensor a call takes."""
        args = [self.lookup(a, scope) for a in call.args]
        if len(args) != 1:
            raise NcdError(f"{call.fn.name} takes one tensor, got {len(args)}", call.span)
        return args[0]

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

    def spec_arity(self, call: ast.Call, fn: str, example: str) -> ast.Spec:
        spec = call.spec
        if spec is None or spec.outputs is None or len(spec.inputs) != 1 or len(spec.outputs) != 1:
            raise NcdError(f"{fn} needs a spec '{example}'", spec.span if spec else call.span)
        return spec

    def fresh(self, new, refs, vid: int, acted, call: ast.Call) -> None:
        """The axes an operation makes must differ from those of its input that pass by (``acted`` are consumed)."""
        for ref, a in zip(refs, new):
            if a in self.values[vid].axes and a not in acted:
                raise NcdError(f"output axis '{a}' is already an axis of {call.args[0].name} {self.describe(vid)}", ref.span,
                               "the other axes pass by the box; name the new axis differently")

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
