"""Rough edges of the language for a new user: aliases, tandem names used as axes, warnings
about unused tensors and learned boxes, hints that say which side is which, and plurals."""
import pytest
from click.testing import CliRunner

from ncd_render.cli import main
from ncd_render.errors import NcdError, plural
from ncd_render.ir import build
from ncd_render.lint import warnings
from ncd_render.parse import parse

HEADER = "axis y = 4 width\naxis m = 8\naxis k = 2\n"


def diagram(body: str):
    return build(parse(HEADER + body, "t.ncd"))


def error(body: str) -> NcdError:
    with pytest.raises(NcdError) as info:
        diagram(body)
    return info.value


def test_an_alias_is_a_second_name_for_the_same_tensor():
    d = diagram("input X[y m]\nY = X\nZ = relu(Y)\noutput Z\n")
    (relu,) = [op for op in d.ops if op.kind == "elementwise"]
    assert relu.inputs == d.inputs  # no box between X and the relu
    d = diagram('input X[y m]\nrepeat 2\n  H = relu(X)\n  X = H\nend\noutput X\n')  # an alias can carry a value round
    (section,) = d.sections.values()
    assert len(section.carried) == 1


def test_an_alias_with_a_label_says_how_to_draw_a_box():
    err = error("input X[y m]\nY = X as L\noutput Y\n")
    assert "'Y = X' gives a tensor a second name" in err.message and "identity(X)" in err.hint


def test_a_tandem_name_used_as_an_axis_says_what_to_write():
    with pytest.raises(NcdError) as info:
        build(parse("axis h = 4 width\naxis w = 4 width\naxis m = 8\ntandem x = h w\ninput X[x m]\noutput X\n", "t.ncd"))
    err = info.value
    assert err.message == "'x' is the name of the tandem axes h w, not an axis"
    assert (err.span.line, err.span.column) == (5, 9)
    assert "write the axes themselves, e.g. [h w]" in err.hint and "declare it" not in err.hint


@pytest.mark.parametrize("body, message, line, column", [
    ("input X[y m]\nH = linear(X: m -> k) as L_1\nY = relu(X)\noutput Y\n",
     "the learned box L_1 makes H, which is never used: its weights reach no output", 5, 1),
    ("input X[y m]\nH = relu(X)\nY = relu(X)\noutput Y\n", "tensor H is never used", 5, 1),
    ("input X[y m], Z[y m]\nY = relu(X)\noutput Y\n", "input Z is never used", 4, 15),
    ("input X[y m]\nH = linear(X: m -> k) as L_1\nG = relu(H)\nY = relu(X)\noutput Y\n",
     "the learned box L_1 reaches no output: its weights do nothing", 5, 5),
])
def test_unused_tensors_and_dead_learned_boxes_are_warned_about_with_their_place(body, message, line, column):
    found = warnings(diagram(body))
    assert any(w.message == message for w in found), [w.message for w in found]
    w = next(w for w in found if w.message == message)
    assert (w.span.line, w.span.column) == (line, column)


def test_a_label_on_a_box_that_draws_its_own_symbol_and_learns_nothing_is_warned_about():
    """A new user's `layernorm(X: m) as GN` and `softmax(B: m) as Foo` were drawn as LN's circle and a triangle, the labels
    nowhere and naming nothing, without a word. A norm with a learned scale keeps its label: it names the parameters."""
    found = warnings(diagram("input X[y m]\nA = layernorm(X: m) as GN\nB = layernorm(A: m) with affine as N_1\n"
                             "C = softmax(B: m) as Foo\nD = relu(C) as R\nE = gelu(D) as G\noutput E\n"))
    said = [(w.message, w.span.line) for w in found]
    assert said == [("the label GN is not drawn: this box is drawn as its circle, and learns nothing the label could name", 5),
                    ("the label Foo is not drawn: this box is drawn as the softmax's triangle, and learns nothing the label could name", 7),
                    ("the label R is not drawn: this box is drawn as its pictogram, and learns nothing the label could name", 8)]
    assert found[0].hint.startswith("drop 'as GN'; or write 'with affine'") and found[1].hint == "drop 'as Foo'"


