"""Names and axis arithmetic for the IR builder: axis declarations and sizes, axis groups such
as ``(r c)``, tensor lookups, new values and ops, unique parameter names, and the checks that
the axes a spec names belong to its tensor."""
from __future__ import annotations

import keyword
import re
from collections import Counter
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, NamedTuple

from .. import limits, ops
from .. import parse as ast
from ..diagram import Axis, Op, Value
from ..errors import NcdError, Span, did_you_mean


class Draft(NamedTuple):
    """An op as the builder makes it: the fields of an :class:`~ncd_render.diagram.Op` but its ``id``,
    which the copies and deletes put before it change; :meth:`op` makes the op once it is known."""

    kind: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    acts: tuple
    broadcast: tuple[str, ...]
    label: str | None
    learned: bool
    params: Mapping
    section: int | None
    span: Span | None

    def op(self, id: int, inputs: tuple[int, ...] | None = None) -> Op:
        """This op, numbered ``id``, reading ``inputs`` instead of its own when given."""
        return Op(id, self.kind, self.inputs if inputs is None else inputs, self.outputs, self.acts, self.broadcast,
                  self.label, self.learned, self.params, self.section, self.span)


@dataclass
class Scope:
    """What names mean where a statement is: tensors, the section, the component depth, and
    a component's formal axes renamed to its arguments'."""

    names: dict[str, int]
    section: int | None
    depth: int
    rename: dict[str, str]


