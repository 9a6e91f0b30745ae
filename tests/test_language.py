"""The DSL: what parses, what the IR records, and how mistakes are reported."""
import re
from pathlib import Path

import pytest

import ncd_render
from ncd_render.errors import NcdError
from ncd_render.ir import build
from ncd_render.parse import parse

HEADER = "axis y = 4 width\naxis x = 6 width\naxis m = 8\naxis h = 2\naxis k = m / h\n"


def diagram(body: str):
    return build(parse(HEADER + body, "t.ncd"))


def error(body: str) -> NcdError:
    with pytest.raises(NcdError) as info:
        diagram(body)
    return info.value


def test_axes_sizes_symbolic_and_derived():
    d = build(parse("axis n\naxis m = 8\naxis h = 2\naxis k = m / h\naxis t width\ninput X[n k]\noutput X\n"))
    assert d.axes["n"].size is None and d.axes["k"].size == 4
    assert d.axes["t"].width and not d.axes["k"].width


def test_linear_acts_and_broadcasts_and_keeps_axis_order():
    d = diagram("input X[y m]\nQ = linear(X: m -> k h) with bias as L_q\noutput Q\n")
    op = next(o for o in d.ops if o.kind == "linear")
    assert op.acts == (("m",),) and op.broadcast == ("y",)
    assert op.params["bias"] and op.learned and op.label == "L_q"
    assert d.values[op.outputs[0]].axes == ("y", "k", "h")


def test_einsum_classifies_contracted_merged_and_passing_axes():
    d = diagram("input Q[y k h], K[x k h]\nS = einsum(Q, K: y k h, x k h -> y x h)\noutput S\n")
    op = next(o for o in d.ops if o.kind == "einsum")
    assert op.params["contracted"] == ("k",) and op.params["merged"] == ("h",)
    assert op.broadcast == ("y", "x")


def test_copies_are_explicit_and_every_value_is_consumed_once():
    d = diagram("input X[y m]\nA = relu(X)\nB = linear(X: m -> k)\nC = linear(X: m -> h)\noutput A, B, C\n")
    copies = [o for o in d.ops if o.kind == "copy"]
    assert len(copies) == 1 and len(copies[0].outputs) == 3
    consumed = [v for o in d.ops for v in o.inputs]
    assert len(consumed) == len(set(consumed))


def test_unused_values_end_in_a_delete():
    d = diagram("input X[y m], Z[x m]\nY = relu(X)\noutput Y\n")
    deletes = [o for o in d.ops if o.kind == "delete"]
    assert [d.values[o.inputs[0]].name for o in deletes] == ["Z"]


def test_components_expand_with_axis_renaming_or_collapse():
    text = HEADER + (
        "block Head(A[y m])\n  B = linear(A: m -> k) as L\n  return B\nend\n"
        "input X[x m]\nY = Head(X)\noutput Y\n")
    expanded = build(parse(text))
    assert [o.kind for o in expanded.ops if o.kind == "linear"] == ["linear"]
    assert expanded.values[expanded.outputs[0]].axes == ("x", "k")
    assert any(s.kind == "block" and s.title == "Head" for s in expanded.sections.values())
    collapsed = build(parse(text), depth=0)
    call = next(o for o in collapsed.ops if o.kind == "call")
    assert call.label == "Head" and call.learned
    assert collapsed.values[call.outputs[0]].axes == ("x", "k")


def test_sections_nest():
    d = diagram('input X[y m]\nsection "outer"\n  section "inner"\n    Y = relu(X)\n  end\nend\noutput Y\n')
    inner = next(s for s in d.sections.values() if s.title == "inner")
    assert d.sections[inner.parent].title == "outer" and inner.depth == 1


def test_learned_boxes_get_unique_names_the_same_at_every_depth():
    body = "".join(f"X = linear(X: m -> m){' as L_2' if i == 3 else ''}\n" for i in range(6))
    d = diagram("input X[y m]\n" + body + "output X\n")
    assert [o.params["name"] for o in d.ops if o.kind == "linear"] == ["L", "L_2", "L_3", "L_2_2", "L_4", "L_5"]
    text = HEADER + "block Head(X[y m])\n  H = linear(X: m -> m) as L\n  return H\nend\ninput X[y m]\nA = Head(X)\nB = Head(A)\noutput B\n"
    expanded = [o.params["name"] for o in build(parse(text)).ops if o.kind == "linear"]
    collapsed = [b.params["name"] for o in build(parse(text), depth=0).ops if o.kind == "call" for b in o.params["body"]]
    assert expanded == collapsed == ["Head_L", "Head_L_2"]


