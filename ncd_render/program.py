"""Checks on the whole program before the IR is built: a file line written twice
(``title``, ``depth``, ``convolutions``, ``check``: the second was ignored), components that call
themselves, nesting too deep once component calls are counted, and diagrams
that would expand to too many boxes (docs/dsl.md, "Limits").

The IR builder expands every component call, so each of these would
otherwise recurse without end, overflow Python's stack, or build an
exponentially large graph.

>>> from ncd_render.parse import parse
>>> check_program(parse("axis m = 4\\nblock A(X[m])\\n  Y = A(X)\\n  return Y\\nend\\ninput X[m]\\nY = A(X)\\noutput Y\\n", "r.ncd"))
Traceback (most recent call last):
...
ncd_render.errors.NcdError: r.ncd:3:3: component A calls itself
    3 |   Y = A(X)
      |   ^^^^^^^^
hint: a component cannot call itself, directly or through others; to apply a block several times, write 'repeat N ... end'
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import parse as ast
from .errors import NcdError
from .limits import MAX_BOXES, MAX_NESTING


@dataclass
class _Body:
    """What one body (a component's, or the file's top level) holds."""

    boxes: int = 0    # statements that make boxes, not counting the calls' bodies
    levels: int = 0   # sections and repeats around its deepest statement
    calls: list[tuple[ast.Assign, str, int]] = field(default_factory=list)  # (statement, component, level)


def check_program(program: ast.Program) -> None:
    """Raise NcdError for a component that calls itself, nesting deeper than MAX_NESTING
    with component calls counted, or more than MAX_BOXES boxes once calls are expanded; or a file line written twice."""
    _once(program)
    blocks: dict[str, ast.Block] = {}
    for s in program.statements:
        if isinstance(s, ast.Block):
            blocks.setdefault(s.name, s)
    bodies = {name: _scan(block.body, blocks) for name, block in blocks.items()}
    order = _callees_first(bodies)
    nesting: dict[str, int] = {}
    boxes: dict[str, int] = {}
    for name in order:
        body = bodies[name]
        nesting[name] = max([body.levels] + [level + 1 + nesting[c] for _, c, level in body.calls])
        boxes[name] = body.boxes + sum(boxes[c] for _, c, _ in body.calls)
    top = _scan(program.statements, blocks)  # which passes over the components' definitions
    for stmt, callee, level in top.calls:
        deep = level + 1 + nesting[callee]
        if deep > MAX_NESTING:
            raise NcdError(f"calling {callee} here nests sections, repeats and component calls {deep} deep; at most {MAX_NESTING}",
                           stmt.span, "components that call components add a level each: call fewer of them inside one another")
    total = top.boxes + sum(boxes[c] for _, c, _ in top.calls)
    if total > MAX_BOXES:
        stmt, callee, _ = max(top.calls, key=lambda call: boxes[call[1]], default=(None, None, 0))
        where = f"; calling {callee} here makes {_count(boxes[callee])} of them" if callee else ""
        raise NcdError(f"the diagram has {_count(total)} boxes with its components written out, more than {MAX_BOXES:,}{where}",
                       stmt.span if stmt else None, "split it into several diagrams, or call big components fewer times",
                       path=program.source.path)


ONCE = {ast.Title: "title", ast.Depth: "depth", ast.Convolutions: "convolutions", ast.CheckSizes: "check"}  # a file's own lines


def _once(program: ast.Program) -> None:
    """NcdError at the second of a line a file has once: only the first counted, and an edit to the second did nothing.

    >>> from ncd_render.parse import parse
    >>> _once(parse('title "A"\\naxis m = 4\\ninput X[m]\\noutput X\\ntitle "B"\\n', "t.ncd"))
    Traceback (most recent call last):
    ...
    ncd_render.errors.NcdError: t.ncd:5:1: a second title line: a file has one, and line 1 has it
        5 | title "B"
          | ^^^^^^^^^
    hint: keep one of them
    """
    first: dict[type, ast.Title | ast.Depth | ast.Convolutions | ast.CheckSizes] = {}
    for s in program.statements:
        word = ONCE.get(type(s))
        if word is None:
            continue
        if type(s) in first:
            raise NcdError(f"a second {word} line: a file has one, and line {first[type(s)].span.line} has it", s.span, "keep one of them")
        first[type(s)] = s


def _count(n: int) -> str:
    return f"{n:,}" if n < 10 ** 15 else f"about 10^{len(str(n)) - 1}"


def _scan(statements, blocks: dict[str, ast.Block]) -> _Body:
    body, stack, boxes = _Body(), [(statements, 0)], 0
    while stack:
        items, level = stack.pop()
        if items:
            body.levels = max(body.levels, level)
        for s in items:
            if isinstance(s, ast.Assign):  # most statements: first
                expr = s.expr
                if isinstance(expr, ast.Call):
                    if expr.fn.name in blocks:
                        body.calls.append((s, expr.fn.name, level))
                    else:
                        boxes += 1 + (expr.scale is not None)
                elif not isinstance(expr, ast.Alias):
                    boxes += 1
            elif isinstance(s, (ast.Section, ast.Repeat)):
                stack.append((s.body, level + 1))
            elif isinstance(s, (ast.Input, ast.Delete, ast.Save)):
                boxes += 1
    body.boxes = boxes
    return body


def _callees_first(bodies: dict[str, _Body]) -> list[str]:
    """Component names, each after every component it calls; a NcdError at the call that closes a cycle."""
    order, state = [], {}  # state: 1 while being visited, 2 when done
    for root in bodies:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(bodies[root].calls))]
        while stack:
            name, calls = stack[-1]
            for stmt, callee, _ in calls:
                if state.get(callee) == 1:
                    path = [n for n, _ in stack]
                    cycle = path[path.index(callee):] + [callee]
                    message = f"component {callee} calls itself" if len(cycle) == 2 else \
                        "components call each other in a circle: " + " -> ".join(cycle)
                    raise NcdError(message, stmt.span, "a component cannot call itself, directly or through others; "
                                                       "to apply a block several times, write 'repeat N ... end'")
                if callee not in state:
                    state[callee] = 1
                    stack.append((callee, iter(bodies[callee].calls)))
                    break
            else:
                state[name] = 2
                order.append(name)
                stack.pop()
    return order