def test_one_label_on_two_maps_is_warned_about_at_the_second():
    """A new user's CBAM wrote its shared MLP as two maps `as W_1`: the figure drew two alike W_1 boxes, read as one map
    used twice, while each learned its own weights (W_1 and W_1_2), without a word. The same statement repeated, a
    component called twice, and norms (drawn as their circle) are not warned about."""
    found = warnings(diagram("axis f = 8\ninput X[y m]\nA = linear(X: m -> f) as W_1\nB = linear(X: m -> f) as W_1\n"
                             "C = A + B\noutput C\n"))
    assert [(w.message, w.span.line) for w in found] == [
        ("the label W_1 is also line 6's: the two boxes are drawn alike, as one map used twice, but each learns weights of "
         "its own", 7)]
    repeated = ("input X[y m]\nrepeat 2 \"Layer\"\n  X = linear(X: m -> m) as W\n  X = layernorm(X: m) with affine as N\nend\n"
                "Y = layernorm(X: m) with affine as N\noutput Y\n")
    assert warnings(diagram(repeated)) == []


def test_one_label_in_two_components_is_not_warned_about_but_twice_in_one_is():
    """ncd import labels each component's boxes within it (GPT-2's attention and MLP both end in L_{c_proj}, as
    docs/import.md says is meant), and ncd compile names them by their component (GPT2Attention_L_c_proj,
    GPT2MLP_L_c_proj); yet every render of the imported GPT-2 at depth 1, and every ncd check, warned that the label
    was also the other block's. Labels are compared within a component's body, and outside any, only."""
    blocks = ("axis f = 8\nblock Attn(N[y m])\n  H = linear(N: m -> f) as L_p\n  H = linear(H: f -> m) as L_{c_proj}\n"
              "  return H\nend\nblock MLP(N[y m])\n  H = linear(N: m -> f) as L_{c_fc}\n  H = relu(H)\n"
              "  H = linear(H: f -> m) as L_{c_proj}\n  return H\nend\n")
    calls = "input X[y m]\nA = Attn(X)\nB = MLP(A)\nC = linear(B: m -> m) as L_{c_proj}\noutput C\n"
    for depth in (None, 1):
        assert warnings(build(parse(HEADER + blocks + calls, "t.ncd"), depth=depth)) == []
    twice = blocks.replace("as L_{c_fc}", "as L_{c_proj}")
    found = warnings(build(parse(HEADER + twice + calls, "t.ncd"), depth=1))
    lines = [n for n, line in enumerate((HEADER + twice + calls).splitlines(), 1) if "as L_{c_proj}" in line]
    first, second = lines[1:3]  # the MLP's two; the attention's and the top level's are others'
    assert [(w.message, w.span.line) for w in found] == [
        (f"the label L_{{c_proj}} is also line {first}'s: the two boxes are drawn alike, as one map used twice, but each "
         "learns weights of its own", second)]


def test_a_sum_over_every_pair_of_two_depth_axes_of_one_size_is_warned_about():
    """Set Transformer's pooling written with a head's features grouped, [s (h k)], plus the map's [s m]: an outer sum
    (a tensor of 128 x 128 per seed) that built without a word. Both depth axes of one size: a warning and the rename
    that makes them one; an outer sum or difference of positions (additive attention, a Chamfer distance) has none."""
    body = ("axis s = 3 width\naxis h = 2\naxis n = 4\naxis kk = m / h\ninput O[s kk h], F[s m]\n"
            "Y = rearrange(O: s kk h -> s (h kk))\nZ = Y {} F\noutput Z\n")
    for sign, words in (("+", "adds every pair of [(h kk)] and [m] (an outer sum, [s (h kk) m])"),
                        ("-", "takes the difference of every pair of [(h kk)] and [m] (an outer difference")):
        (w,) = warnings(diagram(body.format(sign)))
        assert words in w.message and (w.span.line, w.span.column) == (10, 5)
        assert w.hint.endswith("rename one first: Y2 = rename(Y: (h kk) -> m)")
        renamed = body.format(sign).replace("Z = Y", "Y2 = rename(Y: (h kk) -> m)\nZ = Y2")
        assert warnings(diagram(renamed)) == []
    for sign in "+-":
        assert warnings(diagram(f"axis x = 4 width\ninput A[y k], B[x k]\nE = A {sign} B\noutput E\n")) == []


