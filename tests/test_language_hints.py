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
