"""lark's LALR parse, its contextual lexer and its parse tables, run as one loop.

lark's LALR parser takes one token at a time from a generator: its contextual lexer looks up
the scanner of the parser's state, builds the token through two constructors and counts lines
in a helper object; then the parser's ``feed_token`` looks the token up in the parse table,
compares the rule it reduces with the end state (``Rule.__eq__``, in Python) and hashes it (in
Python) to find the callback that builds the tree node. Per token that bookkeeping is most of a
large file's parse. :func:`quicken` gives back a parser whose ``parse`` runs the same scanners
(chosen by the same parser state), the same keywords and ignored terminals, the same shifts and
reductions from lark's own tables, read once, in one loop, and shapes each rule's node as lark's
tree builder does (rules named ``_...`` inlined, a ``?rule``'s single child standing for it): the
same tree, of lighter nodes (:class:`Node`), with the same tokens at the same positions. A text
that does not parse is handed whole to lark's own parser, which raises the error it always raised.
A lark laid out otherwise than this reads it, or whose parse of a probe text the loop does not
reproduce, is returned as it is (lark 1.1.9, 1.2.2 and 1.3.1 were tried).

>>> from .parser_cache import build_parser
>>> parser = quicken(build_parser("start: WORD+\\n%import common.WORD\\n%ignore \\" \\"\\n", cache_dir=None))
>>> [(t, t.line, t.column, t.end_column) for t in parser.parse("ab cd").children]
[(Token('WORD', 'ab'), 1, 1, 3), (Token('WORD', 'cd'), 1, 4, 6)]
>>> parser.parse("ab 1")
Traceback (most recent call last):
lark.exceptions.UnexpectedCharacters: No terminal matches '1' in the current parser context, at line 1 col 4
<BLANKLINE>
ab 1
   ^
Expected one of: 
	* WORD
<BLANKLINE>
Previous tokens: Token('WORD', 'ab')
<BLANKLINE>
"""
from __future__ import annotations

from typing import NamedTuple

from .lean import import_lark

lark = import_lark()
_Token = lark.Token
_new_string = str.__new__


def quicken(parser):
    """``parser`` (a ``lark.Lark`` with the LALR parser and its contextual lexer) as a parser that runs in one loop;
    ``parser`` itself when it is built otherwise, or when the loop does not parse a probe text as lark does."""
    try:
        quick = _OneLoop(parser)
        if _outcome(quick.parse, PROBE) == _outcome(parser.parse, PROBE):  # read as lark reads it, or not at all
            return quick
    except Exception:  # another lark than the one this was written against
        pass
    return parser


PROBE = 'title "a"  # b\n\naxis m = 4 width\n'  # a text to compare the two on: keywords, a string, a comment, blank lines


def _outcome(parse, text: str):
    """The :func:`outline` of the tree ``parse`` makes of ``text``; the error's text when it does not parse."""
    try:
        tree = parse(text)
    except Exception as error:
        return repr(error)
    return outline(tree)


def outline(tree) -> tuple:
    """``tree`` (lark's or this loop's) as nested tuples, to compare the two: each node's name and children,
    each token's type, text and positions."""
    if isinstance(tree, _Token):
        return (tree.type, str(tree), tree.start_pos, tree.line, tree.column, tree.end_line, tree.end_column, tree.end_pos)
    return tree.data, tuple([outline(child) for child in tree.children])