def test_a_padding_mask_over_the_queries_is_warned_about():
    """input M[y] bool masking the scores before a softmax over the keys x hides whole rows (NaN); it built silently."""
    body = "axis x = 5\ninput S[y x], M[{}] bool\nT = mask(S, M){}\nP = softmax(T: x)\noutput P\n"
    for keep in ("", " with keep"):
        (w,) = warnings(diagram(body.format("y", keep)))
        assert w.message == ("M has no axis x, which the softmax after it runs over: each of its flags stands for a whole row, "
                             "and a row hidden whole is NaN") and w.hint == "a padding mask is over the keys: M[x], the axis the softmax runs over"
        assert warnings(diagram(body.format("x", keep))) == [] and warnings(diagram(body.format("y x", keep))) == []


def test_a_rearrange_from_a_group_the_tensor_was_not_made_as_says_so():
    """rearrange(X: t (g q) -> t g q) of X[t c], c = 6 = g q: the hint said 'write its axes in order', which they were."""
    err = error("axis g = 2\naxis q = 4\ninput X[y m]\nY = rearrange(X: y (g q) -> y g q)\noutput Y\n")
    assert err.hint == ("m (8) is g × q only where it is made as the group (g q): declare X[y (g q)] (an input, or the output "
                        "of the op that makes it), or rename(X: m -> (g q)) first; then rearrange(X: y (g q) -> y g q)")
    assert error("input X[y m]\nY = rearrange(X: y k -> k y)\noutput Y\n").hint.endswith(
        "the left side names every axis of X, in order (rearrange(X: y m -> ...); none is broadcast)")


def test_the_rename_a_rearrange_hint_offers_makes_the_group_it_splits():
    """A new user's Mamba-2: U made by a per-channel map could not be declared U[y (p h)]; the hint named only that."""
    hint = error("axis p = 2\naxis h = 4\naxis d = p * h\ninput U[y d]\nV = rearrange(U: y d -> y p h)\noutput V\n").hint
    rename = hint[hint.index("rename("):hint.index(") first") + 1]
    assert rename == "rename(U: d -> (p h))"
    text = f"axis y = 3 width\naxis p = 2\naxis h = 4\naxis d = p * h\ninput U[y d]\nU = {rename}\nV = rearrange(U: y (p h) -> y p h)\noutput V\n"
    diagram = build(parse(text))
    assert list(diagram.values[diagram.outputs[0]].axes) == ["y", "p", "h"]
    assert error("input X[y m]\nY = rearrange(X: m y -> y m)\noutput Y\n").hint.endswith("write its axes in order")


@pytest.mark.parametrize("label, below, on, fixed", [
    ("L_emb", "e", "mb", "L_{emb}"), ("E_pos", "p", "os", "E_{pos}"), ("W_{a}_bc", "b", "c", "W_{a}_{bc}"),
])
def test_a_subscript_that_runs_on_past_one_letter_is_warned_about(label, below, on, fixed):
    """as L_emb is drawn as TeX sets it, L with e below and mb on the line: a new user's T_mask and E_pos were."""
    (w,) = warnings(diagram(f"input X[y m]\nY = linear(X: m -> m) as {label}\noutput Y\n"))
    assert w.message == f"the label {label} has one character below the line, '{below}', then '{on}' on it (as TeX sets it)"
    assert w.hint == f"write {fixed} for a subscript of several characters" and w.span.line == 5
    for fine in ("L_{emb}", "L_e", "W_\\mu", "L_{to_rgb}", "L_Q"):
        assert warnings(diagram(f"input X[y m]\nY = linear(X: m -> m) as {fine}\noutput Y\n")) == []


def test_deleted_outputs_and_carried_values_are_not_warned_about():
    assert warnings(diagram("input X[y m], Z[y m]\ndelete Z\nY = relu(X)\noutput Y\n")) == []
    assert warnings(diagram("input X[y m]\nrepeat 3\n  H = relu(X)\n  X = X + H\nend\noutput X\n")) == []


