"""Bad input is bounded: numbers too large to compute with, option values of the wrong kind,
components that call themselves and nesting too deep are errors at their place (file, line,
column, caret, hint), raised before any work starts, quickly and without a traceback."""
import subprocess
import sys
import time

import pytest

from ncd_render.errors import NcdError
from ncd_render.ir import build
from ncd_render.parse import parse

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def error(text: str) -> NcdError:
    """The error ``text`` raises, reached in bounded work: CPU seconds, not wall time, so
    that a loaded machine cannot fail it, and a bound far above the milliseconds it takes,
    so that only an unbounded blow-up (2^29 boxes expanded, 4^(5*10^17) computed) trips it."""
    began = time.process_time()
    with pytest.raises(NcdError) as info:
        build(parse(text, "t.ncd"))
    assert time.process_time() - began < 10
    return info.value


def caret_at(err: NcdError, line: int, column: int) -> None:
    assert (err.span.line, err.span.column) == (line, column), str(err)
    text = str(err)
    assert text.startswith(f"t.ncd:{line}:{column}: ")
    caret = text.splitlines()[2]
    assert caret.index("^") - caret.index("|") - 2 == column - 1


SCALED = "axis m = 4\ninput X[m]\nY = X * {}\noutput Y\n"


@pytest.mark.parametrize("scale, message", [
    ("m^-1000000000000000000/2", "exponent -1000000000000000000/2 is out of range"),  # was: 10 GB computing 4^(5*10^17)
    ("m^5536", "exponent 5536 is out of range"),                                      # was: OverflowError
    ("m^1/0", "exponent 1/0 divides by zero"),                                        # was: ZeroDivisionError
    ("m^" + "1" * 5000, "is too long"),
    ("1e999", "the scale 1e999 is too large for a float"),
])
def test_scale_exponents_are_bounded(scale, message):
    err = error(SCALED.format(scale))
    assert message in err.message
    caret_at(err, 3, 9)
    assert err.hint


def test_a_power_that_overflows_a_float_is_an_error_at_the_scale():
    err = error("axis m = 1099511627776\ninput X[m]\nY = X * m^64\noutput Y\n")
    assert "too large for a float" in err.message
    caret_at(err, 3, 9)


@pytest.mark.parametrize("size, message", [
    ("1" + "0" * 400, "an axis size of 1000000000000... (401 digits) is too large"),
    ("9" * 5000, "(5000 digits) is too large"),
    ("1099511627777", "an axis size of 1099511627777 is too large"),
    ("1048576 * 1048576 * 2", "would have size 2199023255552, more than 1,099,511,627,776"),
])
def test_sizes_are_bounded(size, message):
    err = error(f"axis m = {size}\ninput X[m]\noutput X\n")
    assert message in err.message
    caret_at(err, 1, 10)
    assert "2^40" in err.hint or "2^40" in err.message


def test_a_size_of_a_thousand_terms_is_an_error_not_a_recursion():
    err = error("axis m = " + " + ".join(["1"] * 1000) + "\ninput X[m]\noutput X\n")
    assert "this size has 999 operations; a size expression has at most 64" in err.message
    caret_at(err, 1, 10)
    assert len(str(err).splitlines()[1]) < 120  # a long line is shown cut around the place


def test_parentheses_nested_thousands_deep_in_a_size_are_read_without_a_recursion():
    inner = "(" * 3000 + "m" + ")" * 3000
    program = parse(f"axis m = 2\naxis k = m + {inner} * m\ninput X[k]\noutput X\n")
    assert build(program).axes["k"].size == 6
    size = program.statements[1].size
    assert (size.span.column, size.right.span.column, size.right.left.span.column) == (10, 14, 3014)


def test_a_repeat_count_too_large_to_write_is_an_error():
    err = error("axis m = 4\ninput X[m]\nrepeat " + "9" * 5000 + "\n  X = relu(X)\nend\noutput X\n")
    assert "a repeat count of 9999999999999... (5000 digits) is too large" in err.message
    caret_at(err, 3, 8)


def test_sizes_given_from_outside_are_bounded():
    with pytest.raises(NcdError, match=r"cannot have size 1099511627777; sizes are whole numbers from 1 to 1,099,511,627,776"):
        build(parse("axis m = 4\ninput X[m]\noutput X\n"), sizes={"m": 2 ** 40 + 1})


UNFOLD = "axis h = 8\naxis y = 8\naxis i = 3\ninput X[h]\nB = unfold(X: h -> y i) with {}\noutput B\n"
GATE = "axis e = 8\naxis y = 4\ninput X[y e]\nG = {}\noutput G\n"


