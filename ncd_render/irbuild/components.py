"""Components and repeats for the IR builder: ``repeat N`` blocks (what goes round each time),
sections, and component calls, expanded or, below the drawing depth, collapsed into one
``call`` box that keeps the ops of its body."""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from types import MappingProxyType

from .. import parse as ast
from ..diagram import Section
from ..errors import NcdError, Span, plural
from .names import Scope


class Components:
    def repeat(self, s: ast.Repeat, scope: Scope, top: bool) -> None:
        if s.times < 1:
            raise NcdError("repeat needs a count of at least 1", s.span)
        sid = self.new_section(s.title or "", "repeat", scope, s.span, colour=s.number)
        before = dict(scope.names)
        first_op = len(self.ops)
        self.statements(s.body, Scope(scope.names, sid, scope.depth, scope.rename), top)
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


    def new_section(self, title: str, kind: str, scope: Scope, span: Span, fused: bool = False, colour: int = 0) -> int:
        sid = self.next_section  # never reused, though a collapsed call drops its section
        self.next_section += 1
        parent_depth = self.sections[scope.section].depth if scope.section is not None else -1
        self.sections[sid] = Section(sid, title, kind, scope.section, parent_depth + 1, span, fused, colour=colour)
        return sid


    def call_block(self, call: ast.Call, scope: Scope, stmt: ast.Assign) -> list[int]:
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
        collapse = (self.depth is not None and scope.depth >= self.depth) != ((call.span.line, call.span.column) in self.toggle)
        sid = self.new_section(stmt.label or block.name, "block", scope, call.span, colour=self.program.sections + block.number)
        inner = Scope({p.name: a for p, a in zip(block.params, args)}, sid, scope.depth + 1, {**scope.rename, **rename})
        first_op = len(self.ops)
        returned = self.statements(block.body, inner)
        if not returned:
            raise NcdError(f"component {block.name} returns nothing", block.span, "end its body with 'return NAME'")
        # a body that stores a tensor is drawn open: collapsed, its save would be hidden from the load that reads it later
        if collapse and not any(op.kind == "save" for op in self.ops[first_op:]):
            body = self.ops[first_op:]
            self.collapsed = self.collapsed or bool(body)
            del self.ops[first_op:]
            del self.sections[sid]
            outs = []
            for r in returned:
                outs.append(self.new_value("", self.values[r].axes, self.values[r].dtype, call.span))
            self.add_op(kind="call", inputs=tuple(args), outputs=tuple(outs), acts=tuple(self.values[a].axes for a in args),
                        label=stmt.label or block.name, learned=any(o.learned for o in body),
                        params=MappingProxyType({"block": block.name, "body": tuple(d.op(first_op + k) for k, d in enumerate(body))}),
                        section=scope.section, span=call.span)
            return outs
        return returned


def check_returns(block: ast.Block) -> None:
    """A component returns once, at the end of its body: a second ``return`` (the first would be
    silently replaced) or a statement after the ``return`` (built, never returned) is an error."""
    returns, after = [], []

    def walk(body) -> None:
        for k, s in enumerate(body):
            if isinstance(s, ast.Return):
                returns.append(s)
                after.extend(body[k + 1:k + 2])
            elif isinstance(s, (ast.Section, ast.Repeat)):
                walk(s.body)

    walk(block.body)
    if len(returns) > 1:
        raise NcdError(f"component {block.name} returns twice", returns[1].span,
                       "a component ends with one 'return'; return several tensors at once: return Y, Z")
    if after:
        raise NcdError(f"nothing may follow the 'return' of component {block.name}", after[0].span,
                       "'return' ends a component: move this statement before it")
