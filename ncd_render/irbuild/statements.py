"""Statements for the IR builder: inputs, outputs, returns, deletes, stores, sections and
assignments, each checked where it is written; a DSL function is built by its registry entry
(:mod:`ncd_render.ops`), sums and products by theirs."""
from __future__ import annotations

from types import MappingProxyType

from .. import ops
from .. import parse as ast
from ..errors import NcdError, did_you_mean, plural
from ..options import values as option_values
from .names import Scope


class Statements:
    def statements(self, statements, scope: Scope, top: bool = False) -> list[int]:
        returned: list[int] = []
        for s in statements:
            if isinstance(s, ast.Assign):  # most statements: first
                self.assign(s, scope)
            elif isinstance(s, ast.Input):
                if not top:
                    raise NcdError("'input' belongs at the top level; components take parameters instead", s.span)
                for t in s.tensors:
                    first = next((v for v in self.inputs if self.values[v].name == t.name), None)
                    if first is not None:  # (the second hid the first, which then went unused, with only a warning)
                        at = self.values[first].span
                        raise NcdError(f"'{t.name}' is already an input" + (f", declared at line {at.line}" if at else ""), t.span,
                                       "give each input its own name")
                    vid = self.new_value(t.name, self.shape(t.axes, scope, f"tensor {t.name}"), t.dtype if t.dtype in ("int", "bool") else "real", t.span)
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
                sid = self.new_section(s.title, "section", scope, s.span, s.fused, s.number)
                inner = Scope(scope.names, sid, scope.depth, scope.rename)
                returned = self.statements(s.body, inner, top) or returned
            elif isinstance(s, (ast.Block, ast.AxisDecl, ast.Title, ast.Depth, ast.Convolutions, ast.Tandem, ast.CheckSizes)):
                word = "check" if isinstance(s, ast.CheckSizes) else type(s).__name__.lower().replace("decl", "")
                raise NcdError(f"'{word}' statements belong at the top level", s.span)
        return returned


    def assign(self, s: ast.Assign, scope: Scope) -> None:
        expr = s.expr
        if isinstance(expr, ast.Alias):  # a second name for the same value: no box
            if s.label is not None or len(s.targets) != 1:
                raise NcdError("'Y = X' gives a tensor a second name; it takes one name and no label", s.span,
                               "to draw a box, write 'Y = identity(X) as LABEL'")
            scope.names[s.targets[0].name] = self.lookup(expr.arg, scope)
            return
        if s.label is not None and isinstance(expr, (ast.Add, ast.Offset, ast.Scaled)):
            raise NcdError("a sum, difference, product, quotient, scale or offset is drawn as its sign and takes no label",
                           s.span, "to draw a labelled box, write 'Y = identity(X) as LABEL' after it")
        if isinstance(expr, ast.Add):
            outs = ops.get("sub" if expr.subtract else "add").build(self, expr, {}, scope, None)
        elif isinstance(expr, ast.Offset):
            outs = ops.get("offset").build(self, expr, {}, scope, None)
        elif isinstance(expr, ast.Scaled) and expr.scale.axis in scope.names and expr.scale.exponent == 1:
            outs = ops.get("div" if expr.scale.divide else "mul").build(self, expr, {}, scope, None)
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
            self.name_value(vid, target.name, target.span)
            scope.names[target.name] = vid


    def op_call(self, call: ast.Call, scope: Scope, label: str | None) -> list[int]:
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

