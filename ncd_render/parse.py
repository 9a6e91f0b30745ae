"""Parse .ncd text into a syntax tree whose every node knows where it came from.

The grammar lives in ``grammar.lark`` (parsed by lark's LALR parser); this
module turns lark's tree into the small frozen dataclasses of :mod:`.syntax`
(read here as ``parse.Call`` and so on), and lark's errors into
:class:`~ncd_render.errors.NcdError` with the file, line and column.

>>> program = parse("axis m = 4\\ninput X[m]\\nY = relu(X)\\noutput Y\\n", "tiny.ncd")
>>> [type(s).__name__ for s in program.statements]
['AxisDecl', 'Input', 'Assign', 'Output']
>>> program.statements[2].expr.fn.name
'relu'
"""
from __future__ import annotations

import re
import sys
from fractions import Fraction
from functools import lru_cache, partial
from pathlib import Path

from . import limits
from .errors import NcdError, Source, Span
from .syntax_errors import syntax_error
from .syntax_mistakes import unknown_command
from .lean import import_lark
from .lalr import quicken
from .limits import decode_utf8
from .parser_cache import build_parser, default_cache_dir
from .syntax import (  # noqa: F401 (the tree is read as parse.Name, parse.Call, ...)
    Add, Alias, Assign, AxisDecl, AxisRef, Block, Call, CheckSizes, Convolutions, Delete, Depth, Input, Name, Offset, Option, Output,
    Program, Repeat, Return, Save, Scale, Scaled, Section, SizeExpr, SizeInt, SizeOp, SizeRef, Spec, Statement, Tandem, TensorDecl,
    Title,
)

lark = import_lark()
_Token = lark.Token  # looked up for every node of the tree
# Span((source, line, column, end_line, end_column)), made in C: a named tuple's own __new__ is a Python
# function, and a statement makes about seven spans
_span = partial(tuple.__new__, Span)

# ----------------------------------------------------------------------------
# Parsing


@lru_cache(maxsize=1)
def _parser() -> tuple[lark.Lark, frozenset[str]]:
    """The parser, and the terminals the grammar names (the tree keeps every token: keywords and
    punctuation only mark where a statement starts and ends)."""
    grammar = (Path(__file__).with_name("grammar.lark")).read_text(encoding="utf-8")
    named = frozenset(re.findall(r"^([A-Z][A-Z0-9_]*)\s*:", grammar, re.MULTILINE))
    return quicken(build_parser(grammar, default_cache_dir())), named


def parse(text: str, path: str = "<string>") -> Program:
    """Parse .ncd source text; raise NcdError pointing at the first syntax error."""
    source = Source(path, text if text.endswith("\n") else text + "\n")
    try:
        parser, named = _parser()
        tree = parser.parse(source.text)
    except lark.exceptions.UnexpectedInput as error:
        raise syntax_error(error, source) from None
    builder = _Builder(source, named)
    statements = tuple(builder.statements(tree.children))
    return Program(source, statements, builder.numbered["section"])


def parse_file(path: str | Path) -> Program:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise NcdError(f"cannot read the diagram: {error.strerror or error}", path=str(path)) from None
    return parse(decode_utf8(data, path, "the diagram"), str(path))


