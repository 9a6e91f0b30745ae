"""The parser's tables kept in the user's cache folder: same trees, rebuilt when damaged, never in the way."""
import os
import subprocess
import sys
from pathlib import Path

from lark import Token

from ncd_render.parser_cache import build_parser

ROOT = Path(__file__).resolve().parents[1]
GRAMMAR = (ROOT / "ncd_render" / "grammar.lark").read_text(encoding="utf-8")
SOURCES = sorted((ROOT / "gallery").glob("*.ncd"))


def _positions(tree):
    """Where every token stands (the parser keeps them all; rules stand from their first token to their last)."""
    return [(t.type, t.line, t.column, t.end_line, t.end_column) for t in tree.scan_values(lambda v: isinstance(v, Token))]


def test_tables_loaded_from_the_cache_parse_as_freshly_built_ones(tmp_path):
    fresh = build_parser(GRAMMAR, None)
    build_parser(GRAMMAR, tmp_path)  # builds and stores
    assert len(list(tmp_path.glob("parser-*.lark"))) == 1
    cached = build_parser(GRAMMAR, tmp_path)  # loads
    for source in SOURCES:
        text = source.read_text(encoding="utf-8")
        a, b = fresh.parse(text), cached.parse(text)
        assert a == b, source.name
        assert _positions(a) == _positions(b) != [], source.name


def test_a_damaged_cache_file_is_rebuilt(tmp_path):
    build_parser(GRAMMAR, tmp_path)
    (stored,) = tmp_path.glob("parser-*.lark")
    stored.write_bytes(stored.read_bytes()[:100])
    parser = build_parser(GRAMMAR, tmp_path)
    assert parser.parse("axis m = 4\ninput X[m]\noutput X\n").data == "start"
    assert stored.stat().st_size > 100  # written again, whole


def test_a_changed_grammar_never_meets_old_tables(tmp_path):
    build_parser(GRAMMAR, tmp_path)
    build_parser(GRAMMAR.replace("start:", "start :", 1), tmp_path)
    assert len(list(tmp_path.glob("parser-*.lark"))) == 2


def test_a_folder_that_cannot_be_written_only_costs_time(tmp_path):
    """ncd render still works, quietly, where the cache folder cannot be made."""
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the folder would go")
    out = tmp_path / "mha.svg"
    env = {**os.environ, "XDG_CACHE_HOME": str(blocker), "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "ncd_render", "render", str(ROOT / "gallery" / "mha.ncd"), "-o", str(out)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert out.read_bytes() == (ROOT / "gallery" / "mha.svg").read_bytes()