def test_a_component_that_stores_a_tensor_loaded_outside_it_is_drawn_open_at_every_depth():
    """Block B saves C_1, read after the call: collapsed (depth 0), B's save went with its body and the load found no
    save (a KeyError, a tester's). Its call is drawn open, the save and the load in the figure, at every depth."""
    text = (HEADER + "block B(A[y m])\n  save A as C_1\n  R = relu(A)\n  return R\nend\ninput X[y m]\n"
            "X = B(X)\nY = load(C_1)\nZ = X + Y\noutput Z\n")
    for depth in (None, 0):
        d = build(parse(text), depth=depth)
        assert [o.kind for o in d.ops if o.kind in ("save", "load", "call")] == ["save", "load"]
        assert d.graph.number_of_edges() == sum(len(op.inputs) for op in d.ops) + 1  # the store's edge, save to load


def test_networkx_graph_mirrors_the_ops():
    d = diagram("input X[y m]\nY = relu(X)\nsave Y as C\nZ = Y * k^-1/2\nW = load(C)\nZ = Z + W\noutput Z\n")
    assert d.graph.number_of_nodes() == len(d.ops)
    assert d.graph.number_of_edges() == sum(len(op.inputs) for op in d.ops) + 1  # and the store, from save to load
    save, load = (next(o.id for o in d.ops if o.kind == kind) for kind in ("save", "load"))
    assert d.graph.has_edge(save, load, key=("store", "C"))
    scale = next(o for o in d.ops if o.kind == "scale")
    assert scale.params["factor"] == pytest.approx(0.5)  # k = 4


@pytest.mark.parametrize("body, message, line, column, hint", [
    ("input X[y z]\noutput X\n", "unknown axis 'z'", 6, 11, "declare it"),
    ("input X[y m]\nY = sofmax(X: m)\noutput Y\n", "unknown function 'sofmax'", 7, 5, "did you mean 'softmax'?"),
    ("input X[y m]\nY = softmax(X: n)\noutput Y\n", "unknown axis 'n'", 7, 16, None),
    ("input X[y m]\nY = softmax(X: x)\noutput Y\n", "softmax acts on axis 'x', but the tensor has axes [y m]", 7, 16, None),
    ("input Q[y k h], K[x h k]\nS = einsum(Q, K: y k h, x k h -> y x h)\noutput S\n",
     "einsum operand K has axes [x h k]", 7, 25, "the spec writes K as [x k h], but K is [x h k]"),
    ("input A[y m], B[x k]\nC = A - B\noutput C\n", "cannot subtract B [x k] from A [y m]", 7, 9, "every term needs the first one's axes [y m], in order, or some of them (it is broadcast over the rest); B has [x k]"),
    ("input A[y m], B[x k]\nC = A + B\noutput C\n", "cannot add B [x k] to A [y m]", 7, 9, "every term needs the first one's axes [y m], in order, or some of them (it is broadcast over the rest); B has [x k]"),
    ("input X[y m]\nY = relu(Z)\noutput Y\n", "unknown tensor 'Z'", 7, 10, None),
    ("input X[y m]\nY = linear(X: m -> y)\noutput Y\n", "output axis 'y' is already an axis of X [y m]", 7, 20, None),
    ("input X[y m]\nY = linear(X: m -> k) with bais\noutput Y\n", "linear has no option 'bais'", 7, 28, "did you mean 'bias'?"),
    ("input X[y m]\nY = relu(X\noutput Y\n", "unexpected end of line", 7, 11, "expected"),
    ("input X[y m]\nY = relu(X)\n", "the diagram has no 'output' statement", 1, 1, None),
    ("input X[y y]\noutput X\n", "axis 'y' appears twice", 6, 11, None),
    ("input X[y m]\nY = softmax(X: )\noutput Y\n", "softmax needs at least one axis", 7, 5, None),
    ("input X[y m]\nY = linear(X: -> k)\noutput Y\n", "linear needs at least one axis", 7, 15, None),
])
def test_mistakes_name_the_place_and_hint(body, message, line, column, hint):
    err = error(body)
    assert message in err.message
    assert (err.span.line, err.span.column) == (line, column)
    if hint:
        assert hint in (err.hint or "")
    text = str(err)
    assert text.startswith(f"t.ncd:{line}:{column}: ")
    caret_line = text.splitlines()[2]
    assert caret_line.index("^") - caret_line.index("|") - 2 == column - 1