class Names:
    """The builder's names and axes (state: ``axes``, ``values``, ``ops``, ``sizes``,
    ``sections``, ``param_names``, ``last_suffix``, ``tandem_names``; see :class:`~.Builder`)."""

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
                multiples = " or ".join(str(n) for n in (a - a % b, a - a % b + b) if n > 0) if b else ""
                raise NcdError(f"{ta} / {tb} = {a} / {b} is not a whole number", expr.span,
                               f"make {ta} a multiple of {tb} ({b}): {multiples}" if multiples else None)
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


    def axis_name(self, ref: ast.AxisRef, scope: Scope) -> str:
        """The axis a reference denotes, registering groups such as (r c)."""
        if len(ref.names) == 1 and not scope.rename:  # most references: one declared axis, outside components
            if ref.names[0] not in self.axes:
                self.axis(ref.names[0], ref.span)  # says why not
            return ref.names[0]
        names = [scope.rename.get(n, n) for n in ref.names]
        for original, name in zip(ref.names, names):
            if original == name:
                self.axis(name, ref.span)
                formal = next((f for f, a in scope.rename.items() if a == name and f != name), None)
                if formal is not None:  # the body names the argument's axis, not its own: it would draw only where called so
                    raise NcdError(f"axis '{name}' is the argument's axis that the component's axis '{formal}' stands for here",
                                   ref.span, f"inside a component, write its own axis names ('{formal}'), as its parameters give them")
        if len(names) == 1:
            return names[0]
        key = "(" + " ".join(names) + ")"
        if key not in self.axes:
            parts = [self.axes[n] for n in names]
            sizes = [p.size for p in parts]
            size = None if None in sizes else _product(sizes)
            self.axes[key] = Axis(key, size, any(p.width for p in parts), ref.span)
        return key


    def shape(self, refs, scope: Scope, what: str, twice=None) -> tuple[str, ...]:
        """The axes ``refs`` names, each once; ``twice(axis)`` gives the hint where one is named twice (else: name
        them differently)."""
        axes = tuple([self.axis_name(r, scope) for r in refs])
        if len(set(axes)) == len(axes):
            return axes
        for ref, (name, count) in zip(refs, Counter(axes).items()):
            if count > 1:
                bad = [r for r, a in zip(refs, axes) if a == name][1]
                raise NcdError(f"axis '{name}' appears twice in {what}", bad.span,
                               twice(name) if twice else "give the two axes different names")
        return axes

    def new_value(self, name: str, axes: tuple[str, ...], dtype: str, span: Span | None) -> int:
        if len(axes) > limits.MAX_AXES:
            raise NcdError(f"{name or 'this tensor'} has {len(axes):,} axes; the limit is {limits.MAX_AXES}", span,
                           "join axes that always go together into one (docs/limits.md)")
        vid = len(self.values)
        self.values[vid] = Value(vid, name, axes, dtype, span)
        return vid

    def name_value(self, vid: int, name: str, span: Span) -> None:
        """Value ``vid`` as the tensor ``name`` written at ``span`` (an assignment's target)."""
        value = self.values[vid]
        self.values[vid] = Value(vid, name, value.axes, value.dtype, span)


    def add_op(self, kind: str, inputs: tuple[int, ...], outputs: tuple[int, ...], acts: tuple = (), broadcast: tuple[str, ...] = (),
               label: str | None = None, learned: bool = False, params: Mapping | None = None, section: int | None = None,
               span: Span | None = None) -> None:
        """A new op, after the others (a :class:`Draft` until :meth:`make_copies_and_deletes` numbers it); an error
        where it reads flags (a boolean input) other than as a mask or moved as they are, or more tensors than
        :data:`~ncd_render.limits.MAX_OPERANDS`."""
        if len(inputs) > limits.MAX_OPERANDS:
            raise NcdError(f"this statement takes {len(inputs):,} tensors; the limit is {limits.MAX_OPERANDS}", span,
                           "name partial results, as in S1 = A + B + C, then Y = S1 + D + E (docs/limits.md)")
        for k, vid in enumerate(inputs):
            if self.values[vid].dtype == "bool":
                entry = ops.get((params or {}).get("fn") or kind)
                if not (entry.reads_flags == k or entry.free or entry.keeps_ids or not entry.runs):  # (an opaque box: drawn only)
                    name = self.values[vid].name or "the tensor"
                    raise NcdError(f"{name} holds flags (booleans): they hide scores, mask(S, {name}), and do no arithmetic", span,
                                   f"a mask of 1s for the kept keys is mask(S, {name}) with keep; a mask of numbers (0 or -inf) "
                                   f"is declared real and added, S + {name}")
        self.ops.append(Draft(kind, inputs, outputs, acts, broadcast, label, learned,
                              MappingProxyType({}) if params is None else params, section, span))


    def lookup(self, name: ast.Name, scope: Scope) -> int:
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


    def one_arg(self, call: ast.Call, scope: Scope) -> int:
        """The one tensor a call takes."""
        if len(call.args) == 1:
            return self.lookup(call.args[0], scope)
        for a in call.args:  # an unknown one first
            self.lookup(a, scope)
        fn, pair = call.fn.name, len(call.args) == 2 and call.fn.name in ("max", "min")
        raise NcdError(f"{fn} takes one tensor, got {len(call.args)}", call.span,
                       f"for the {'larger' if fn == 'max' else 'smaller'} of two tensors element by element, write "
                       f"{fn}imum({call.args[0].name}, {call.args[1].name})" if pair else None)


    def param_name(self, label: str, scope: Scope) -> str:
        """A python-identifier name for a learned box, unique in the diagram (collapsed bodies included).

        Names taken are kept in a set and the last suffix per name, so this is constant time, not a scan of all ops."""
        base = _NOT_ALNUM.sub("_", label.replace("{", "").replace("}", "").replace("\\", "")).strip("_") or "box"  # W_\mu: W_mu
        prefix = ""
        sid = scope.section
        while sid is not None:
            sec = self.sections[sid]
            if sec.kind == "block":
                prefix = _NOT_ALNUM.sub("_", sec.title) + "_" + prefix
            sid = sec.parent
        first = prefix + base
        if keyword.iskeyword(first) or first[0].isdigit():  # \lambda: lambda_, as PEP 8 writes a keyword's name
            first = f"_{first}" if first[0].isdigit() else f"{first}_"
        n = self.last_suffix.get(first, 1)  # names are never freed, so first_2 .. first_{n-1} are still taken
        name = first if n == 1 else f"{first}_{n}"
        while name in self.param_names:
            n += 1
            name = f"{first}_{n}"
        self.param_names.add(name)
        self.last_suffix[first] = n
        return name


    def spec_axes(self, refs, vid: int, scope: Scope, fn: str, where: Span) -> tuple[str, ...]:
        """The axes ``refs`` names, each checked to be an axis of value ``vid``; ``where`` is the spec."""
        axes = self.values[vid].axes
        acted = self.shape(refs, scope, f"the axes of {fn}")
        if not acted:
            raise NcdError(f"{fn} needs at least one axis", where,
                           "a batch norm of vectors (BatchNorm1d on [batch, features]) takes its statistics over the batch "
                           "alone: name the batch as an axis, input X[s f], and write batchnorm(X: s)" if fn == "batchnorm" else None)
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


#: a character neither a letter nor a digit, as str.isalnum() tells them (or an underscore, kept as it is)
_NOT_ALNUM = re.compile(r"\W")


def _product(xs) -> int:
    out = 1
    for x in xs:
        out *= x
    return out