def test_commands_print_warnings_and_carry_on(tmp_path):
    (tmp_path / "w.ncd").write_text(HEADER + "input X[y m]\nH = linear(X: m -> k) as L_1\nY = relu(X)\noutput Y\n")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "w.ncd")])
    assert result.exit_code == 0
    assert f"{tmp_path / 'w.ncd'}:5:1: warning: the learned box L_1 makes H, which is never used" in result.output
    assert "    5 | H = linear(X: m -> k) as L_1" in result.output


@pytest.mark.parametrize("body, hint", [
    ("input Q[y k m], K[y m k]\nS = einsum(Q, K: y k m, y k m -> y)\noutput S\n",
     "the spec writes K as [y k m], but K is [y m k]; the order of axes matters"),
    ("input X[y m]\nY = rearrange(X: m y -> y m)\noutput Y\n", "the pattern starts from [m y], but X is [y m]"),
    ("input A[y m], B[m y]\nC = A + B\noutput C\n", "every term needs the first one's axes [y m], in order; B has [m y]"),
    ("input A[y m], B[m y]\nC = A * B\noutput C\n", "both need one shape, in order: A has [y m], B has [m y]"),
])
def test_hints_say_which_side_is_which(body, hint):
    assert hint in error(body).hint


def test_counts_are_pluralised():
    assert plural(1, "box") == "1 box" and plural(2, "box") == "2 boxes" and plural(1, "axis", "axes") == "1 axis"
    err = error("input X[y m]\nA, B = relu(X)\noutput A\n")
    assert err.message == "2 names on the left but the right side gives 1 tensor"


def test_validate_counts_in_words(tmp_path):
    (tmp_path / "one.ncd").write_text("axis m = 4\ninput X[m]\nY = relu(X)\noutput Y\n")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "one.ncd")])
    assert result.output.endswith("ok: 1 axis, 1 box, 1 input, 1 output\n")


CONV = "axis h = 6 width\naxis w = 6 width\naxis c = 4\naxis i = 3\naxis j = 3\naxis v = 5\ninput X[h w c]\n"


@pytest.mark.parametrize("body, message, column", [
    ("B = unfold(X: h w -> h w i j) with padding=1\nH = unfold(B: h w -> h w i j) with padding=1\noutput H\n",
     "output axis 'i' is already an axis of B [h w i j c]", 26),  # found by the fuzzer: a tensor with two i wires crashed the layout
    ("input T[h] int\nE = embedding(T: v -> h)\noutput E\n", "output axis 'h' is already an axis of T [h]", 23),
    ("C = concat(X, X: h, w -> w)\noutput C\n", "output axis 'w' is already an axis of X [h w c]", 26),
])
def test_new_axes_must_differ_from_the_axes_that_pass_by(body, message, column):
    with pytest.raises(NcdError) as info:
        build(parse(CONV + body, "t.ncd"))
    assert info.value.message == message
    assert info.value.span.column == column


@pytest.mark.parametrize("body, message, line", [
    ("Y = upsample(X: h -> y)\noutput Y\n", "axis 'y' has size 4, but upsampling h=3 by 2 gives 6", 6),
    ("Y = upsample(X: h -> y) with factor=3\noutput Y\n", "axis 'y' has size 4, but upsampling h=3 by 3 gives 9", 6),
    ("Y = upsample(X: h -> y m)\noutput Y\n", "upsample maps each axis it names to one output axis", 6),
    ("Y = upsample(X: h -> y) with factor=1\noutput Y\n", "factor=1 is out of range", 6),
])
def test_upsampling_says_what_size_its_output_axis_must_have(body, message, line):
    """upsample(X: h -> y) with factor=k: y must be k times h, one output axis per axis named, k at least 2."""
    with pytest.raises(NcdError) as info:
        build(parse("axis h = 3 width\naxis y = 4 width\naxis m = 8\naxis c = 2\ninput X[h c]\n" + body, "t.ncd"))
    assert info.value.message == message and info.value.span.line == line