def test_unclosed_section_points_at_its_opening_line():
    err = error('input X[y m]\nsection "s"\nY = relu(X)\noutput Y\n')
    assert "never closed" in err.message and err.span.line == 7


def syntax(line: str) -> NcdError:
    """The error of ``line``, written as line 7 of a diagram; its caret line checked against its column."""
    err = error(f"input X[y m]\n{line}\noutput X\n")
    caret_line = str(err).splitlines()[2]
    assert err.span.line == 7 and caret_line.index("^") - caret_line.index("|") - 2 == err.span.column - 1, str(err)
    return err


TERMINALS = re.findall(r"^([A-Z_][A-Z0-9_]*)\s*:", (Path(ncd_render.__file__).with_name("grammar.lark")).read_text(), re.M)


@pytest.mark.parametrize("line, column, hint", [
    ("axis n = 8 widht", 12, "did you mean 'width'?"), ("Y = relu(X) wiht p", 13, "did you mean 'with'?"),
    ("axis n = 8 bar", 12, "expected '+', '-', '*', '/', 'width', end of line"),  # (was: ')', 'add_op', 'mul_op', width, ...)
    ("input Z[y m] bar", 14, "expected ',', 'bool', 'int', end of line"),  # (was: 'dtype')
])
def test_a_hint_names_what_to_write_never_the_grammars_own_names(line, column, hint):
    """A new user's audit: the hints listed token names, ')', 'add_op', 'mul_op' (and a ')' with none open)."""
    err = syntax(line)
    assert (err.hint, err.span.column) == (hint, column)
    assert not [t for t in TERMINALS if t in err.hint or f"'{t.lower()}'" in err.hint.replace("'width'", "").replace("'int'", "")]


@pytest.mark.parametrize("line, hint", [
    ("axis n = 10**30", "an axis size has no powers (** or ^): write the number out"),
    ("axis n = 2^10", "an axis size has no powers (** or ^): write the number out"),
    ("axis n = sqrt(m)", "an axis size is a whole number, another axis, or these joined by + - * / and parentheses"),
])
def test_a_mistake_in_an_axis_size_says_what_a_size_may_be(line, hint):
    """'axis m = 10**30' was told of square(X) and sqrt(X), a tensor's functions; 'sqrt(m)' of a scale's k^-1/2."""
    assert syntax(line).hint.startswith(hint)


@pytest.mark.parametrize("line, column, message, hint", [
    # 'axis m = -4' said "unexpected '-4'; expected an integer" (-4 is one), 'axis m = 32.5' listed token names
    ("axis n = 32.5", 10, "an axis size is a positive whole number, not 32.5", "write one such as 32, or work it out from"),
    ("axis n = -4", 10, "an axis size is a positive whole number, not -4", "write one such as 4, or work it out from"),
    ("axis n = 1e3", 10, "an axis size is a positive whole number, not 1e3", "write one such as 1000"),
    ("depth -1", 7, "a depth is a non-negative whole number, not -1", "write one such as 1: component calls nested deeper"),
    ("check y=2.5", 9, "a size on a check line is a positive whole number, not 2.5", "give each axis a size such as 2"),
    ("inptu Z[y m]", 1, "unknown statement 'inptu'", "did you mean 'input'?"),
    ("Axis n = 8 width", 1, "unknown statement 'Axis'", "did you mean 'axis'? keywords are lower case"),
    ("  Ouptut X", 3, "unknown statement 'Ouptut'", "did you mean 'output'? keywords are lower case"),
    ("H = relu(linear(X: m -> k))", 10, "calls cannot be nested: one call per statement",
     "name the inner result first, S = linear(X: m -> k), then H = relu(S)"),
    ("Y = linear(relu(X): m -> k) as L", 12, "calls cannot be nested: one call per statement",
     "name the inner result first, S = relu(X), then Y = linear(S: m -> k) as L"),
    ('title "Small MLP', 7, "this quoted string is never closed", "end it with '\"' on the same line"),
    ('title "a \\"b\\" c"', 10, "a title cannot contain a double quote", "there is no escape for a quote (\\\"); use single quotes inside it: \"a 'b' c\""),
    ('section "say "hi" now"', 14, "a section's title cannot contain a double quote", "use single quotes inside it: \"say 'hi' now\""),
    ("Y = relu(X) as L_σ", 18, "a label cannot hold 'σ' unquoted", "a label is ASCII letters and digits"),
    ("Y = relu(X) as σ", 16, "a label cannot hold 'σ' unquoted", "a label is ASCII letters and digits"),
    ("Y = relu(X) as L_é", 18, "a label cannot hold 'é' unquoted", "a label is ASCII letters and digits"),
])
def test_a_syntax_error_that_shows_what_was_meant_says_it(line, column, message, hint):
    """Each was an 'unexpected ...' at the token after the mistake, with the tokens the parser could take there."""
    err = syntax(line)
    assert (err.message, err.span.column) == (message, column) and err.hint.startswith(hint), (err.message, err.hint)


