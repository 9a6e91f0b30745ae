"""lark's LALR parse, its contextual lexer and its parse tables, run as one loop.

lark's LALR parser takes one token at a time from a generator: its contextual lexer looks up
the scanner of the parser's state, builds the token through two constructors and counts lines
in a helper object; then the parser's ``feed_token`` looks the token up in the parse table,
compares the rule it reduces with the end state (``Rule.__eq__``, in Python) and hashes it (in
Python) to find the callback that builds the tree node. Per token that bookkeeping is most of a
large file's parse. :func:`quicken` gives back a parser whose ``parse`` runs the same scanners
(chosen by the same parser state), the same keyword callbacks and ignored terminals, the same
shifts, reductions and tree callbacks from lark's own tables, read once, in one loop: the same
tree with the same tokens at the same positions. A text that does not parse is handed whole to
lark's own parser, which raises the error it always raised. A lark laid out otherwise than this
reads it, or whose parse of a probe text the loop does not reproduce, is returned as it is
(lark 1.1.9, 1.2.2 and 1.3.1 were tried).

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
    """The tree ``parse`` makes of ``text`` and every token's type and positions; the error's text when it does not parse."""
    try:
        tree = parse(text)
    except Exception as error:
        return repr(error)
    return tree, [(t.type, str(t), t.start_pos, t.line, t.column, t.end_line, t.end_column, t.end_pos)
                  for t in tree.scan_values(lambda v: isinstance(v, _Token))]


class _OneLoop:
    """The parser :func:`quicken` makes: lark's tables, read once.

    ``scanners``: for each parser state, how its lexer matches at a position (each expression of its scanner in
    turn), its callbacks (a name that is a keyword retyped as the keyword), its ignored and its multi-line terminals.
    ``actions``: for each parser state and terminal (or rule name, after a reduction), the state to shift to, or the
    reduction as (how many values it takes, the rule's name, the callback that builds its node)."""

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
            self.scanners[state] = (match, lexer.callback, lexer.ignore_types, lexer.newline_types)
        tables = parser.parser.parser.parser
        table, callbacks = tables.parse_table, tables.callbacks
        (start,) = table.start_states
        self.start, self.end = table.start_states[start], table.end_states[start]
        if any(isinstance(kind, str) for kind in callbacks):  # callbacks on tokens as they are shifted
            raise TypeError("a parser this loop does not reproduce")
        shift, reductions = lark.parsers.lalr_parser_state.Shift, {}

        def action(kind, arg):
            if kind is shift:
                if type(arg) is not int:
                    raise TypeError("parse states that are not numbered")
                return arg
            if arg not in reductions:
                reductions[arg] = (len(arg.expansion), arg.origin.name, callbacks[arg])
            return reductions[arg]

        self.actions = {state: {symbol: action(*step) for symbol, step in row.items()} for state, row in table.states.items()}

    def parse(self, text: str):
        """The tree of ``text``; where it does not parse, lark's own parser raises its error."""
        tree = self._run(text)
        return self.lark.parse(text) if tree is None else tree

    def _run(self, text: str):
        """The tree of ``text``, or None where no terminal matches or the table has no step."""
        scanners, actions, accept = self.scanners, self.actions, self.end
        states, values = [self.start], []
        pos, line, line_start, end = 0, 1, 0, len(text)
        while True:
            if pos < end:  # the next token
                match, callbacks, ignored, multiline = scanners[states[-1]]
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
                token = _new_string(_Token, value)  # as Token(kind, value, ...) makes it
                token.type, token.value, token.start_pos, token.line, token.column = kind, value, pos, line, pos - line_start + 1
                token.end_line, token.end_column, token.end_pos = next_line, after - next_start + 1, after
                callback = callbacks.get(kind)
                if callback is not None:
                    token = callback(token)
                    kind = token.type
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
                size, rule, build = step
                if size:
                    children = values[-size:]
                    del states[-size:]
                    del values[-size:]
                else:
                    children = []
                states.append(actions[states[-1]][rule])
                values.append(build(children))
                if token is None and states[-1] == accept:
                    return values[-1]


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