@pytest.mark.parametrize("label, runs", [("W_\\mu", [("W", "base"), ("μ", "sub")]),
                                         ("W^\\sigma_2", [("W", "base"), ("σ", "sup"), ("2", "sub")]),
                                         ("W_{\\mu}", [("W", "base"), ("μ", "sub")])])
def test_a_command_is_a_script_as_tex_takes_it(label, runs):
    """``as W_\\mu`` is how TeX writes a subscript mu, and what a user writes for a VAE's mean; it was a
    syntax error ("expected end of line") unless braced, ``W_{\\mu}``. Both now draw W with a subscript μ."""
    from ncd_render.text import parse_label

    d = diagram(f"input X[y m]\nM = linear(X: m -> k) as {label}\noutput M\n")
    (box,) = [op for op in d.ops if op.kind == "linear"]
    assert [(r.text, r.shift) for r in parse_label(box.label)] == runs


def test_division_by_a_number_an_axis_or_a_tensor():
    """``/`` was a syntax error outside axis sizes (linear attention's normaliser could not be written). By a number
    or an axis size it scales by the reciprocal; by a tensor it is a quotient box, the divisor broadcast over the
    axes it lacks; by zero, or by a tensor with an axis the dividend lacks, an error at the divisor."""
    d = diagram("input X[y m], D[y]\nA = X / 4\nB = A / m^1/2\nC = B / D\noutput C\n")
    scales = [op.params["factor"] for op in d.ops if op.kind == "scale"]
    assert scales == [0.25, 8 ** -0.5]
    (div,) = [op for op in d.ops if op.kind == "div"]
    assert [d.values[v].name for v in div.inputs] == ["B", "D"]
    err = error("input X[y m]\nA = X / 0\noutput A\n")
    assert err.message == "cannot divide by 0" and (err.span.line, err.span.column) == (5, 9)
    err = error("input X[y], D[y m]\nA = X / D\noutput A\n")
    assert err.message.startswith("cannot divide X [y] by D [y m]: X has no axis 'm'") and "right side may lack" in err.hint


def test_a_quotient_stands_on_its_dividend_whichever_is_drawn_above():
    """A sum of operands with every axis goes on along the topmost (it commutes); a quotient does not: its ÷
    box stands on the dividend's wires, N's, though D is declared first and drawn above it."""
    from ncd_render.layout import layout
    from ncd_render.scene import Line, Rect
    from ncd_render.style import load_preset, load_theme

    d = diagram("input D[y m], N[y m]\nR = N / D\noutput R\n")
    scene = layout(d, load_theme("paper"), load_preset("paper"))
    (div,) = [op for op in d.ops if op.kind == "div"]
    (box,) = [i for i in scene.items if isinstance(i, Rect) and i.role == "box" and i.ref == div.id]
    starts = {}  # each input's wires, by the height they start at
    for line in (i for i in scene.items if isinstance(i, Line) and i.role == "wire" and i.y1 == i.y2):
        starts.setdefault(round(line.y1, 1), line)
    heights = sorted(starts)
    d_wires, n_wires = heights[:2], heights[2:4]  # D above N, as declared
    assert all(box.y < y < box.y + box.h for y in n_wires) and not any(box.y < y < box.y + box.h for y in d_wires)


@pytest.mark.parametrize("body, message, column", [
    ("axis f = 3\ninput X[y m]\nA, B = split(X: m -> f, f)\noutput A, B\n", "axis 'm' has size 8, but the parts add up to 6", 17),
    ("input X[y m]\nA, B = split(X: m -> k)\noutput A\n", "split needs the axis cut and one axis per part", 17),
    ("input X[y m]\nA, B = split(X: m -> y, k)\noutput A\n", "output axis 'y' is already an axis of X", 22),
    ("input X[y m]\nA = split(X: m -> k, k, k, k)\noutput A\n", "1 name on the left but the right side gives 4 tensors", 1),
])
def test_split_says_what_does_not_add_up(body, message, column):
    """``A, B = split(H: f2 -> f, f)``, the usual GLU's halves: an error names what is wrong, where."""
    err = error(body)
    assert message in err.message and err.span.column == column, (err.message, err.span)