def test_a_label_the_grammar_refuses_is_offered_in_its_tex_spelling_and_quoted():
    assert syntax("Y = relu(X) as L_σ").hint.endswith(": write L_\\sigma, or quote it, as \"L_σ\"")
    assert syntax("Y = relu(X) as L_é").hint.endswith(": quote any other text, as \"L_é\"")
    for label in ("L_\\sigma", '"L_σ"', '"L_é"', "\\sigma"):  # and what they offer is a label
        assert diagram(f"input X[y m]\nY = linear(X: m -> m) as {label}\noutput Y\n")


@pytest.mark.parametrize("label, at, hint", [
    ("\\foo", "\\foo", "write foo; "), ("\\textbf", "\\textbf", "write textbf; "), ("\\sqrt", "\\sqrt", "write sqrt; "),
    ("W_\\foo", "\\foo", "write W_foo; "), ("W^{\\bar}", "\\bar", "write W^{bar}; "),
    ("\\Sigma_{\\mathbf}", "\\mathbf", "write \\Sigma_{mathbf}; "), ("\\sigm", "\\sigm", "did you mean \\sigma? ")])
def test_a_label_with_a_command_it_does_not_know_is_an_error(label, at, hint, tmp_path):
    """dsl.md says an unquoted label takes the Greek letters and a few symbols, "nothing else", but `as \\foo`,
    `as \\textbf` and `as \\sqrt` read as labels and printed "foo", "textbf" ($\\mathbf{textbf}$ in TikZ); only a
    command the parser stumbled on (`W_{\\mathrm{out}}`) was refused. Every other command is an error at it, with
    how to write the label; a known command, and a quoted label's, still read."""
    from click.testing import CliRunner

    from ncd_render.cli import main

    line = f"Y = linear(X: m -> k) as {label}"
    err = syntax(line)
    assert err.message == f"a label knows no TeX command {at}", err.message
    assert (err.span.column, err.span.end_column) == (line.index(at) + 1, line.index(at) + len(at) + 1)
    assert err.hint.startswith(hint) and "\\sigma" in err.hint, err.hint
    (tmp_path / "t.ncd").write_text(HEADER + f"input X[y m]\n{line}\noutput Y\n")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "t.ncd")])
    assert result.exit_code == 2 and f"t.ncd:7:{line.index(at) + 1}: error: a label knows" in result.stderr, result.output
    assert "Traceback" not in result.output
    assert error(f"input X[y m]\nsave X as {label}\noutput X\n").message == f"a label knows no TeX command {at}"
    for fine in ("\\sigma", "W_\\mu", "\\Sigma_{\\cdot}", '"' + label + '"'):
        assert diagram(f"input X[y m]\nY = linear(X: m -> k) as {fine}\noutput Y\n")


@pytest.mark.parametrize("label, message, at, written", [
    ("W_{\\mathrm{out}}", "a label knows no TeX command \\mathrm", "\\mathrm", "W_{out}"),
    ("$W^2$", "a label is set as math already: '$' has no meaning in it", "$", "W^2"),
    ("\\text{Attn out}", "a label knows no TeX command \\text", "\\text", '"Attn out"'),
    ("W_{a{b}}", "a label's braces cannot nest", "{a{", None)])
def test_a_tex_label_says_what_a_label_takes_and_how_to_write_it(label, message, at, written, tmp_path):
    """`as W_{\\mathrm{out}}` was "unexpected character '}'" with no hint, though the docs call labels TeX-like;
    `as $W^2$` the same at its '$'. The error points at what a label does not take, says what it does, and offers
    the label written so (a label too); on the command line, one paragraph and exit status 2."""
    from click.testing import CliRunner

    from ncd_render.cli import main

    line = f"Y = linear(X: m -> k) as {label}"
    err = syntax(line)
    assert (err.message, err.span.column, err.span.end_column) == (message, line.index(at) + 1, line.index(at) + len(at) + 1)
    assert "braces that do not nest" in err.hint and "\\sigma" in err.hint and "without $...$" in err.hint, err.hint
    if written:
        assert err.hint.startswith(f"write {written}; ")
        assert diagram(f"input X[y m]\nY = linear(X: m -> k) as {written}\noutput Y\n")
    else:
        assert not err.hint.startswith("write")
    (tmp_path / "t.ncd").write_text(HEADER + f"input X[y m]\n{line}\noutput Y\n")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "t.ncd")])
    assert result.exit_code == 2 and f"t.ncd:7:{line.index(at) + 1}: error: {message}" in result.stderr, result.output
    assert "\n    7 | " + line in result.stderr and "\nhint: " in result.stderr and "\n\n" not in result.stderr.strip()