@pytest.mark.parametrize("text, message, column, hint", [
    (UNFOLD.format("stride=0"), "stride=0 is out of range", 30, "stride takes a whole number from 1 to"),
    (UNFOLD.format("padding=x"), "padding=x: padding takes a number, not x", 30, "padding takes a whole number from 0 to"),
    (UNFOLD.format("padding=1, stride=2.5"), "stride=2.5: stride takes a whole number", 41, "e.g. stride=2"),
    (UNFOLD.format("dilation=-1"), "dilation=-1 is out of range", 30, "from 1 to"),
    (UNFOLD.format("stride"), "stride needs a value", 30, "e.g. stride=2"),
    (UNFOLD.format("stride=1, stride=2"), "option stride is given twice", 40, None),
    (GATE.format("topk(X: e) with k=1e999"), "k=1e999 is out of range", 21, "k takes a whole number from 1 to"),
    (GATE.format("index(X: e) with at=1e999"), "at=1e999 is out of range", 22, "at takes a whole number"),
    (GATE.format("layernorm(X: e) with eps=abc"), "eps=abc: eps takes a number, not abc", 26,
     "eps takes a number at least 0 and at most 1e+06, e.g. eps=1e-5"),
    (GATE.format("layernorm(X: e) with eps=-1"), "eps=-1 is out of range", 26, "at least 0"),
    (GATE.format("dropout(X) with p=1.5"), "p=1.5 is out of range", 21, "at most 1"),
    (GATE.format("rope(X: y e) with base=-3"), "base=-3 is out of range", 23, "greater than 1"),
    (GATE.format("linear(X: e -> e) with bias=false"), "bias=false: bias takes no value", 28, "write 'with bias'"),
    (GATE.format("linear(X: e -> y) with per=3"), "per=3: per names an axis", 28, "per takes an axis name"),
])
def test_option_values_are_checked_at_the_option(text, message, column, hint):
    err = error(text)
    assert message in err.message
    caret_at(err, 5 if text.startswith("axis h") else 4, column)
    if hint:
        assert hint in err.hint


@pytest.mark.parametrize("option", ["stride=0", "padding=x", "eps=abc", "k=1e999", "at=1e999"])
def test_bad_options_exit_2_without_a_traceback(tmp_path, option):
    fn = {"stride=0": "unfold(X: h -> y i) with stride=0", "padding=x": "unfold(X: h -> y i) with padding=x",
          "eps=abc": "layernorm(X: h) with eps=abc", "k=1e999": "topk(X: h) with k=1e999", "at=1e999": "index(X: h) with at=1e999"}
    (tmp_path / "o.ncd").write_text(f"axis h = 8\naxis y = 8\naxis i = 3\ninput X[h]\nB = {fn[option]}\noutput B\n")
    result = subprocess.run([sys.executable, "-m", "ncd_render", "validate", str(tmp_path / "o.ncd")],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "o.ncd:5:" in result.stderr and "^" in result.stderr
    assert "hint:" in result.stderr


def test_a_component_that_calls_itself_is_named_at_the_call():
    err = error("axis m = 4\nblock A(X[m])\n  Y = A(X)\n  return Y\nend\ninput X[m]\nY = A(X)\noutput Y\n")
    assert err.message == "component A calls itself"
    caret_at(err, 3, 3)
    assert "repeat" in err.hint


def test_components_that_call_each_other_are_named_in_order():
    err = error("axis m = 4\nblock A(X[m])\n  Y = B(X)\n  return Y\nend\nblock B(X[m])\n  section \"s\"\n    Y = A(X)\n  end\n"
                "  return Y\nend\ninput X[m]\nY = A(X)\noutput Y\n")
    assert err.message == "components call each other in a circle: A -> B -> A"
    caret_at(err, 8, 5)


@pytest.mark.parametrize("opener", ['section "s"', "repeat 2", 'section "s" fused'])
def test_nesting_400_deep_is_an_error_at_the_first_level_too_deep(opener):
    err = error("axis m = 4\ninput X[m]\n" + f"{opener}\n" * 400 + "X = relu(X)\n" + "end\n" * 400 + "output X\n")
    assert "nest more than 32 deep" in err.message
    caret_at(err, 35, 1)


def test_a_chain_of_400_components_is_an_error_at_the_call():
    blocks = "".join(f"block B{i}(A[m])\n  R = {f'B{i - 1}(A)' if i else 'relu(A)'}\n  return R\nend\n" for i in range(400))
    err = error("axis m = 4\n" + blocks + "input X[m]\nY = B399(X)\noutput Y\n")
    assert "calling B399 here nests sections, repeats and component calls 400 deep; at most 32" in err.message
    caret_at(err, 1603, 1)


def test_a_chain_of_32_components_still_builds():
    blocks = "".join(f"block B{i}(A[m])\n  R = {f'B{i - 1}(A)' if i else 'relu(A)'}\n  return R\nend\n" for i in range(31))
    d = build(parse("axis m = 4\n" + blocks + "input X[m]\nY = B30(X)\noutput Y\n"))
    assert max(s.depth for s in d.sections.values()) == 30


def test_components_that_double_at_every_level_are_stopped_before_expanding():
    blocks = "block B0(A[m])\n  R = relu(A)\n  return R\nend\n" + "".join(
        f"block B{i}(A[m])\n  R = B{i - 1}(A)\n  S = B{i - 1}(R)\n  return S\nend\n" for i in range(1, 30))
    err = error("axis m = 4\n" + blocks + "input X[m]\nY = B29(X)\noutput Y\n")  # 2^29 boxes
    assert "the diagram has 536,870,913 boxes with its components written out, more than 20,000" in err.message
    assert "calling B29 here makes 536,870,912 of them" in err.message


@pytest.mark.parametrize("command", ["cost", "check"])
def test_sizes_on_the_command_line_are_bounded_before_they_are_converted(command):
    from click.testing import CliRunner

    from ncd_render.cli import main

    result = CliRunner().invoke(main, [command, str(ROOT / "gallery" / "mha.ncd"), "--sizes", "m=" + "9" * 5000])
    assert result.exit_code == 2
    assert result.output.startswith("error: --sizes m: an axis size of 9999999999999... (5000 digits) is too large\n")