class _Builder:
    """Turns the parse tree into the dataclasses above: its nodes are read by ``.data`` and ``.children`` (the
    one-loop parser's :class:`~ncd_render.lalr.Node`, or a ``lark.Tree`` where lark's own parser runs), its
    leaves are lark's tokens.

    The tree keeps every token (``keep_all_tokens``) and lark tracks no positions of rules
    (``propagate_positions`` was a third of the parse): a rule stands from its first token,
    keyword or bracket included, to its last, which :meth:`span` finds when a span is asked for.
    """

    def __init__(self, source: Source, named: frozenset[str]):
        self.source = source
        self.named = named  # the tokens the builder reads; the others are keywords and punctuation
        self.nesting = 0  # sections, repeats and blocks around the statement being built
        self.numbered = {"section": 0, "block": 0}  # sections and repeats, and components, met so far

    def number(self, kind: str) -> int:
        """The next ``kind`` ("section": sections and repeats; "block": components) in reading order."""
        self.numbered[kind] += 1
        return self.numbered[kind] - 1

    def span(self, item, empty: Span | None = None) -> Span:
        """Where ``item`` stands; ``empty`` for a rule that matched nothing."""
        if isinstance(item, _Token):
            return _span((self.source, item.line, item.column, item.end_line, item.end_column))
        children = item.children
        first = children[0] if children and isinstance(children[0], _Token) else _edge(children, False)
        if first is None:
            return empty
        last = children[-1] if isinstance(children[-1], _Token) else _edge(children, True)
        return _span((self.source, first.line, first.column, last.end_line, last.end_column))

    def kept(self, tree) -> list:
        """The children of ``tree`` the builder reads: its rules and named tokens, no keywords or punctuation."""
        named = self.named
        return [c for c in tree.children if not isinstance(c, _Token) or c.type in named]

    def statements(self, items) -> list:
        return [getattr(self, tree.data)(tree) for tree in items if not isinstance(tree, _Token)]

    def nested(self, tree, body) -> tuple:
        """The statements of a section, repeat or block body, at most MAX_NESTING deep."""
        if self.nesting >= limits.MAX_NESTING:
            raise NcdError(f"sections, repeats and blocks nest more than {limits.MAX_NESTING} deep here", self.span(tree),
                           f"nest them at most {limits.MAX_NESTING} deep: move inner parts into components or side by side")
        self.nesting += 1
        try:
            return tuple(self.statements(body))
        finally:
            self.nesting -= 1

    def name(self, token) -> Name:
        """The NAME ``token`` as a Name. Its text is interned, as an axis's in :meth:`axis_refs`: a program
        writes each tensor's name several times and is kept as long as its diagram (1.8 MB less at 10,000 boxes)."""
        return Name(sys.intern(token.value), _span((self.source, token.line, token.column, token.end_line, token.end_column)))

    # statements
    def title(self, tree):
        return Title(str(self.kept(tree)[0])[1:-1], self.span(tree))

    def tandem(self, tree):
        name, *axes = self.kept(tree)
        return Tandem(str(name), tuple(str(a) for a in axes), self.span(tree))

    def depth(self, tree):
        return Depth(self.whole(self.kept(tree)[0], "a depth"), self.span(tree))

    def convolutions(self, tree):
        form = self.kept(tree)[0]
        if str(form) not in ("compact", "explicit"):
            raise NcdError(f"'convolutions {form}': the form is compact or explicit", self.span(form), "for example: convolutions compact")
        return Convolutions(str(form), self.span(tree))

    def check_sizes(self, tree):
        sizes = []
        for item in self.kept(tree):
            name, value = self.kept(item)
            if any(str(name) == n for n, _ in sizes):
                raise NcdError(f"the check line gives axis '{name}' twice", self.span(item))
            sizes.append((str(name), self.whole(value, "an axis size")))
        return CheckSizes(tuple(sizes), self.span(tree))

    def whole(self, token, what: str) -> int:
        return limits.whole(str(token), self.span(token), what)

    def axis_decl(self, tree):
        name, *rest = self.kept(tree)
        width = bool(rest) and isinstance(rest[-1], _Token) and rest[-1].type == "WIDTH"
        size = rest[0] if rest and not (isinstance(rest[0], _Token) and rest[0].type == "WIDTH") else None
        while size is not None and size.data == "atom":  # ( ... ): the expression inside
            size = self.kept(size)[0]
        if size is not None:
            operations = _operations(size)
            if operations > limits.MAX_SIZE_TERMS:
                raise NcdError(f"this size has {operations} operations; a size expression has at most {limits.MAX_SIZE_TERMS}",
                               self.span(size), "declare intermediate axes, e.g. 'axis a = m * h' and then 'axis k = a / 4'")
        return AxisDecl(str(name), self.size(size) if size is not None else None, width, self.span(tree))

    def size(self, item) -> SizeExpr:
        if isinstance(item, _Token):
            raise AssertionError(item)
        while item.data == "atom":  # ( ... ): the expression inside (a loop: parentheses may nest deep)
            item = self.kept(item)[0]
        if item.data == "size_int":
            return SizeInt(self.whole(item.children[0], "an axis size"), self.span(item))
        if item.data == "size_ref":
            return SizeRef(str(item.children[0]), self.span(item))
        left, op, right = item.children
        return SizeOp(str(op), self.size(left), self.size(right), self.span(item))

    def tensor_decl(self, tree) -> TensorDecl:
        name, shape, *dtype = tree.children
        return TensorDecl(str(name), self.axis_refs(self.kept(shape)), str(dtype[0]) if dtype else "real", self.span(tree))

    def axis_refs(self, items) -> tuple[AxisRef, ...]:
        """An axis (a NAME token) or a group of them ("(r c)", an axis_group tree) each."""
        source = self.source
        return tuple([AxisRef((sys.intern(item.value),), _span((source, item.line, item.column, item.end_line, item.end_column)))
                      if isinstance(item, _Token) else AxisRef(tuple([t.value for t in self.kept(item)]), self.span(item))
                      for item in items])

    def input_decl(self, tree):
        return Input(tuple(self.tensor_decl(t) for t in self.kept(tree)), self.span(tree))

    def output_decl(self, tree):
        return Output(tuple(self.name(t) for t in self.kept(tree)), self.span(tree))

    def delete(self, tree):
        return Delete(tuple(self.name(t) for t in self.kept(tree)), self.span(tree))

    def save(self, tree):
        name, label = self.kept(tree)
        token = label.children[0]
        return Save(self.name(name), self.label(token), self.span(tree))

    def label(self, token) -> str:
        """A label's text: a quoted one's inside; an unquoted one's whole, with no command but those a label knows."""
        if token.type == "STRING":
            return token.value[1:-1]
        unknown = unknown_command(token.value)
        if unknown is not None:
            message, start, end, hint = unknown
            at = token.column - 1
            raise NcdError(message, _span((self.source, token.line, at + start, token.line, at + end)), hint)
        return token.value

    def repeat(self, tree):
        times, *rest = self.kept(tree)
        title = None
        if rest and isinstance(rest[0], _Token) and rest[0].type == "STRING":
            title = str(rest[0])[1:-1]
            rest = rest[1:]
        number = self.number("section")  # before its body's: reading order
        return Repeat(self.whole(times, "a repeat count"), title, self.nested(tree, rest), self.span(tree), number)

    def return_stmt(self, tree):
        return Return(tuple(self.name(t) for t in self.kept(tree)), self.span(tree))

    def assign(self, tree):
        """``A, B = RHS as LABEL``: the targets, a NAME before each comma and the '=', then the
        right-hand side (a rule), then maybe 'as' and the label (a rule); the statement ends where
        its label, or else its right-hand side, ends."""
        children = tree.children
        label, text, end = children[-1], None, None
        if label.data == "label":
            expr = children[-3]
            end = label.children[0]
            text = self.label(end)
        else:
            expr, label = label, None
        rhs = getattr(self, expr.data)(expr)
        targets = tuple([self.name(t) for t in children[0 : len(children) - (4 if label else 2) : 2]])
        end = end or rhs.span
        first = children[0]
        return Assign(targets, rhs, text, _span((self.source, first.line, first.column, end.end_line, end.end_column)))

    def call(self, tree):
        """``f(X, Y: SPEC) with OPTIONS * SCALE``: the function's and the arguments' NAMEs among brackets
        and commas, then the rules of what else is written; the call ends where its last part ends."""
        children = tree.children
        args, spec, options, scale = [], None, (), None
        for item in children[2:]:
            if not isinstance(item, _Token):
                if item.data == "spec":
                    spec = item
                elif item.data == "options":
                    options = tuple([self.option(o) for o in item.children if not isinstance(o, _Token)])
                else:
                    scale = self.scale(item)
            elif item.type == "NAME":  # an argument
                args.append(self.name(item))
        first, end = children[0], scale.span if scale else options[-1].span if options else children[-1]
        span = _span((self.source, first.line, first.column, end.end_line, end.end_column))
        if spec is not None:
            spec = self.spec(spec, empty=span)
        return Call(self.name(first), tuple(args), spec, options, scale, span)

    def add(self, tree):
        """``A + B + C``: a NAME, then a '+' and a NAME each; or ``A - B``."""
        children = tree.children
        first, last = children[0], children[-1]
        return Add(tuple([self.name(t) for t in children[::2]]),
                   _span((self.source, first.line, first.column, last.end_line, last.end_column)), children[1] == "-")

    def offset(self, tree):
        """``X + 1``, ``X - 1``, ``1 + X`` or ``1 - X``."""
        first, sign, last = tree.children
        negate = first.type == "NUMBER"
        number, name = (first, last) if negate else (last, first)
        text = str(number)
        value = limits.number(text, self.span(number), "the number")
        subtract = sign == "-"
        return Offset(self.name(name), text, value if not subtract or negate else -value, subtract and negate,
                      _span((self.source, first.line, first.column, last.end_line, last.end_column)))

    def alias(self, tree):
        return Alias(self.name(tree.children[0]), self.span(tree))

    def scaled(self, tree):
        arg, scale = tree.children
        return Scaled(self.name(arg), self.scale(scale), self.span(tree))

    def scale(self, tree) -> Scale:
        factor = self.kept(tree)[0]
        divide = tree.children[0] == "/"
        span = self.span(factor)
        if factor.data == "factor_number":
            text = str(factor.children[0])
            return Scale(text, limits.number(text, span, "the scale"), None, Fraction(1), span, divide)
        name, *power = self.kept(factor)
        axis = str(name)
        exponent = limits.exponent(str(power[0]), span) if power else Fraction(1)
        text = axis if exponent == 1 else f"{axis}^{exponent}"
        return Scale(text, None, axis, exponent, span, divide)

    def option(self, tree) -> Option:
        """``name`` or ``name = value``: tokens only."""
        children = tree.children
        name, last = children[0], children[-1]
        numbers = None if isinstance(last, _Token) else [t for t in last.children if t.type == "NUMBER"]  # one per width axis
        end = last if numbers is None else last.children[-1]
        span = _span((self.source, name.line, name.column, end.end_line, end.end_column))
        if len(children) == 1:
            return Option(name.value, None, span, None)
        if numbers is not None:
            return Option(name.value, tuple(float(t.value) for t in numbers), span, f"({', '.join(t.value for t in numbers)})")
        text = last.value
        return Option(name.value, float(text) if last.type == "NUMBER" else text.strip('"'), span, text)

    def spec(self, tree, empty: Span) -> Spec:
        groups, outputs, seen_arrow = [], [], False
        for child in tree.children:
            if not isinstance(child, _Token):
                (outputs if seen_arrow else groups).append(self.axis_refs(child.children))
            elif child.type == "ARROW":  # else a comma
                seen_arrow = True
        first, last = groups[0], outputs[-1] if seen_arrow else groups[-1]
        if first and last:  # from the first axis named to the last
            start, end = first[0].span, last[-1].span
            span = _span((self.source, start.line, start.column, end.end_line, end.end_column))
        else:  # a group that names no axis at an end: its tokens, if any
            span = self.span(tree, empty)
        return Spec(tuple(groups), tuple(outputs) if seen_arrow else None, span)

    def section(self, tree):
        title, *body = self.kept(tree)
        fused = bool(body) and isinstance(body[0], _Token) and body[0].type == "FUSED"
        number = self.number("section")  # before its body's: reading order
        return Section(str(title)[1:-1], self.nested(tree, body), self.span(tree), fused, number)

    def block(self, tree):
        name, *rest = self.kept(tree)
        params = tuple(self.tensor_decl(t) for t in rest if not isinstance(t, _Token) and t.data == "tensor_decl")
        body = [t for t in rest if not isinstance(t, _Token) and t.data != "tensor_decl"]
        number = self.number("block")
        return Block(str(name), params, self.nested(tree, body), self.span(tree), number)


def _operations(size) -> int:
    """How many operations (``binop`` nodes) the size expression ``size`` holds; a loop, as in :func:`_edge`."""
    count, pending = 0, [size]
    while pending:
        node = pending.pop()
        count += node.data == "binop"
        pending += [child for child in node.children if not isinstance(child, _Token)]
    return count


def _edge(children: list, last: bool):
    """The first (or ``last``) token of ``children`` and their descendants; None if they hold none.
    A loop, not a recursion: a size such as 1 + 1 + ... + 1 nests a thousand deep (limits.MAX_SIZE_TERMS
    reports it, at this span)."""
    end, below = (-1 if last else 0), children
    while below:  # straight down the first (last) children: the token, unless a rule on the way matched nothing
        child = below[end]
        if isinstance(child, _Token):
            return child
        below = child.children
    pending = [iter(reversed(children) if last else children)]
    while pending:
        for child in pending[-1]:
            if isinstance(child, _Token):
                return child
            pending.append(iter(reversed(child.children) if last else child.children))
            break
        else:
            pending.pop()
    return None