def test_split_cuts_in_order_and_halves_may_share_an_axis():
    d = diagram("axis f = 4\ninput X[y m]\nA, B = split(X: m -> f, f)\nY = A * B\noutput Y\n")
    (cut,) = [op for op in d.ops if op.kind == "split"]
    assert [d.values[v].axes for v in cut.outputs] == [("y", "f"), ("y", "f")] and cut.params["parts"] == ("f", "f")


@pytest.mark.parametrize("axes, pattern, hint", [
    ("X[r m]", "r m -> a i m", "r (56) is a × i only where it is made as the group (a i): declare X[(a i) m]"),
    ("X[a i m]", "a i m -> r m", "axes merge into a group: write (a i) for r on the right, -> (a i) m"),
])
def test_a_split_or_merge_by_another_name_says_how_to_write_it(axes, pattern, hint):
    """Swin's windows: a user split r = 56 into a i (8 x 7) and was told only 'in: r m; out: a i m'."""
    with pytest.raises(NcdError) as info:
        build(parse(f"axis a = 8 width\naxis i = 7 width\naxis r = 56 width\naxis m = 4\ninput {axes}\n"
                    f"W = rearrange(X: {pattern})\noutput W\n", "t.ncd"))
    assert info.value.message == "rearrange must keep the same axes" and info.value.hint.startswith(hint)


def test_a_difference_of_two_tensors():
    """``A - B`` was a syntax error: a GRU's h - n was written as h + (-1 n). It is one box, labelled −, on A, B
    broadcast over the axes it lacks; three terms, or B with an axis A lacks, are errors where they are written."""
    d = diagram("input X[y m], B[m]\nY = X - B\noutput Y\n")
    (sub,) = [op for op in d.ops if op.kind == "sub"]
    assert sub.label == "−" and [d.values[v].name for v in sub.inputs] == ["X", "B"]
    err = error("input X[y], B[y m]\nY = X - B\noutput Y\n")
    assert err.message.startswith("cannot subtract B [y m] from X [y]: X has no axis 'm'") and "write B" not in err.hint
    with pytest.raises(NcdError) as info:
        diagram("input X[y m], B[y m], C[y m]\nY = X - B - C\noutput Y\n")
    assert (info.value.span.line, info.value.span.column) == (5, 11)


@pytest.mark.parametrize("expr", ["X - B - C", "X + B - C", "X - B + C", "X + B + C - D"])
def test_a_difference_of_more_than_two_terms_says_to_name_each_step(expr):
    with pytest.raises(NcdError) as info:
        diagram(f"input X[y m], B[y m], C[y m], D[y m]\nY = {expr}\noutput Y\n")
    assert info.value.hint.startswith("a difference takes two terms (A - B)")


@pytest.mark.parametrize("expr, number, negate, label", [
    ("X + 1", 1.0, False, "+1"), ("1 + X", 1.0, False, "+1"), ("X - 0.5", -0.5, False, "−0.5"),
    ("1 - X", 1.0, True, "1−·"), ("X + -2", -2.0, False, "−2"), ("X - -2", 2.0, False, "+2"),
])
def test_a_number_added_to_or_taken_from_a_tensor(expr, number, negate, label):
    """``1 - X`` (a highway's carry gate, a GRU's 1 - z) and ``X + 1`` (DiT's x (1 + scale)) were syntax errors,
    "expected a name": each is one offset mark over X's wires, its number as added."""
    d = diagram(f"input X[y m]\nY = {expr}\noutput Y\n")
    (op,) = [op for op in d.ops if op.kind == "offset"]
    assert (op.params["number"], op.params["negate"], op.label) == (number, negate, label)
    assert d.values[op.outputs[0]].axes == ("y", "m")


