"""lark's contextual lexer with its per-token bookkeeping done in one loop.

lark's LALR parser asks its contextual lexer for one token at a time. For each, lark looks
up the scanner of the parser's state, matches it, builds the token through two constructors
and counts lines in a helper object: a third of parsing a large file (a 10,000-box program:
0.90 s, 0.61 s with this). :func:`quicken` gives the parser a lexer that runs the same
scanners (the same regular expressions, chosen by the same parser state), the same keyword
callbacks and the same ignored terminals in one loop, and makes the same tokens, with the same
positions. Where no terminal matches (a syntax error), it hands over to lark's own lexer at
that position, so every error reads as before. A lark whose lexer is not laid out as this
expects, or whose tokens of a probe text the loop does not reproduce, keeps its own (lark 1.1.9,
1.2.2 and 1.3.1 were tried).

>>> from .parser_cache import build_parser
>>> parser = quicken(build_parser("start: WORD+\\n%import common.WORD\\n%ignore \\" \\"\\n", cache_dir=None))
>>> [(t, t.line, t.column, t.end_column) for t in parser.parse("ab cd").children]
[(Token('WORD', 'ab'), 1, 1, 3), (Token('WORD', 'cd'), 1, 4, 6)]
"""
from __future__ import annotations

from .lean import import_lark

lark = import_lark()
_Token = lark.Token
_new_string = str.__new__


def quicken(parser):
    """``parser`` (a ``lark.Lark`` with the LALR parser and its contextual lexer), lexing in one loop; returned as it was
    when its lexer is another, or is built otherwise than this module reads it."""
    frontend = getattr(parser, "parser", None)
    inner = getattr(frontend, "lexer", None)
    if type(inner) is not lark.lexer.ContextualLexer:
        return parser
    try:
        frontend.lexer = _OneLoop(inner)
        if _tokens(parser, PROBE) != _tokens(parser, PROBE, inner):  # read as lark reads it, or not at all
            frontend.lexer = inner
    except Exception:  # another lark than the one this was written against: its own lexer
        frontend.lexer = inner
    return parser


PROBE = 'title "a"  # b\n\naxis m = 4 width\n'  # text to compare the two lexers on: keywords, a string, a comment, blank lines


def _tokens(parser, text: str, lexer=None) -> list:
    """Every token of ``parser``'s parse of ``text`` with its positions, lexed by ``lexer`` (else the parser's own);
    an error's text when it does not parse."""
    frontend = parser.parser
    kept, frontend.lexer = frontend.lexer, lexer or frontend.lexer
    try:
        tree = parser.parse(text)
    except Exception as error:
        return [repr(error)]
    finally:
        frontend.lexer = kept
    return [(t.type, str(t), t.start_pos, t.line, t.column, t.end_line, t.end_column, t.end_pos)
            for t in tree.scan_values(lambda v: isinstance(v, lark.Token))]


class _OneLoop:
    """The lexer :func:`quicken` installs: for each parser state, the expressions its scanner tries in turn,
    the callbacks (a name that is a keyword retyped as the keyword), the ignored and the multi-line terminals."""

    def __init__(self, inner):
        self.inner = inner
        self.states = {}
        for state, lexer in inner.lexers.items():
            expressions = tuple(lexer.scanner._mres)  # builds the scanner and its callbacks
            if any(kind in lexer.callback for kind in lexer.ignore_types) or not all(hasattr(e, "match") for e in expressions):
                raise TypeError("a lexer this loop does not reproduce")
            match = expressions[0].match if len(expressions) == 1 else _first_match(expressions)
            self.states[state] = (match, lexer.callback, lexer.ignore_types, lexer.newline_types)

    def lex(self, lexer_state, parser_state):
        """Tokens of ``lexer_state``'s text as lark's contextual lexer yields them, for ``parser_state``'s parser.
        lark's line counter and last token are brought up to date only where lark reads them: when its own
        lexer takes over at an error, and at the end."""
        text = lexer_state.text
        text, end = (text.text, text.end) if hasattr(text, "end") else (text, len(text))
        counter = lexer_state.line_ctr
        pos, line, line_start = counter.char_pos, counter.line, counter.line_start_pos
        states, token = self.states, lexer_state.last_token
        parser_states = parser_state.state_stack  # the parser's state is the last: ``parser_state.position``
        while pos < end:
            match, callbacks, ignored, multiline = states[parser_states[-1]]
            found = match(text, pos, end)
            if found is None:  # nothing matches here: lark's own lexer raises the error it always raised
                _move(counter, pos, line, line_start)
                lexer_state.last_token = token
                yield from self.inner.lex(lexer_state, parser_state)
                return
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
            pos, line, line_start = after, next_line, next_start
            yield token
        _move(counter, pos, line, line_start)
        lexer_state.last_token = token


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


def _move(counter, pos: int, line: int, line_start: int) -> None:
    """Set lark's line counter to ``pos`` (on ``line``, which starts at ``line_start``), as its ``feed`` leaves it."""
    counter.char_pos, counter.line, counter.line_start_pos, counter.column = pos, line, line_start, pos - line_start + 1