def test_sizes_are_at_least_one():
    with pytest.raises(NcdError, match="axis 'd' would have size 0") as info:
        build(parse("axis m = 4\naxis d = m - m\ninput X[m]\noutput X\n"))
    assert (info.value.span.line, info.value.span.column) == (2, 10)


def test_size_division_must_be_exact():
    with pytest.raises(NcdError, match="not a whole number"):
        build(parse("axis m = 10\naxis h = 3\naxis k = m / h\ninput X[k]\noutput X\n"))


VOCAB = "axis h = 8 width\naxis y = 4 width\naxis i = 3\naxis c = 2\naxis d = 5\naxis e = 4\naxis v = 10\naxis t = 6 width\naxis s = t width\n"


def vocab_error(body: str) -> NcdError:
    with pytest.raises(NcdError) as info:
        build(parse(VOCAB + body, "v.ncd"))
    return info.value


def test_unfold_records_the_window_and_checks_output_sizes():
    d = build(parse(VOCAB + "input X[h c]\nB = unfold(X: h -> y i) with stride=2, padding=1\noutput B\n"))
    op = next(o for o in d.ops if o.kind == "unfold")
    assert d.values[op.outputs[0]].axes == ("y", "i", "c")
    assert (op.params["kernel"], op.params["stride"], op.params["padding"]) == ((3,), (2,), (1,))  # each setting per width axis
    err = vocab_error("input X[h c]\nB = unfold(X: h -> y i) with stride=1\noutput B\n")
    assert "axis 'y' has size 4, but h=8 with kernel 3, stride 1" in err.message and "axis y = 6" in err.hint
    assert "causal" not in err.hint


def test_a_kernel_takes_its_shape_from_its_axes_and_padding_same_keeps_the_size():
    """Inception's 1 x 7 kernel: each kernel axis its own size (a kernel= option once stood for them all, and a
    second size was an error), padding=same half a kernel on each side of each axis; where same cannot keep the
    size (a stride, an even kernel) it says so."""
    text = "axis a = 1\naxis b = 7\ninput X[h x c]\nB = unfold(X: h x -> h x a b) with padding={pad}{more}\noutput B\n"
    op = next(o for o in build(parse(VOCAB + "axis x = 6 width\n" + text.format(pad="same", more=""))).ops if o.kind == "unfold")
    assert (op.params["kernel"], op.params["padding"]) == ((1, 7), (0, 3))
    err = vocab_error("axis x = 6 width\n" + text.format(pad="3", more=""))
    assert err.message == "axis 'h' has size 8, but h=8 with kernel 1, stride 1, dilation 1, padding 3 gives 14"
    assert "padding=same keeps each axis's size only at stride 1, not stride 2" in vocab_error(
        "axis x = 6 width\n" + text.format(pad="same", more=", stride=2")).message
    assert "padding=same needs an odd kernel, and 2 is even" in vocab_error("axis x = 6 width\naxis a = 2\n" + text.replace("axis a = 1\n", "").format(pad="same", more="")).message
    assert "padding takes a whole number from 0 to" in vocab_error("input X[h c]\nB = unfold(X: h -> h i) with padding=full\noutput B\n").hint