@pytest.mark.parametrize("line, column, hint", [
    ("Y = 2 * X", 7, "a scale follows its tensor: write X * 2"),
    ("Y = 1 - X * 2", 11, "an offset is one tensor and one number (X + 1, 1 - X): name each step"),
    ("Y = X + X + 1", 13, "a number is added to one tensor (X + 1): name the sum first"),
    ("Y = X + 0.5 * X", 13, "a statement does one operation: scale first, S = X * 0.5, then Y = X + S"),  # (it was the offset's)
    ("Y = X * m^-1/2 + X", 16, "a statement does one operation: scale first, S = X * m^-1/2, then Y = S + X"),
    ("Y = X ** 2", 8, "the language has no **: x² is square(X)"),  # (it was told S = X *, then Y = S * 2)
    ("Y = -X", 5, "a tensor is negated by a scale: X * -1"),  # (these three were "expected a name, a number" or "')'")
    ("Y = (X + X) * 2", 5, "a statement does one operation, on named tensors: name the inner result first"),
    ("Y = dropout(X) with p=(1 - 0.5)", 26, "an option takes one number or word (a window's setting: one number per width "
     "axis, p=(0, 3)), not an expression: write the number, e.g. p=1"),  # (it was told to name the inner result first)
    ("Y = dropout(X) with p=(0.5)", 27, "one number is written without parentheses, p=0.5"),  # (it was told "expected ','")
    ("Y = dropout(X) with p=(0.5, 1", 30, "close the parentheses: p=(0.5, 1)"),
    ("Y = relu(X + X)", 12, "a statement does one operation, on named tensors: name the argument first, S = X + ..., then Y = relu(S)"),
    ("Y = maximum(X, 0)", 16, "the larger of a tensor and a number is a clamp: clamp(X) with min=0"),
    ("Y = X * X * 2", 11, "a statement does one operation: name the first result, S = X * X, then Y = S * 2"),
    ("Y = X * m^-1/2 * 0.5", 16, "a statement does one operation: name the first result, S = X * m^-1/2, then Y = S * 0.5"),
    ("Y = X + 1 as F", 1, "to draw a labelled box, write 'Y = identity(X) as LABEL' after it"),
])
def test_what_an_offset_or_a_scale_cannot_be_says_what_to_write(line, column, hint):
    assert_hint_at(line, column, hint)


def assert_hint_at(line: str, column: int, hint: str) -> None:
    """``line``, in a file declaring X[y m] (and b), is an error at ``column`` whose hint starts with ``hint``."""
    err = error(f"axis b = 2 width\ninput X[y m]\n{line}\noutput Y\n")
    assert err.span.column == column and err.hint.startswith(hint), (err.span, err.hint)


@pytest.mark.parametrize("line, column, hint", [
    ("Y = torch.relu(X)", 10, "the language calls its operations by name alone: write relu(X), not torch.relu(X)"),
    ("Y = X.sum(m)", 6, "the language has no methods: write sum(X: m), the axes after a colon"),
    ("Y = X.transpose(y, m)", 6, "the language has no methods: axes are moved or grouped by rearrange(X: y m -> m y)"),
    ("Y = X @ X", 7, "a product of tensors is an einsum that names its axes"),
    ("Y = softmax(X, dim=m)", 19, "the axes follow a colon, not a keyword: softmax(X: ...)"),
    ("Y = linear(X, m -> k)", 17, "the spec follows a colon after the tensors: linear(X: m -> k)"),
    ("Y = X / sqrt(m)", 13, "the square root of an axis size is written as a power"),
    ("Y = linear(X: m -> 2k)", 20, "a spec names axes, not dims or sizes"),
    ("Y = softmax(X: -1)", 16, "a spec names axes, not dims or sizes: write the axis's name"),
    ("Y = nn.Linear(X: m -> k)", 7, "the language calls its operations by name alone: write linear(X: m -> k), not nn.Linear"),
    ("Y = dropout(X, 0.1)", 16, "options follow 'with' after the call: dropout(X) with p=0.1"),
    ("Y = linear(X: m -> k, bias=True)", 27, "options follow 'with' after the call: linear(X: m -> k) with bias"),
    ("Y = linear(X: m -> m) + X", 23, "a statement makes one tensor from one operation: name its result"),
    ("Y = max(X: y)[0]", 14, "a statement's result is one tensor, not a tuple: drop the index"),
    ("input Z[b, y]", 10, "a tensor's axes are separated by spaces: X[b y m]"),
    ("input Z(y m)", 8, "a tensor's axes go in brackets: input X[y m]"),
    ("axis q: 5", 7, "an axis is declared with '=': axis q = 5"),
    ("Y = X[0]", 6, "the language has no indexing: take part of an axis with split(X: m -> a, b)"),
    ("Y = linear(X: m -> k) as W_{Q", 27, "a subscript of several characters is closed by a brace: as W_{Q}"),
])
def test_pytorch_written_where_the_language_is_expected_gets_a_hint_in_its_terms(line, column, hint):
    """A new user writes what PyTorch would: each was a bare 'unexpected ...' naming tokens, not what to write."""
    assert_hint_at(line, column, hint)


