"""The one-loop parser (ncd_render.lalr) against lark's own: the same trees, the same tokens at the same places, the same errors."""
import random
from pathlib import Path

import pytest
from lark import Token
from lark.exceptions import UnexpectedInput

from ncd_render import parse
from ncd_render.lalr import Node, outline, quicken
from ncd_render.parser_cache import build_parser

ROOT = Path(__file__).resolve().parents[1]
GRAMMAR = (ROOT / "ncd_render" / "grammar.lark").read_text(encoding="utf-8")
SOURCES = sorted(p for p in ROOT.rglob("*.ncd") if ".git" not in p.parts)
EDGES = [
    "", "\n", "# only a comment", "axis m = 4   # trailing\n\n\n", "axis m = 4\r\ninput X[m]\r\noutput X",
    "title \"a\"\n\tinput X[m]\n", "axis m = 4\ninput X[m]\nY = linear(X: m -> m) as W_{q}^{2}\noutput Y",
    "axis width = 4", "axis m = 4 width\ninput X[m] int\noutput X\n", "Y = f(X) * 1.5e-3", "Y = f(X) * d^-1/2",
]


@pytest.fixture(scope="module")
def parsers():
    """lark's parser as it comes, and the same tables run in one loop."""
    plain = build_parser(GRAMMAR, None)
    quick = quicken(build_parser(GRAMMAR, None))
    assert type(quick).__name__ == "_OneLoop" and type(plain.parser.lexer).__name__ == "ContextualLexer"
    return plain, quick


def _outcome(parser, text: str):
    """Every token with its type and all its positions, or the error raised with where it points."""
    try:
        tree = parser.parse(text)
    except UnexpectedInput as error:
        token = getattr(error, "token", None)  # the message lists what was expected in a set's order: compared sorted
        return (type(error).__name__, str(error).splitlines()[0], error.line, error.column, getattr(error, "pos_in_stream", None),
                token and (token.type, str(token)), sorted(getattr(error, "expected", None) or getattr(error, "allowed", None) or ()))
    return outline(tree)


def _tokens(tree):
    for child in tree.children:
        if isinstance(child, Token):
            yield child
        else:
            yield from _tokens(child)


def test_every_source_parses_as_lark_parses_it(parsers):
    assert len(SOURCES) > 20
    for source in SOURCES:
        text = source.read_text(encoding="utf-8")
        plain, quick = (_outcome(p, text) for p in parsers)
        assert plain == quick, source.name
        assert isinstance(parsers[1].parse(text), Node), source.name


@pytest.mark.parametrize("text", EDGES)
def test_edge_cases_parse_as_lark_parses_them(parsers, text):
    plain, quick = (_outcome(p, text) for p in parsers)
    assert plain == quick


def test_broken_sources_fail_where_lark_fails(parsers):
    """Sources cut, with characters dropped, doubled or replaced: the same tree or the same error, at the same place."""
    rng = random.Random(7)
    texts = [s.read_text(encoding="utf-8") for s in SOURCES]
    noise = "()[]{},:=+*-/>#\"'\\^_ \t\n0.5e\u00e9$@!?"
    errors = 0
    for _ in range(600):
        text = rng.choice(texts)
        at = rng.randrange(len(text) + 1)
        change = rng.randrange(4)
        if change == 0:
            text = text[:at]
        elif change == 1:
            text = text[:at] + text[at + rng.randrange(1, 4):]
        elif change == 2:
            text = text[:at] + text[at:at + 3] + text[at:]
        else:
            text = text[:at] + rng.choice(noise) + text[at + 1:]
        plain, quick = (_outcome(p, text) for p in parsers)
        assert plain == quick, repr(text[max(0, at - 40):at + 40])
        errors += isinstance(plain[0], str)
    assert errors > 100  # the errors were met, not only trees


def test_the_package_parser_runs_in_one_loop():
    parser, _ = parse._parser()
    assert type(parser).__name__ == "_OneLoop"


def test_a_loop_that_reads_otherwise_than_lark_is_not_installed(monkeypatch):
    """Checked on a probe text when installed: a lark whose internals the loop misreads is kept as it is."""
    from ncd_render import lalr

    real = lalr._OneLoop._run

    def shifted(self, text):
        tree = real(self, text)
        for token in _tokens(tree):
            token.column += 1
        return tree

    monkeypatch.setattr(lalr._OneLoop, "_run", shifted)
    parser = build_parser(GRAMMAR, None)
    assert quicken(parser) is parser