def test_a_window_setting_takes_one_number_per_width_axis():
    """CRNN's pooling, stride=(2, 1), padding=(0, 1): each setting one number per width axis, in the spec's order
    (one number once stood for every axis, and a tuple did not parse); a wrong count, or a tuple for an option
    that is not a window's, is an error at the option."""
    text = "axis r = 3 width\naxis x = 7 width\ninput X[h t c]\nB = unfold(X: h t -> r x i i2) with {options}\noutput B\n"
    vocab = VOCAB + "axis i2 = 2\n"
    d = build(parse(vocab + text.format(options="stride=(2, 1), padding=(0, 1), dilation=(1, 1)")))
    op = next(o for o in d.ops if o.kind == "unfold")
    assert {k: op.params[k] for k in ("kernel", "stride", "dilation", "padding")} == \
        {"kernel": (3, 2), "stride": (2, 1), "dilation": (1, 1), "padding": (0, 1)}
    assert op.label == "\\star_{s2\\times1}"
    with pytest.raises(NcdError) as info:  # the rows' stride on the columns: sizes that do not fit
        build(parse(vocab + text.format(options="stride=(1, 2), padding=(0, 1)")))
    assert info.value.message == "axis 'r' has size 3, but h=8 with kernel 3, stride 1, dilation 1, padding 0 gives 6"
    with pytest.raises(NcdError) as info:
        build(parse(vocab + text.format(options="stride=2, padding=(0, 1, 1)"), "v.ncd"))
    assert (info.value.message, info.value.span.column) == ("padding=(0, 1, 1) gives 3 numbers for 2 width axes (h t)", 47)
    assert info.value.hint.endswith("padding=(1, 1)")
    err = vocab_error("input X[y c]\nY = dropout(X) with p=(0.1, 0.2)\noutput Y\n")
    assert err.message == "p=(0.1, 0.2): p takes one number, not one per axis"
    err = vocab_error("input X[h c]\nB = unfold(X: h -> y i) with stride=(2, 0.5)\noutput B\n")
    assert err.message == "stride=(2, 0.5): stride takes whole numbers" and err.hint.endswith("or one per width axis, e.g. stride=(2, 1)")


def test_upsampling_takes_a_factor_per_axis():
    """nn.Upsample(scale_factor=(2, 3)): one factor for each axis named, in order, labelled ↑2×3; sizes checked per
    axis, and a count that does not fit is an error at the option."""
    text = "axis g = 16 width\naxis u = 18 width\ninput X[h t c]\nY = upsample(X: h t -> g u) with {options}\noutput Y\n"
    op = next(o for o in build(parse(VOCAB + text.format(options="factor=(2, 3), linear"))).ops if o.kind == "upsample")
    assert (op.params["factor"], op.label) == ((2, 3), "\\uparrow2\\times3 lin")
    assert vocab_error(text.format(options="factor=(3, 2)")).message == "axis 'g' has size 16, but upsampling h=8 by 3 gives 24"
    err = vocab_error(text.format(options="factor=(2, 3, 4)"))
    assert err.message == "factor=(2, 3, 4) gives 3 numbers for 2 width axes (h t)" and err.hint.endswith("factor=(2, 2)")


def test_a_causal_convolution_written_in_place_says_how_to_keep_the_first_positions():
    """Mamba's causal convolution pads k - 1 and keeps the first n: written unfold(X: h -> h i) with padding=2, the size
    error's hint shows the new axis and the index that keep them, and that form builds."""
    err = vocab_error("input X[h c]\nB = unfold(X: h -> h i) with padding=2\noutput B\n")
    assert err.message.startswith("axis 'h' has size 8, but h=8 with kernel 3")
    assert "a causal convolution (Mamba's) pads 2 and keeps the first 8 positions" in err.hint
    assert "'axis h2 = 10 width' then unfold(...: h -> h2 ...), and after the map, index(...: h2 -> h) with at=0" in err.hint
    d = build(parse(VOCAB + "axis h2 = 10 width\ninput X[h c]\nB = unfold(X: h -> h2 i) with padding=2\n"
                            "H = linear(B: i -> ) with per=c\nY = index(H: h2 -> h) with at=0\noutput Y\n"))
    assert d.values[d.outputs[0]].axes == ("h", "c")


def test_convolution_transposed_and_pooling_shapes():
    d = build(parse(VOCAB + "input X[y i c]\nZ = fold(X: y i -> h) with stride=2, padding=1, output_padding=1\nP = max(X: i)\noutput Z, P\n"))
    fold = next(o for o in d.ops if o.kind == "fold")
    assert d.values[fold.outputs[0]].axes == ("h", "c")
    assert d.values[next(o for o in d.ops if o.kind == "reduce").outputs[0]].axes == ("y", "c")


def test_linear_per_axis_gives_each_expert_its_weights():
    d = build(parse(VOCAB + "input X[t c]\nH = linear(X: c -> d) with per=e\nO = linear(H: d -> c) with per=e\noutput O\n"))
    first, second = [o for o in d.ops if o.kind == "linear"]
    assert d.values[first.outputs[0]].axes == ("t", "d", "e") and first.params["per"] == ("e",)
    assert d.values[second.outputs[0]].axes == ("t", "c", "e") and second.broadcast == ("t",)