def test_an_outer_sum_has_the_first_terms_axes_then_the_seconds_own():
    """Additive attention adds each query's map to each key's, A[y k] + B[x k]: it was an error ("A has no axis 'x'").
    Two terms that each lack an axis of the other add every pair, or take every pair's difference (a Chamfer
    distance's offsets, an error too before); three terms still may not, nor terms that share no axis."""
    for sign, kind in (("+", "add"), ("-", "sub")):
        d = diagram(f"axis x = 5 width\ninput A[y k], B[x k]\nE = A {sign} B\noutput E\n")
        (op,) = [op for op in d.ops if op.kind == kind]
        assert d.values[op.outputs[0]].axes == ("y", "k", "x") and d.values[op.inputs[0]].axes == ("y", "k")
    err = error("axis x = 5 width\ninput A[y k], B[x m]\nE = A - B\noutput E\n")
    assert err.message.startswith("cannot subtract B [x m] from A [y k]: A has no axis 'x', 'm'")
    err = error("axis x = 5 width\ninput A[y k], B[x k], C[y k]\nE = A + C + B\noutput E\n")
    assert err.message.startswith("cannot add B [x k] to A [y k]: A has no axis 'x'")
    err = error("axis x = 5 width\ninput A[y k m], B[x m k]\nE = A + B\noutput E\n")
    assert "B's axes must come in A's order, [k m]" in err.hint


@pytest.mark.parametrize("line, word", [('title "B"', "title"), ("check m=5", "check"), ("depth 1", "depth"),
                                        ("convolutions compact", "convolutions")])
def test_a_file_line_written_twice_is_an_error_at_the_second(line, word):
    """A tester's second check line was ignored: ncd check ran at the first, and editing the second did nothing."""
    first = {"title": 'title "A"', "check": "check m=3", "depth": "depth 0", "convolutions": "convolutions explicit"}[word]
    err = error(f"{first}\ninput X[m]\nY = relu(X)\noutput Y\n{line}\n")  # (after HEADER's three lines)
    assert err.message == f"a second {word} line: a file has one, and line 4 has it" and err.span.line == 8


@pytest.mark.parametrize("inputs, line, column", [("input X[m], X[m]\n", 4, 13), ("input X[m]\ninput X[m]\n", 5, 7)])
def test_an_input_declared_twice_is_an_error_at_the_second(inputs, line, column):
    """The second X hid the first, which went unused with only a warning: a figure with one of two inputs."""
    found = error(inputs + "Y = relu(X)\noutput Y\n")
    assert "'X' is already an input, declared at line 4" in found.message
    assert (found.span.line, found.span.column) == (line, column)


def test_a_file_of_hundreds_of_warnings_prints_twenty_and_counts_the_rest(tmp_path):
    """A tester's 500 maps labelled L_10 ... L_499 printed 2,000 lines of warnings (four each) before the one line that
    said the file was fine. The first twenty are printed; the rest are counted, with the lines they are on."""
    lines = ["axis m = 4", "input X[m]"] + [f"X = linear(X: m -> m) as L_{k}" for k in range(10, 110)] + ["output X"]
    (tmp_path / "many.ncd").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "many.ncd")])
    said = result.output.splitlines()
    assert result.exit_code == 0 and said[-1].endswith("many.ncd: ok: 1 axis, 100 boxes, 1 input, 1 output")
    assert sum("warning: the label" in line for line in said) == 20
    assert "warning: 80 more warnings, on lines 23 to 102, not shown" in said
