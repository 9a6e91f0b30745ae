"""What a new user writing architectures from the README alone was told, and should have been: each error or
warning says what to write instead, in the user's own names, and what it says to write builds."""
import re

import pytest

from ncd_render.errors import NcdError
from ncd_render.ir import build
from ncd_render.parse import parse


def error(text: str) -> NcdError:
    with pytest.raises(NcdError) as info:
        build(parse(text, "t.ncd"))
    return info.value


@pytest.mark.parametrize("declared, new", [("axis x = y\n", "x"), ("", "y2")])
def test_an_einsum_output_naming_an_axis_twice_says_to_rename_an_operand(declared, new):
    """`einsum(Q, K: y k, y k -> y y)` hinted "give the two axes different names": the output's two y's are the
    operands' y's, so the fix is to rename one operand's axis first (Kx = rename(K: y -> x)), as the README's attention
    does. The hint spells it, taking an axis declared as the same (axis x = y) where there is one."""
    head = "axis y = 8\n" + declared + "axis k = 4\ninput Q[y k], K[y k]\n"
    err = error(head + "S = einsum(Q, K: y k, y k -> y y)\noutput S\n")
    assert err.message == "axis 'y' appears twice in the output of einsum" and (err.span.line, err.span.column) == (5 if declared else 4, 32)
    rename = f"K{new} = rename(K: y -> {new})"
    assert f"{rename}, then einsum(Q, K{new}: y k, {new} k -> y {new})" in err.hint
    assert ("declare" in err.hint) == (not declared)
    declare = re.search(r"'(axis [^']*)'", err.hint)
    fixed = head + (declare.group(1) + "\n" if declare else "") + f"{rename}\nS = einsum(Q, K{new}: y k, {new} k -> y {new})\noutput S\n"
    d = build(parse(fixed, "fixed.ncd"))
    assert d.values[d.outputs[0]].axes == ("y", new)


def test_an_einsum_hint_on_one_operand_says_to_pass_a_renamed_copy():
    err = error("axis y = 8 width\naxis k = 4\ninput Q[y k]\nS = einsum(Q: y k -> y y)\noutput S\n")
    assert err.hint == ("an einsum's output names each axis once; for a second 'y', declare an axis of the same size, "
                        "'axis y2 = y width', and pass a copy of Q with its 'y' renamed, Qy2 = rename(Q: y -> y2)")


@pytest.mark.parametrize("statement, scale, fixed", [
    ("Y = rmsnorm(X: m) * y^-1/2 with eps=0", "* y^-1/2", "Y = rmsnorm(X: m) with eps=0 * y^-1/2"),
    ("  Y = layernorm(X: m) /  2   with  eps=1e-6, affine as N  # pre-norm", "/ 2", "Y = layernorm(X: m) with eps=1e-6, affine / 2 as N"),
])
def test_options_written_after_a_scale_say_they_come_first(statement, scale, fixed):
    """`Y = rmsnorm(X: m) * y^-1/2 with eps=0` said only "unexpected 'with'" (expected 'as', end of line): a call's
    options follow its ')', and the scale comes after them. The hint is the user's statement in that order, and parses."""
    head = "axis y = 8\naxis m = 4\ninput X[y m]\n"
    err = error(head + statement + "\noutput Y\n")
    column = statement.index("with") + 1
    assert err.message == f"'with' comes before the scale: a call's options follow its ')', and '{scale}' goes after them"
    assert (err.span.line, err.span.column, err.span.end_column) == (4, column, column + 4)
    assert err.hint == f"write {fixed}"
    build(parse(head + fixed + "\noutput Y\n", "fixed.ncd"))


def test_options_after_a_scale_exit_2_with_one_paragraph(tmp_path):
    from click.testing import CliRunner

    from ncd_render.cli import main

    (tmp_path / "s.ncd").write_text("axis y = 8\naxis m = 4\ninput X[y m]\nY = rmsnorm(X: m) * y^-1/2 with eps=0\noutput Y\n")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "s.ncd")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "s.ncd:4:28: error: 'with' comes before the scale" in result.output


@pytest.mark.parametrize("statement, column, text, of", [
    ("One = K * 0", 11, "0", "whatever K holds"),
    ("One = relu(K) * 0.0", 17, "0.0", "whatever relu(...) makes"),
    ("One = einsum(K: y m -> y m) * -0", 31, "-0", "whatever einsum(...) makes"),
])
def test_a_scale_by_zero_is_warned_about_at_the_number(statement, column, text, of):
    """`One = K * 0`, a new user's hack for a tensor of ones, was taken silently: every element of One is 0, whatever K
    holds. A warning (printed like an error, and the command carries on) points at the 0."""
    from ncd_render.lint import warnings

    d = build(parse(f"axis y = 8\naxis m = 4\ninput K[y m]\n{statement}\noutput One\n", "z.ncd"))
    (found,) = warnings(d)
    assert found.message == f"a scale by {text}: every element of One is 0, {of}"
    assert (found.span.line, found.span.column, found.span.end_column) == (4, column, column + len(text))
    assert found.hint == "scale by another number; for a tensor of constants, declare it as an input (input One[y m])"


def test_a_scale_by_zero_in_a_component_or_a_repeat_is_warned_about_once():
    from ncd_render.lint import warnings

    text = ("axis y = 8\naxis m = 4\nblock F(A[y m])\n  B = A * 0\n  return B\nend\ninput K[y m]\nrepeat 2\n  K = F(K)\n  K = K * 0.5\nend\n"
            "output K\n")
    found = warnings(build(parse(text, "z.ncd")))
    assert [(w.span.line, w.message) for w in found] == [(4, "a scale by 0: every element of B is 0, whatever A holds")]


def test_a_scale_by_a_small_number_or_an_axis_is_not_warned_about():
    from ncd_render.lint import warnings

    d = build(parse("axis y = 8\naxis m = 4\ninput K[y m]\nA = K * 1e-6\nB = A * m^-1/2\nC = B * -1\noutput C\n", "z.ncd"))
    assert warnings(d) == []


def test_a_scale_by_zero_is_printed_as_a_warning_and_the_command_carries_on(tmp_path):
    from click.testing import CliRunner

    from ncd_render.cli import main

    (tmp_path / "z.ncd").write_text("axis y = 8\naxis m = 4\ninput K[y m]\nOne = K * 0\noutput One\n")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "z.ncd")])
    assert result.exit_code == 0 and "z.ncd:4:11: warning: a scale by 0: every element of One is 0" in result.output