def test_repeat_records_what_goes_round():
    d = build(parse(VOCAB + 'input X[t c]\nrepeat 3 "Layer"\n  H = relu(X)\n  X = X + H\nend\noutput X\n'))
    (section,) = d.sections.values()
    assert section.kind == "repeat" and section.times == 3
    (entering, leaving), = section.carried
    assert d.values[entering].name == "X" and d.values[leaving].name == "X" and entering != leaving


@pytest.mark.parametrize("body, message", [
    ("input X[t c]\nrepeat 2\n  X = linear(X: c -> d)\nend\noutput X\n", "'X' enters the repeated block as [t c] but leaves as [t d]"),
    ("input X[t c]\nY = load(C_9)\noutput Y\n", "nothing was saved as 'C_9'"),
    ("input X[t c]\nE = embedding(X: v -> d)\noutput E\n", "embedding looks up integer ids, but X is real"),
    ("input A[y c], B[t c]\nC = concat(A, B: y, t -> h)\noutput C\n", "axis 'h' has size 8, but the joined axes add up to 10"),
    ("input A[y c], B[t d]\nC = concat(A, B: y, t -> h)\noutput C\n", "concat: B [t d] does not match A [y c] apart from the joined axis"),
    ("input A[y c], B[y c]\nC = concat(A, B: , -> h)\noutput C\n",
     "axis 'h' has size 8, but the joined axes add up to 2"),
    ("input A[y c], B[y c]\nC = concat(A, B: , -> c)\noutput C\n", "output axis 'c' is already an axis of A [y c]"),
    ("input A[y c], B[y c]\nC = concat(A, B: -> h)\noutput C\n", "(the spec has 1 place, separated by commas, for 2 tensors)"),
    ("input X[t e]\nG = topk(X: e) with k=9\noutput G\n", "topk keeps 9 of 4"),
    ("input X[t i]\nR = rope(X: t i)\noutput R\n", "rope rotates pairs, but axis 'i' has odd size 3"),
    ("input X[t e]\nR = rope(X: t e) with rotary=6\noutput R\n", "an even number, at most its size 4"),
    ("input X[t e]\nR = rope(X: t e) with rotary=3\noutput R\n", "rope with rotary=3 turns the first 3 elements of axis 'e'"),
    ("input X[t e]\nR = rope(X: t e) with factor=8\noutput R\n", "rope's factor= belongs to a scaling of its frequencies"),
    ("input X[t e]\nR = rope(X: t e) with scaling=llama3, factor=8\noutput R\n", "low, high, context missing"),
    ("input X[t e]\nR = rope(X: t e) with scaling=linear, factor=2, low=1\noutput R\n", "low not taken"),
    ("input X[t e]\nR = rope(X: t e) with scaling=linear, factor=2, unrounded\noutput R\n", "unrounded not taken"),
    ("input X[t e]\nR = rope(X: t e) with unrounded\noutput R\n", "rope's unrounded belongs to a scaling of its frequencies"),
    ("input X[t e]\nR = clamp(X) with min=1, max=0.5\noutput R\n", "clamp: min=1 must be less than max=0.5"),
    ("input X[t e]\nR = sinusoid(X: c)\noutput R\n", "sinusoid reads the rows of integer positions, but X is real"),
    ("input T[t] int\nR = sinusoid(T: c d)\noutput R\n", "sinusoid's rows lie along one axis"),
    ("input T[t] int\nR = sinusoid(T: t)\noutput R\n", "output axis 't' is already an axis of T"),
    ("input T[t] int\nR = sinusoid(T)\noutput R\n", "sinusoid needs the axis its rows lie along"),
    ("input X[t e]\nR = clamp(X)\noutput R\n", "clamp: give the bounds it holds x between"),
    ("input X[t e]\nR = index(X: t -> i) with at=4\noutput R\n", "index takes positions 4 to 7 of axis 't', which has 6"),
    ("input X[t e]\nR = index(X: t -> i) with at=-1\noutput R\n", "index takes positions 5 to 8 of axis 't', which has 6"),
    ("input X[t e]\nR = index(X: t -> e) with at=0\noutput R\n", "output axis 'e' is already an axis of X"),
    ("input X[t e]\nR = index(X: t -> i c) with at=0\noutput R\n", "index takes a run of axis 't' as one new axis"),
    ("input X[t e]\nR = index(X: t e -> i) with at=0\noutput R\n", "index picks one position of one axis, or a run of them"),
    ("input X[t e]\nR = rope(X: t e) with scaling=llama3, factor=8, low=4, high=1, context=64\noutput R\n",
     "high=1 must be more than low=4"),
    ("input X[t c]\nY = rename(X: t -> y)\noutput Y\n", "rename: axis 'y' has size 4, 't' has 6"),
    ("input X[t c], Y[t d]\nZ = X * Y\noutput Z\n", "cannot multiply X [t c] by Y [t d]"),
])
def test_vocabulary_mistakes_are_explained(body, message):
    assert message in vocab_error(body).message