class _OneLoop:
    """The parser :func:`quicken` makes: lark's tables, read once.

    ``scanners``: for each parser state, how its lexer matches at a position (each expression of its scanner in
    turn), its keywords (:func:`_keywords`: a name that is a keyword retyped as the keyword), its ignored and its
    multi-line terminals.
    ``actions``: for each parser state and terminal (or rule name, after a reduction), the state to shift to, or the
    reduction as (how many values it takes, the rule's name, then how its value is made, as lark's tree builder makes
    it: the node's name (None for a rule inlined into its parents, ``_stmt``: its children are its value), whether a
    single child stands for the node (``?rule``), the places of the children that are inlined rules, or None))."""

    def __init__(self, parser):
        if parser.options.postlex is not None or type(parser.parser.lexer) is not lark.lexer.ContextualLexer:
            raise TypeError("a parser this loop does not reproduce")
        self.lark = parser
        self.scanners = {}
        for state, lexer in parser.parser.lexer.lexers.items():
            expressions = tuple(lexer.scanner._mres)  # builds the scanner and its callbacks
            if any(kind in lexer.callback for kind in lexer.ignore_types) or not all(hasattr(e, "match") for e in expressions):
                raise TypeError("a lexer this loop does not reproduce")
            match = expressions[0].match if len(expressions) == 1 else _first_match(expressions)
            self.scanners[state] = (match, _keywords(lexer.callback), lexer.ignore_types, lexer.newline_types)
        options = parser.options
        if options.transformer or options.tree_class not in (None, lark.Tree) or options.propagate_positions or options.maybe_placeholders:
            raise TypeError("a tree this loop does not build")
        tables = parser.parser.parser.parser
        table = tables.parse_table
        (start,) = table.start_states
        self.start, self.end = table.start_states[start], table.end_states[start]
        shift, reductions = lark.parsers.lalr_parser_state.Shift, {}

        def action(kind, arg):
            if kind is shift:
                if type(arg) is not int:
                    raise TypeError("parse states that are not numbered")
                return arg
            if arg not in reductions:
                reductions[arg] = (len(arg.expansion), arg.origin.name) + _shaping(arg)
            return reductions[arg]

        self.actions = {state: {symbol: action(*step) for symbol, step in row.items()} for state, row in table.states.items()}

    def parse(self, text: str):
        """The tree of ``text``; where it does not parse, lark's own parser raises its error."""
        tree = self._run(text)
        return self.lark.parse(text) if tree is None else tree

    def _run(self, text: str):
        """The tree of ``text``, or None where no terminal matches or the table has no step."""
        scanners, actions, accept, new_tuple = self.scanners, self.actions, self.end, tuple.__new__
        states, values = [self.start], []
        pos, line, line_start, end = 0, 1, 0, len(text)
        while True:
            if pos < end:  # the next token
                match, keywords, ignored, multiline = scanners[states[-1]]
                found = match(text, pos, end)
                if found is None:
                    return None
                kind, after = found.lastgroup, found.end()
                next_line, next_start = line, line_start
                if kind in multiline:
                    newlines = text.count("\n", pos, after)
                    if newlines:
                        next_line, next_start = line + newlines, text.rindex("\n", pos, after) + 1
                if kind in ignored:  # spaces, a comment: no token
                    pos, line, line_start = after, next_line, next_start
                    continue
                value = found.group()
                words = keywords.get(kind)
                if words is not None:  # a name that is a keyword: the keyword
                    kind = words.get(value, kind)
                token = _new_string(_Token, value)  # as Token(kind, value, ...) makes it
                token.type, token.value, token.start_pos, token.line, token.column = kind, value, pos, line, pos - line_start + 1
                token.end_line, token.end_column, token.end_pos = next_line, after - next_start + 1, after
                pos, line, line_start = after, next_line, next_start
            else:  # the end of the text: reduce down to the start rule
                kind, token = "$END", None
            while True:  # reduce as the token asks, then shift it
                step = actions[states[-1]].get(kind)
                if step is None:
                    return None
                if type(step) is int:
                    if token is None:
                        return None
                    states.append(step)
                    values.append(token)
                    break
                size, rule, data, single, inlined = step
                if size:
                    children = values[-size:]
                    del states[-size:]
                    del values[-size:]
                else:
                    children = []
                if inlined is not None:
                    children = _inline(children, inlined)
                states.append(actions[states[-1]][rule])
                if data is None:  # a rule its parents inline: its children
                    values.append(children)
                elif single and len(children) == 1:
                    values.append(children[0])
                else:
                    values.append(new_tuple(Node, (data, children)))  # as Node(data, children) makes it
                if token is None and states[-1] == accept:
                    return values[-1]


class Node(NamedTuple):
    """A rule's node in the tree: its name (``data``) and its ``children``, read as a ``lark.Tree`` is read.
    A tuple made in C (by ``tuple.__new__``: a named tuple's own ``__new__`` is Python), not a Tree (whose
    ``__init__`` is Python and which keeps a ``__dict__``): a 10,000-line file has nearly 50,000 nodes."""

    data: str
    children: list


def _shaping(rule) -> tuple:
    """How lark's tree builder shapes the value of ``rule``'s reduction from its children (every token kept):
    (the node's name, None for a rule named ``_...``, which its parents inline; whether a single child stands for
    the node; the places of the children that are rules named ``_...``, inlined, or None)."""
    name = rule.origin.name
    inlined = tuple(i for i, symbol in enumerate(rule.expansion) if not symbol.is_term and symbol.name.startswith("_"))
    single = bool(rule.options.expand1) and not rule.alias
    if not rule.options.keep_all_tokens or (single and name.startswith("_")):
        raise TypeError("a rule this loop does not shape")
    data = None if name.startswith("_") else rule.alias or rule.options.template_source or name
    return data, single, inlined or None


def _inline(children: list, inlined: tuple) -> list:
    """``children`` with each child at the places ``inlined`` (the children list of an inlined rule) replaced by its
    children. A first one is extended in place, as lark's builder does: a list written ``x*`` grows one by one."""
    shaped = children[0] if inlined[0] == 0 else [children[0]]
    for place in range(1, len(children)):
        if place in inlined:
            shaped += children[place]
        else:
            shaped.append(children[place])
    return shaped


def _keywords(callbacks: dict) -> dict:
    """lark's lexer ``callbacks`` (for a terminal such as NAME, which keywords it retypes) as dicts: for
    each such terminal, the keyword terminal of each keyword's text. lark calls a scanner of the keywords on
    every name; a dict lookup finds the same keyword (each is a plain string, matched whole)."""
    keywords = {}
    for kind, callback in callbacks.items():
        terminals = callback.scanner.terminals if type(callback) is lark.lexer.UnlessCallback else ()
        if not terminals or not all(type(t.pattern) is lark.lexer.PatternStr and not t.pattern.flags for t in terminals):
            raise TypeError("a lexer callback this loop does not reproduce")
        keywords[kind] = {t.pattern.value: t.name for t in terminals}
    return keywords


def _first_match(expressions):
    """A ``match(text, pos, end)`` trying each of ``expressions`` in turn (a scanner of more terminals
    than one expression holds)."""
    def match(text: str, pos: int, end: int):
        for expression in expressions:
            found = expression.match(text, pos, end)
            if found:
                return found
        return None
    return match