def test_self_attention_needs_renamed_keys():
    text = VOCAB + ("block Att(A[q c], B[p c])\n  S = einsum(A, B: q c, p c -> q p)\n  return S\nend\n"
                    "input X[t c]\nS = Att(X, X)\noutput S\n")
    with pytest.raises(NcdError) as info:
        build(parse(text))
    assert "would see axis 't' twice" in info.value.message and "rename" in info.value.hint
    fixed = text.replace("S = Att(X, X)", "Xs = rename(X: t -> s)\nS = Att(X, Xs)")
    d = build(parse(fixed))
    assert d.values[d.outputs[0]].axes == ("t", "s")


def test_a_component_names_its_own_axes_not_its_arguments():
    """Inside a component only its own axis names denote its parameters' axes: a body that names the argument's
    axis instead would work where it is called but not drawn as a definition of its own (--layout page), so it
    is refused in every layout, at the name (found by bench/fuzz.py: block F(X[y with]) ... linear(X: m -> f))."""
    text = VOCAB + ("block F(X[y e])\n  Y = linear(X: c -> d)\n  return Y\nend\n"
                    "input A[t c]\nB = F(A)\noutput B\n")
    with pytest.raises(NcdError) as info:
        build(parse(text))
    assert "axis 'c' is the argument's axis that the component's axis 'e' stands for" in info.value.message
    assert (info.value.span.line, info.value.span.column) == (text.splitlines().index("  Y = linear(X: c -> d)") + 1, 17)
    fixed = text.replace("linear(X: c -> d)", "linear(X: e -> d)")
    d = build(parse(fixed))
    assert d.values[d.outputs[0]].axes == ("t", "d")
    from ncd_render.page.definitions import definition
    assert definition(build(parse(fixed), depth=0).source, "F").outputs  # and its definition draws on its own


@pytest.mark.parametrize("body, line, message", [
    ("  Y = relu(X)\n  return Y\n  return Y\n", 4, "component F returns twice"),
    ("  Y = relu(X)\n  return Y\n  Z = relu(Y)\n", 4, "nothing may follow the 'return' of component F"),
])
def test_a_component_returns_once_at_the_end(body, line, message):
    """A second 'return' silently replaced the first, and a statement after it was built and never
    returned; the page layout, drawing the component's definition on its own, then failed where the
    paper layout drew it (found by bench/fuzz.py: FeedForward with 'return Y' twice). Refused in every
    layout, at the statement."""
    text = VOCAB + "block F(X[e])\n" + body + "end\ninput A[c]\nB = F(A)\noutput B\n"
    with pytest.raises(NcdError) as info:
        build(parse(text))
    assert info.value.message == message
    assert info.value.span.line == len(VOCAB.splitlines()) + line
    d = build(parse(text.replace(body, "  Y = relu(X)\n  return Y\n")))
    assert d.values[d.outputs[0]].axes == ("c",)


def test_sections_take_colours_in_reading_order_in_every_build():
    """A section's colour is its place among the file's sections and repeats (parents before what they
    hold, components' insides where they are written), and an expanded call's comes after all of them,
    by its component: the same whichever statements are built together, as a page builds its parts."""
    from dataclasses import replace

    from ncd_render.parse import Section

    text = ("axis m = 4\nblock F(X[m])\n  section \"Inside F\"\n    Y = relu(X)\n  end\n  return Y\nend\n"
            "input X[m]\nsection \"A\"\n  repeat 2 \"B\"\n    X = relu(X)\n  end\nend\n"
            "section \"C\"\n  Z = F(X)\nend\noutput Z\n")
    program = parse(text)
    assert program.sections == 4
    colours = lambda p: {s.title: s.colour for s in build(p, depth=None).sections.values()}  # noqa: E731
    assert colours(program) == {"Inside F": 0, "A": 1, "B": 2, "C": 3, "F": 4}
    without_a = replace(program, statements=tuple(s for s in program.statements if not (isinstance(s, Section) and s.title == "A")))
    assert colours(without_a) == {"Inside F": 0, "C": 3, "F": 4}
