"""ncd import: real modules (torch.nn, transformers from tiny random configs) imported as
diagrams that build, draw with the layout invariants, and pass `ncd check` against the
module itself with no other argument."""
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import ncd_render  # noqa: E402
from ncd_render.errors import NcdError  # noqa: E402
from ncd_render.importer import import_file  # noqa: E402
from ncd_render.importer.fused import fuse_rearranges  # noqa: E402
from ncd_render.pytorch.check import check_file  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "tests" / "import_models" / "models.py"
IMPORTED = ["multihead_attention", "encoder_layer", "decoder_layer", "mlp", "resnet_block", "llama_mlp", "deepseek_mlp", "gpt2",
            "vit", "llama_decoder_layer", "llama_gqa_decoder_layer", "mixtral_moe", "encoder_stack", "decoder_stack"]
INVARIANTS = ("knots_elsewhere", "wire_through_box", "label_overlaps")



@pytest.mark.parametrize("name", IMPORTED)
def test_import_checks_and_draws(name, tmp_path, figure_metrics):
    out = tmp_path / f"{name}.ncd"
    start = time.perf_counter()
    import_file(f"{MODELS}:{name}", out)
    report = check_file(out)  # the pairing beside it, no other argument
    seconds = time.perf_counter() - start
    assert report.passed, str(report)
    svg = tmp_path / f"{name}.svg"
    ncd_render.render(out, svg)
    result, _ = figure_metrics.analyse(str(svg))
    assert {m: result[m] for m in INVARIANTS} == dict.fromkeys(INVARIANTS, 0), result
    print(f"{name}: {seconds:.1f} s, crossings {result.get('crossings')}")


def test_axes_are_renamed(tmp_path):
    out = tmp_path / "mlp.ncd"
    import_file(f"{MODELS}:llama_mlp", out, {"hidden": "d", "y": "t"})
    text = out.read_text()
    assert "input X[t d]" in text and "axis m" not in text
    assert check_file(out).passed


def test_projections_of_one_tensor_are_written_together(tmp_path):
    """Llama's MLP runs gate_proj(N), its SiLU, then up_proj(N): the import writes the two projections
    of N side by side, then the SiLU, as a person writes SwiGLU, and checks the same."""
    out = tmp_path / "mlp.ncd"
    import_file(f"{MODELS}:llama_mlp", out)
    lines = [line.strip() for line in out.read_text().splitlines()]
    gate, up, silu = (next(i for i, line in enumerate(lines) if key in line) for key in ("L_{gate_proj}", "L_{up_proj}", "silu("))
    assert gate + 1 == up < silu, lines
    assert check_file(out).passed


def test_query_heads_sharing_a_key_head_split_into_groups(tmp_path):
    out = tmp_path / "gqa.ncd"
    import_file(f"{MODELS}:llama_gqa_decoder_layer", out)
    text = out.read_text()
    assert "linear(N: m -> h g k)" in text and "einsum(Q, Kx: y h g k, x h k -> y x h g)" in text
    assert "rearrange(" not in text  # the groups last in the scores too, as in the queries: o_proj's result is [y m] as made
    assert check_file(out).passed


def test_keys_repeated_per_query_head_by_repeat_interleave_split_the_heads_into_groups(tmp_path):
    """``k.repeat_interleave(g, dim=1)`` copies each key head for the g query heads of its group, as transformers'
    repeat_kv does by expand and reshape: the query heads split into key heads and groups, no opaque box."""
    out = tmp_path / "gqa.ncd"
    imported = import_file(f"{MODELS}:gqa_repeat_interleave", out)
    text = out.read_text()
    assert "opaque(" not in text and not imported.warnings, imported.warnings
    assert "linear(X: m -> h g k) as L_{to_q}" in text and "x h k -> y x h g)" in text, text
    assert check_file(out).passed


def test_a_gate_s_halves_are_named_as_a_gate_s_not_as_queries_and_keys(tmp_path):
    """A projection chunked in two halves read by no attention (a gate) names them H and H2 on an axis of features,
    not Q and K on a head depth, though its module is called in_proj as nn.MultiheadAttention's packed one is."""
    out = tmp_path / "gate.ncd"
    import_file(f"{MODELS}:gated_short_conv", out)
    text = out.read_text()
    assert "H = linear(X: m -> f) with bias as L_{in_proj.0}\nH2 = linear(X: m -> f) with bias as L_{in_proj.1}" in text, text
    assert "Q = " not in text and "axis k" not in text
    assert check_file(out).passed


def test_lucidrains_to_q_and_to_kv_are_queries_keys_and_values(tmp_path):
    """``to_q`` and the two parts of a packed ``to_kv`` (lucidrains' names) are Q, K and V, as q_proj and in_proj are."""
    out = tmp_path / "gqa.ncd"
    import_file(f"{MODELS}:gqa_repeat_interleave", out)
    text = out.read_text()
    assert "Q = linear(X: m -> h g k) as L_{to_q}\nK = linear(X: m -> h k) as L_{to_kv.0}\nV = linear(X: m -> h k) as L_{to_kv.1}" in text, text


@pytest.mark.parametrize("name, statements", [
    ("gqa_repeat_interleave", ["Y = linear(O: h g k -> m) as L_{to_out}"]),
    ("gated_short_conv", ["Y = linear(H: f -> m) with bias as L_{out_proj}"]),
])
def test_a_last_projection_back_to_the_input_s_width_is_on_the_input_s_axis(name, statements, tmp_path):
    """An output laid out as the input but for one axis a map made of the input's width, with no residual sum to make
    them one, is on the input's axis: ``-> m``, not a new ``f``."""
    out = tmp_path / f"{name}.ncd"
    import_file(f"{MODELS}:{name}", out)
    text = out.read_text()
    assert all(s in text for s in statements), text
    assert check_file(out).passed


def test_a_parameter_read_as_data_then_added_is_one_learned_box(tmp_path):
    """Perceiver's latents, normed as queries and then added back to the attention's result, are one learned tensor
    read twice, not a learned box and a second bias box of the same parameter."""
    out = tmp_path / "latents.ncd"
    import_file(f"{MODELS}:latents_read_twice", out)
    text = out.read_text()
    assert text.count("learned(") == 1 and "bias(" not in text and "Y = H + O" in text, text
    assert check_file(out).passed


@pytest.mark.parametrize("name, statements", [
    ("convnextv2_layer", ["H2 = square(H)", "R = sum(H2: h w)", "H2 = sqrt(R)", "R = mean(H2: f)"]),  # its response norm
    ("vector_norms", ["Y1 = sum(H: y)", "R = sum(H: m)\nY2 = sqrt(R)", "Y3 = max(H2: m)"]),  # x.norm(p=1, dim=1), 2, inf
])
def test_a_vector_norm_is_written_out(name, statements, tmp_path):
    """``torch.linalg.vector_norm`` has no statement of its own: its 2-norm is the square root of the sum of squares,
    its 1-norm and largest absolute value the sum and max of ``abs``, each checked against the module."""
    out = tmp_path / f"{name}.ncd"
    imported = import_file(f"{MODELS}:{name}", out)
    text = out.read_text()
    assert not imported.warnings and all(s in text for s in statements), text
    assert check_file(out).passed


def test_the_same_dimension_through_views_is_one_axis(tmp_path):
    out = tmp_path / "mha.ncd"
    import_file(f"{MODELS}:multihead_attention", out)
    text = out.read_text()
    # in_proj's rows are viewed as (heads, head depth); the out projection reads both back
    assert "linear(query: m -> h k)" in text and "linear(O: h k -> " in text


@pytest.mark.parametrize("name, layers", [("encoder_stack", 3), ("decoder_stack", 2)])
def test_identical_layers_are_one_repeat_block(name, layers, tmp_path):
    """nn.TransformerEncoder/Decoder's layers are written once, as `repeat N`, each repetition
    paired with its own layer's parameters: pairing one with another layer's fails the check."""
    out = tmp_path / f"{name}.ncd"
    import_file(f"{MODELS}:{name}", out)
    text = out.read_text()
    assert text.count("repeat ") == 1 and f'repeat {layers} "layers"' in text and "section" not in text
    assert text.count("as L_{linear1}") == 1 and "axis f = 24" in text and "axis o" not in text  # one set of axes
    assert check_file(out).passed
    check = out.with_name(f"{name}.check.py")
    pairing = check.read_text()
    for r in range(layers):
        assert f"'layers.{r}.L_linear1.weight': ('layers.{r}.linear1.weight', None, None, 0.0, None)" in pairing
    check.write_text(pairing.replace("('layers.1.linear1.weight'", "('layers.0.linear1.weight'"))
    assert not check_file(out).passed


def test_layers_that_compute_differently_do_not_fold(tmp_path):
    out = tmp_path / "mixed.ncd"
    import_file(f"{MODELS}:mixed_stack", out)
    text = out.read_text()
    assert "repeat" not in text and 'section "0"' in text and 'section "1"' in text
    assert "relu(H)" in text and "gelu(H)" in text
    assert check_file(out).passed


def _ncd(*args, cwd):
    return subprocess.run([sys.executable, "-m", "ncd_render", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)


@pytest.mark.parametrize("target, message", [
    ("missing.py:make", "does not exist"),
    (f"{MODELS}:no_such_function", "defines no function 'no_such_function'"),
    (f"{MODELS}:not_a_pair", "not (module, example_inputs)"),
    (f"{MODELS}:nested_inputs", "its example input 2 is a tuple of tensors; each input of a diagram is one tensor"),
    (f"{MODELS}:fails_to_run", "fails on its example inputs"),
    (f"{MODELS}:scalar_input", "example input 1 of 1 is a single number, with no dimension"),
    (f"{MODELS}:ones_input", "example input 1 of 1 holds a single number (shape [1, 1]): its dimensions of size 1 are dropped"),
    (f"{MODELS}:empty_input", "example input 1 of 1 has a dimension of size 0 (shape [0, 3])"),
    (f"{MODELS}:complex_input", "example input 1 of 1 is complex (torch.complex64)"),
    (f"{MODELS}:meta_module", "its parameter or buffer weight is on the meta device, with no values"),
    (f"{MODELS}:sparse_input", "its example input 1 is sparse (torch.sparse_coo)"),
    (f"{MODELS}:no_tensor_out", "Constant returns no tensor on its example inputs, but int 3"),
    (f"{MODELS}:empty_part", "aten.index in the module makes a tensor of shape [0, 3], with no elements"),
    ("model.txt", "is not FILE.py:FUNCTION"),
    (f"{MODELS}:data_dependent", "cannot capture _DataDependent: torch.export failed"),
])
def test_bad_input_is_a_clear_error(target, message, tmp_path):
    result = _ncd("import", target, "-o", "out.ncd", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.startswith("error:") and len(result.stderr.splitlines()) <= 4, result.stderr  # nothing torch printed
    assert not (tmp_path / "out.ncd").exists()


@pytest.mark.parametrize("source, line, column, caret", [
    ("import torch\n\ndef make(:\n    pass\n", 3, 10, "    3 | def make(:\n      |          ^"),
    ("import torch\nif True:\n    x = 1\n        y = 2\n", 4, 9, "    4 |         y = 2\n      |         ^"),
])
def test_a_model_file_python_cannot_read_is_shown_where_it_fails(source, line, column, caret, tmp_path):
    """A syntax error in the model file is shown as a diagram's is, its line with a caret (it was 'raised at <frozen
    importlib._bootstrap>:241', which says nothing of where)."""
    (tmp_path / "model.py").write_text(source)
    result = _ncd("import", "model.py:make", "-o", "out.ncd", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    head = result.stderr.splitlines()[0]
    assert head.startswith(f"model.py:{line}:{column}: error: Python cannot read the model file: "), result.stderr
    assert caret in result.stderr, result.stderr
    assert not (tmp_path / "out.ncd").exists()


def test_a_module_the_model_file_imports_is_shown_where_python_cannot_read_it(tmp_path):
    """The syntax error is in helper.py, which model.py imports: the place shown is helper.py's line, not a line of
    model.py (the first version put helper.py's line under model.py's name)."""
    (tmp_path / "helper.py").write_text("def helper(:\n    pass\n")
    (tmp_path / "model.py").write_text("import sys, os\nsys.path.insert(0, os.path.dirname(__file__))\nimport helper\n")
    result = _ncd("import", "model.py:make", "-o", "out.ncd", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith(f"{tmp_path / 'helper.py'}:1:12: error: Python cannot read a module the model file imports: "), result.stderr
    assert "    1 | def helper(:\n      |            ^" in result.stderr, result.stderr


def test_from_module_writes_a_pickled_pairing(tmp_path):
    import torch
    from torch import nn

    from ncd_render import from_module

    imported = from_module(nn.Sequential(nn.Linear(4, 3), nn.Tanh()), torch.randn(1, 4))
    written = imported.write(tmp_path / "seq.ncd")
    assert [p.name for p in written] == ["seq.ncd", "seq.check.py", "seq.module.pt"]
    assert check_file(tmp_path / "seq.ncd").passed


def test_from_module_into_a_missing_folder_is_our_error_and_writes_nothing(tmp_path):
    """torch.save raised its own RuntimeError ("Parent directory ... does not exist") before anything was checked."""
    import torch
    from torch import nn

    from ncd_render import from_module

    imported = from_module(nn.Linear(4, 3), torch.randn(1, 4))
    with pytest.raises(NcdError, match="folder .* does not exist"):
        imported.write(tmp_path / "missing" / "lin.ncd")
    (tmp_path / "lin.check.py").mkdir()  # the pairing's name taken by a folder: refused before the .ncd is written
    with pytest.raises(NcdError, match="it is a folder"):
        imported.write(tmp_path / "lin.ncd")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lin.check.py"]


MODEL_FILE = """import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 3)

    def forward(self, x):
        return torch.relu(self.a(x))
"""


def _python(code, cwd):
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)


def test_a_pickled_module_checks_from_any_folder(tmp_path):
    """from_module(...).write() pickles the module, which names its class by module (model.MLP): ncd check failed
    with ModuleNotFoundError: No module named 'model' unless that module's folder was on PYTHONPATH. The classes' folders
    are recorded in the pairing, and the pairing's own folder is searched too."""
    (tmp_path / "src").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "src" / "model.py").write_text(MODEL_FILE)
    made = _python("import torch, ncd_render\nfrom model import MLP\n"
                   "ncd_render.from_module(MLP(), torch.randn(1, 5, 4)).write('../out/mlp.ncd')", cwd=tmp_path / "src")
    assert made.returncode == 0 and "Warning" not in made.stderr, made.stderr
    result = _ncd("check", "../out/mlp.ncd", cwd=tmp_path / "elsewhere")
    assert result.returncode == 0, result.stderr
    (tmp_path / "src" / "model.py").rename(tmp_path / "out" / "model.py")  # moved beside the diagram
    assert _ncd("check", "../out/mlp.ncd", cwd=tmp_path / "elsewhere").returncode == 0
    (tmp_path / "out" / "model.py").unlink()
    result = _ncd("check", "../out/mlp.ncd", cwd=tmp_path / "elsewhere")
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "cannot unpickle mlp.module.pt: it needs module 'model'" in result.stderr and "hint: put model.py" in result.stderr


def test_a_class_of_a_script_is_said_when_written_and_when_checked(tmp_path):
    """A class defined in the script that writes (or a notebook) is pickled as __main__.MLP, which ncd check's
    process cannot find: it raised a bare AttributeError. write() warns and says what to do, and ncd check says why."""
    made = _python(MODEL_FILE + "import ncd_render\nncd_render.from_module(MLP(), torch.randn(1, 5, 4)).write('mlp.ncd')",
                   cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "PickleWarning: MLP is defined in __main__" in made.stderr and "define the class in a file" in made.stderr
    result = _ncd("check", "mlp.ncd", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "AttributeError" not in result.stderr, result.stderr
    assert result.stderr.startswith("error: cannot unpickle mlp.module.pt: the module's class MLP was defined in __main__")
    assert "hint: define the class in a file" in result.stderr


def test_one_tensor_given_as_two_inputs_is_two_inputs(tmp_path):
    """An example of (t, t) for forward(x, y) = x + y was captured as one input read twice: the diagram declared X and
    Y of different axes and wrote Y = Y + Y, which ncd check failed. Each input is its own tensor now."""
    result = _ncd("import", f"{MODELS}:one_tensor_twice", "-o", "add.ncd", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [line for line in (tmp_path / "add.ncd").read_text().splitlines() if not line.startswith("#")]
    assert "input X[y m], Y[y m]" in lines and "Y = X + Y" in lines
    assert check_file(tmp_path / "add.ncd").passed


@pytest.mark.parametrize("model, expected", [("control_name", 'title "Evil?[31m?"'), ("long_name", 'title "' + "E" * 999 + '…"'),
                                             ("huge_number", "Y = 1e300 - X")])
def test_what_python_allows_in_a_module_is_written_as_the_language_reads_it(tmp_path, model, expected):
    """A class named with an escape sequence or 5,000 letters, or a constant of 1e300, was written as it was: ncd import
    exited 0 and ncd validate then refused its file (a control character, a title over 1,000 characters, a number
    of 301 digits). The written diagram is read back as any file is, and these are written so that it reads."""
    result = _ncd("import", f"{MODELS}:{model}", "-o", "m.ncd", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert expected in (tmp_path / "m.ncd").read_text().splitlines()
    assert _ncd("validate", "m.ncd", cwd=tmp_path).returncode == 0


def test_an_operation_without_a_statement_is_an_opaque_box_and_a_warning(tmp_path):
    result = _ncd("import", f"{MODELS}:unsupported", "-o", "cum.ncd", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "warning: aten.cumprod [4 3] in the top module is an opaque box" in result.stderr
    text = (tmp_path / "cum.ncd").read_text()
    assert 'opaque(H: y m -> y m) as "aten.cumprod"' in text and "relu(H)" in text
    check = _ncd("check", "cum.ncd", cwd=tmp_path)  # never run as something it is not
    assert check.returncode == 2 and "cannot run the opaque box 'aten.cumprod'" in check.stderr


def test_max_pooling_with_padding_of_values_that_may_be_negative_repeats_the_edges(tmp_path):
    """★ pads with zeros, max pooling with -inf: after a convolution (values of either sign) they differ at the edges,
    and the pooling was an opaque box. Its edges repeated, then a ★ that pads nothing, is exact: every window over the
    padding holds the edge it repeats. Checked."""
    imported = import_file(f"{MODELS}:padded_max_pool", tmp_path / "pool.ncd")
    text = (tmp_path / "pool.ncd").read_text()
    assert imported.warnings == [] and "with before=1, after=1, mode=replicate" in text and "with stride=2\nY = max(B: " in text, text
    assert check_file(tmp_path / "pool.ncd").passed


@pytest.mark.parametrize("name, why, boxes", [
    ("softmax_of_one", "a softmax over a dim of one", 1),  # its axis of one is no wire of the scores: softmax(S: ) did not build
    # a padding mask from an input (its arange and comparison opaque too): the language says causal, or nothing hidden
    ("padded_attention", "attention with a mask of booleans that is neither causal nor open", 3),
    # a view that reads across its dims' boundaries (Transformer-XL's relative shift): an opaque view, not an endless loop
    ("relative_shift", "cannot follow a view of dimensions [5, 6] as [6, 5]: its dimensions do not split evenly", 1),
    ("number_power", "a number raised to a tensor's power", 2),  # (and the arange; its negation is a scale by -1)
    # every pair of nodes, one head: the keys get a second name, and a sum of two tensors that share no axis is unwritten
    ("node_pairs", "each operand has an axis the other lacks, and they share none", 1),
    # x.repeat tiling a dim of more than one; a sum over a dim a repeat of a dim of one only copied along (no axis of its)
    ("tiled_and_summed", "reducing along a dim the tensor was only copied along", 2),
])
def test_what_the_language_cannot_join_or_normalise_is_an_opaque_box_not_a_broken_diagram(name, why, boxes, tmp_path):
    imported = import_file(f"{MODELS}:{name}", tmp_path / "x.ncd")  # (a diagram that does not build is an error)
    assert len(imported.warnings) == boxes and any(why in w for w in imported.warnings), imported.warnings


def test_a_tensor_joined_to_one_with_more_axes_is_copied_along_them(tmp_path):
    """A one-block convolution's result (its row and column of one are axes) joined to a global pool's (whose are not):
    ``concat(H, R: f, c -> o)`` did not build, so the join was an opaque box; concat now copies the pool's result along
    the axes it lacks. No opaque box, checked."""
    out = tmp_path / "x.ncd"
    imported = import_file(f"{MODELS}:one_block_beside_pooled", out)
    assert imported.warnings == [] and "Y = concat(H, R: f, c -> o)\n" in out.read_text(), out.read_text()
    assert check_file(out).passed


def test_a_token_computed_without_its_dim_of_one_is_one_position_of_the_join(tmp_path):
    """A token torch.cat joins to many along a dim of one that its own tensor does not have (the patches' mean kept
    with keepdim) is one position of the joined axis, ``concat(R, X: , y -> x)``: it was written with an axis of one
    it lacks (a diagram that did not build). Checked."""
    out = tmp_path / "x.ncd"
    imported = import_file(f"{MODELS}:pooled_token", out)
    assert imported.warnings == [] and "R = mean(X: y)\nC = concat(R, X: , y -> x)\n" in out.read_text(), out.read_text()
    assert check_file(out).passed


def test_a_class_token_per_frame_joined_to_each_frames_patches_imports(tmp_path):
    """TimeSformer's spatial step: the class token repeated per frame, joined to that frame's patches, mixed, then
    averaged over the frames. The join's result lacked its joined axis, and writing the diagram failed ("19 is not in
    list"); a repeat along dims of one is an expand, the token copied along the frames by the concat. Checked."""
    out = tmp_path / "x.ncd"
    imported = import_file(f"{MODELS}:token_per_frame", out)
    text = out.read_text()
    assert imported.warnings == [] and "C = concat(C, C2: , h -> f)\nH = linear(C: m -> o)" in text and "R = mean(C: k)" in text, text
    assert check_file(out).passed


def test_a_parameter_read_as_data_by_a_map_is_its_box(tmp_path):
    """Swin V2's table of coordinates, a buffer no input feeds, through a map: asking its layout before its box was
    made failed (TypeError: list indices must be integers or slices, not NoneType), an opaque box. Checked."""
    out = tmp_path / "table.ncd"
    imported = import_file(f"{MODELS}:mapped_table", out)
    assert imported.warnings == [] and "H = learned(: y f) as E_{coords}\n" in out.read_text(), out.read_text()
    assert check_file(out).passed


def test_a_node_the_importer_fails_on_is_an_opaque_box_that_says_so(tmp_path, monkeypatch):
    """A handler's own error (a bug) draws its node as an opaque box with a warning naming the error, never a
    traceback: the rest of the module still imports."""
    from ncd_render.importer.elementwise import ElementOps

    def broken(self, node, name):
        raise ValueError("too many values to unpack")

    monkeypatch.setattr(ElementOps, "op_elementwise", broken)
    imported = import_file(f"{MODELS}:mlp", tmp_path / "mlp.ncd")
    assert len(imported.warnings) == 2 and all("the importer failed on it (ValueError: too many values to unpack)" in w
                                               for w in imported.warnings), imported.warnings
    text = (tmp_path / "mlp.ncd").read_text()
    assert text.count('as "aten.relu"') == 2 and text.count("= linear(") == 3


def test_the_writers_own_failure_is_an_error_paragraph_not_a_traceback(tmp_path, monkeypatch):
    """WavLM's layers (KeyError) and Funnel's pooling (ValueError) broke the writer, after every operation was followed,
    with a raw traceback: a bug of the importer's, said as one, and nothing written."""
    import ncd_render.importer.writer as writer

    def broken(*args, **kwargs):
        raise KeyError(31)

    monkeypatch.setattr(writer, "write", broken)
    with pytest.raises(NcdError, match=r"ncd import failed writing the diagram \(a bug in the importer\): KeyError: 31"):
        import_file(f"{MODELS}:mlp", tmp_path / "mlp.ncd")
    assert not (tmp_path / "mlp.ncd").exists()


def test_a_view_of_a_dim_split_with_a_part_of_one_follows_it(tmp_path):
    """A dim of 8 split as (8, 1) (Funnel's pooling slices a dim of one off it) viewed again as [8, 1]: the part of one
    was left over, and the import stopped with 'cannot follow a view of dimensions [8] as [8, 1]'."""
    from ncd_render.importer.axes import Atoms

    atoms = Atoms()
    d = atoms.new(8, "seq")
    atoms.split(d, [8, 1])
    assert [atoms.size(x) for x in atoms.reshape([d], [8, 1])] == [8, 1]


ROUND_TRIP = sorted(p.stem for p in (ROOT / "gallery").glob("*.ncd"))
READ_BACK = sorted(p.stem for p in (ROOT / "tests" / "corpus").glob("*.ncd"))
MOVES_ONLY = {"rename", "rearrange"}  # the import reads views and permutes as axis names, not as boxes


def boxes(path):
    """How many boxes of each kind the diagram has, by the repeat blocks around them (components expanded)."""
    from collections import Counter

    from ncd_render import ops
    from ncd_render.api import load

    diagram = load(path).diagram
    diagram = diagram.full or diagram
    counts = Counter()
    for op in diagram.ops:
        kind = ops.of(op)
        if not kind.free and kind.key not in MOVES_ONLY:
            repeats = tuple(diagram.sections[s].times for s in diagram.section_path(op.section) if diagram.sections[s].kind == "repeat")
            counts[repeats, kind.key] += 1
    return counts


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_round_trip_through_ncd_compile(name, tmp_path):
    """A gallery diagram, compiled to PyTorch by ncd compile and imported back, checks against the compiled
    module with no opaque box, and has the original's boxes: as many of each kind, in repeat blocks as often
    (ncd compile writes each repeated block as a module class called in a loop, which the import folds back)."""
    out = tmp_path / f"{name}.ncd"
    imported = import_file(f"{ROOT / 'tests' / 'import_models' / 'roundtrip.py'}:{name}", out)
    assert imported.warnings == []
    assert check_file(out).passed
    assert boxes(out) == boxes(ROOT / "gallery" / f"{name}.ncd")


@pytest.mark.parametrize("name", READ_BACK)
def test_a_corpus_diagram_compiled_imports_back_as_the_same_function(name, tmp_path):
    """A corpus diagram, compiled by ncd compile, imports back with no opaque box and checks against the compiled
    module; its boxes may differ (a split read as its parts, a dropout that the compiled module in eval mode skips).
    Swin's windows (queries and keys the same rows and columns of a window) and GAT's scores (every pair of the same
    nodes) were opaque boxes, or a diagram that did not build, before the import gave the keys second names; so were
    what ncd compile writes with helpers of its own (ALiBi's, T5's buckets, unfolds of a kernel of one, a batch norm
    of one channel) and learned numbers read as data (CLIP's temperature, a map to no axis's bias, Perceiver's latents)."""
    out = tmp_path / f"{name}.ncd"
    imported = import_file(f"{ROOT / 'tests' / 'import_models' / 'roundtrip.py'}:{name}", out)
    assert [w for w in imported.warnings if "opaque" in w] == []
    assert check_file(out).passed


@pytest.mark.parametrize("model, sums", [
    ("roundtrip.py:gat_layer", ["H2 = H2 + H3x"]),  # the scores of every pair of nodes
    ("roundtrip.py:mamba2_ssd", ["H6 = H6 - H6x", "H2 = S + H2"]),  # differences of cumulative sums; the skip by D
    ("roundtrip.py:gru_cell", ["H2 = H2 + H5", "H = H - H2"]),  # the gates' two maps
    ("survey.py:bert", ["X = H + X", "X = H + N"]),  # a post-norm layer's stream: on through its LayerNorm
])
def test_a_sum_is_named_x_only_where_it_carries_on_the_input_x(model, sums, tmp_path):
    """A sum is named X, as the residual stream is; a sum that is not the input X carried on (a GAT's scores, a
    GRU's gates) was named X all the same once the input was dead (``X = H2 + H3x``), and read as the input changed."""
    out = tmp_path / "model.ncd"
    import_file(f"{ROOT / 'tests' / 'import_models' / model}", out)
    text = out.read_text()
    assert all(f"\n{s}\n" in text or f"\n  {s}\n" in text for s in sums), text
    assert check_file(out).passed


def test_round_trip_keeps_the_learned_boxes_names(tmp_path):
    """ncd compile names its maps after the boxes' labels; the import labels them back."""
    from ncd_render.api import load

    out = tmp_path / "mha.ncd"
    import_file(f"{ROOT / 'tests' / 'import_models' / 'roundtrip.py'}:mha", out)
    labels = lambda path: sorted(op.label for op in load(path).diagram.ops if op.learned)  # noqa: E731
    assert labels(out) == labels(ROOT / "gallery" / "mha.ncd")


def test_boxes_that_share_a_module_name_are_all_told_apart_as_far_back_as_it_takes(tmp_path):
    """GoogLeNet's Inception block has a conv in each of six BasicConv2d: each label's subscript is the end
    of its own module path that no other conv's path ends with, not "conv" for the first and more for the rest."""
    import importlib.util

    out = tmp_path / "inception.ncd"
    import_file(f"{MODELS}:inception_block", out)
    spec = importlib.util.spec_from_file_location("models", MODELS)
    models = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(models)
    module, _ = models.inception_block()
    convs = [path for path, m in module.named_modules() if m.__class__.__name__ == "Conv2d"]
    subscripts = re.findall(r" as L_\{([^}]*)\}", out.read_text())
    assert len(subscripts) == len(convs) == 6, subscripts
    for sub in subscripts:
        own = [path for path in convs if path == sub or path.endswith("." + sub)]
        assert len(own) == 1, (sub, own)  # no other conv's path ends with it


def test_a_compiled_repeat_folds_back_with_what_it_reads_from_before(tmp_path):
    """The decoder layers read the encoder's output: the import folds both stacks, six layers each."""
    out = tmp_path / "transformer.ncd"
    import_file(f"{ROOT / 'tests' / 'import_models' / 'roundtrip.py'}:transformer", out)
    text = out.read_text()
    assert 'repeat 6 "encoder layer"' in text and 'repeat 6 "decoder layer"' in text and text.count("with causal") == 1


@pytest.mark.parametrize("name, statements", [
    ("gpt2_gelu_new", ["gelu(H) with approximate=tanh"]),          # gelu_new, written out as tanh and powers
    ("tanh_gelu_mlp", ["gelu(H) with approximate=tanh"]),          # nn.GELU(approximate="tanh")
    ("grouped_and_pooled", ["with bias, per=g as L_{depthwise}", "with bias, per=g as L_{grouped}", "= max(B: ", "= mean(B: "]),
    # the result of a concatenation is laid out as its first operand as written (here grouped and moved to the second's layout)
    ("grouped_then_joined", ["Xg = rearrange(X: b y m -> (y m) b)\nC = concat(Xg, Z: (y m), x -> f)\nY = einsum(C, W: f b, b -> f)"]),
    # a ★ of rows and columns a view split into patches (MobileViT's): grouped for the ★, split after it
    ("patches_of_a_convolution", ["Hg = rearrange(H: o h r w w2 -> o (h r) (w w2))\n"
                                  "Bg = unfold(Hg: (h r) (w w2) -> (h r) (w w2) p q) with padding=1\n"
                                  "B = rearrange(Bg: o (h r) (w w2) p q -> o h r w w2 p q)"]),
    # three tensors in one cat (DeiT's class and distillation tokens and the patches): each joined to those after it
    ("two_tokens", ["H = learned(: a m) as E_{distillation_token}\nC = concat(H, X: a, y -> b)\n"
                    "H = learned(: p m) as E_{cls_token}\nY = concat(H, C: p, b -> q)"]),
    # torch.square and x ** 2 are square(H): after a ReLU, Primer's squared ReLU
    ("squared_relu_mlp", ["H = relu(H)\nH = square(H)", "square(X)"]),
    # a token repeated along its dims of one (as expand copies it) and joined to each frame's patches (it did not build)
    ("repeated_token", ["input token[m], patches[c h m]\nC = concat(token, patches: , h -> r)"]),
    # one position picked, the positions split by a later view: the index acts on them grouped, as one axis
    ("pick_then_split", ["Xg = rearrange(X: y x m -> (y x) m)\nC = index(Xg: (y x)) with at=4\n"]),
    # keys beside queries of the same positions, which a later view splits: each part renamed (it wrote "y x -> t")
    ("split_after_attention", ["Kx = rename(K: y x -> t s)\nS = einsum(Q, Kx: y x k, t s k -> y x t s)"]),
    # a row of a table of one row: the stored dim of one dropped, no index (its pairing did not fit the table)
    ("one_token_type", ["Y = bias(E: f) as E_{types.0}"]),
    # a bias per key added to the scores takes the keys' second name (it unified the two: "axis y = y", no diagram); its
    # map to one number has a bias of one number (ncd check raised a ValueError running it)
    ("headed_pairs", ["H2x = rename(H2: y -> x)\nH = H + H2x\nY = softmax(H: y)"]),
    ("learned_temperature", ["learned(:) as E_{scale}", "exp("]),
    ("key_bias", ["H = linear(X: m -> ) with bias as L_{g}", "Hx = rename(H: y -> x)\nH = S + Hx\nP = softmax(H: x)"]),
    # a cast to float32 by name, a no-op on the capture's float32 inputs: checked in float32 (float64 failed at 1e-9)
    ("float32_scores", ["S = einsum(Q, Kx: y k, x k -> y x)"]),
    # x.view_as(y) is a view (it was an opaque box)
    ("view_as", ["P = softmax(H: d)\nY = P + X"]),
    # a sum over a dim of one is its values (it wrote "sum(H: )", a diagram that did not build)
    ("sum_of_one", ["H = linear(X: m -> m) with bias as L_{map}\nY = relu(H)\n"]),
    # w * b + -1e4 * (1 - b), b a causal buffer of ones (OpenAI GPT's): one mask box (it was three opaque boxes)
    ("pushed_down", ["S = einsum(Q, Kx: y k, x k -> y x)\nS = mask(S: y x) with causal\nP = softmax(S: x)"]),
    # torch.multiply, divide and true_divide are mul and div by other names
    ("named_products", ["H = X * H\nS = H * 0.5\nY = S * 0.25\n"]),
    # every other row and column, four ways, joined (Swin's patch merging): each an index of its dim split in (n / 2, 2),
    # and all of them joined, one view of the row and column parities and the channels: one map of the three
    ("patch_merging", ["input X[c d h r w]\nY = linear(X: r d w -> f) as L_{reduction}\n"]),
    # a mask of numbers given to attention is added to its scaled scores (Swin's relative position bias)
    ("biased_attention", ["S = einsum(Q, K: c h w, c r w -> h r c) * w^-1/2\nbiast = rearrange(bias: c h r -> h r c)\n"
                          "X = S + biast\nP = softmax(X: r)"]),
    # DeepSeek-V3's rotary, pairs turned and laid out as halves: a rope of interleaved pairs over its depth as one axis,
    # the halves a view of it (it was slices, products and a cat, opaque)
    ("halves_rotary", ["Hg = rearrange(H: y h n k -> y h (n k))\nYg = rope(Hg: y (n k)) with base=10000, interleaved"]),
    # one block: the ★'s rows and columns of one are still its axes (they were dropped, and the unfold did not build)
    ("one_block_convolution", ["B = unfold(X: h w -> r w2 i j) with stride=2", "batchnorm(H: r w2)"]),
    # a concatenation makes one axis (it wrote "-> h k", a diagram that did not build): made whole, then split
    ("joined_then_split", ["Cg = concat(H, H2: f, f -> (h k))\nC = rearrange(Cg: y (h k) -> y h k)\nY = max(C: h)"]),
    # max pooling pads with -inf, ★ with zeros: the same largest values where the pooled values are a ReLU's
    ("resnet_stem", ["H = relu(N)\nB = unfold(H: r w2 -> h2 w3 p q) with stride=2, padding=1\nY = max(B: p q)"]),
    # a 1x1 convolution is a map of the channels; a strided one keeps its kernel axes of one
    ("bottleneck", ["H = linear(X: c -> f) as L_{reduce}", "linear(H: o -> g) with bias as L_{expand}",
                    "with stride=2\nH2 = linear(B: p q c -> g) as L_{shortcut}"]),
    ("activations", ["groupnorm(X: c h w) with affine, eps=1e-05, groups=4", "leaky_relu(H) with slope=0.2", "hardswish(H)",
                     "softplus(H)", "mish(H)"]),  # nn.InstanceNorm2d: a group per channel
    ("up_block", ["H = upsample(X: h w -> r w2) with factor=2"]),  # nn.Upsample, nearest
    ("bilinear_head", ["Y = upsample(H: h w -> r w2) with factor=2, linear"]),  # F.interpolate, bilinear
    ("corners_head", ["Y = upsample(H: h w -> r w2) with factor=2, linear, corners"]),  # align_corners=True
    ("tiny_unet", ["groupnorm(", "upsample(", "concat(", "with stride=2"]),  # a diffusion UNet's parts, no opaque box
    ("diffusion_resblock", ["groupnorm(X: c h w) with affine, eps=1e-05, groups=4", "groupnorm(H: f h w) with eps=1e-05, groups=4"]),
    # a depthwise convolution, one output a channel, maps its kernel to no axis; a learned per-channel product is a layer scale
    ("convnext_layer", ["H = linear(B: i j -> ) with bias, per=c as L_{dwconv}", "H = layerscale(H: c) as \\gamma_{layer_scale_parameter}"]),
    ("mobilenet_block", ["linear(B: i j -> ) with bias, per=c", "H = relu6(H)"]),  # nn.ReLU6 is hardtanh(x, 0, 6)
    # [batch, channels, positions]: the channels are no sequence, the positions are
    ("conv1d_sequence", ["input X[c y]", "B = unfold(X: y -> y i) with padding=1", "unfold(H: y -> y j) with padding=2, dilation=2",
                         "linear(B: j -> ) with bias, per=f"]),
    ("classifier_head", ["R = mean(H: r w2)"]),  # nn.AdaptiveAvgPool2d(1)
    # Inception's 1x7 and 7x1 kernels, padded to keep the image's size: kernel axes of each shape (it was unsupported)
    ("factorised_convolution", ["axis i = 1\naxis j = 7", "axis p = 7\naxis q = 1", "B = unfold(X: h w -> h w i j) with padding=same\n"]),
    # CRNN's pooling by (2, 1) padded (0, 1), a convolution and a transposed one strided (2, 1): settings per direction
    # (each was unsupported)
    ("text_line_features", ["unfold(H: h w -> r w2 p q) with stride=(2, 1), padding=(0, 1)\nR = max(B: p q)",
                            "with stride=(2, 1), padding=(1, 0)", "U = fold(H: h2 w2 i4 i5 -> h3 w2) with stride=(2, 1)"]),
    # ceil_mode (GoogLeNet's stem): a last window past the edge kept, the edge repeated on the right where it runs past;
    # none where every window fits (it was an opaque box)
    ("inception_stem", ["H = relu(H)\nH = pad(H: h -> r) with after=1, mode=replicate\nB = unfold(H: r w -> h2 w2 p q) with stride=2\n",
                        "H = pad(R: h4 -> h5) with after=1, mode=replicate\nB = unfold(H: h5 w4 -> h6 w5 i4 i5) with stride=2\n"]),
    # a whole factor each way but not the same: adaptive pooling whose windows tile the map (★ strided by the window)
    # or that repeats each value (upsample), upsampling by (2, 1) and (2, 3) (each was an opaque box)
    ("resizing", ["B = unfold(X: h w -> r w2 i j) with stride=4\n", "B2 = unfold(X: h w -> h2 w3 p q) with stride=(2, 8)\n",
                  "H = upsample(R2: h3 -> h4) with factor=2\nY1 = upsample(H: h4 w2 -> h5 w4) with factor=(2, 3), linear\n",
                  "Y3 = upsample(R: r w2 -> h6 w5) with factor=2\n"]),
    # GoogLeNet's block: its four branches joined by one bar, as torch.cat joins them (three nested bars before)
    ("inception_block", ["Y = concat(H, H2, H3, H4: f, g, d, f2 -> f3)\n", "B = unfold(H4: r w2 -> h w i2 i3)\n  R = max(B: i2 i3)\n"]),
    # ResNet-D's shortcut: ceil_mode and count_include_pad=False change no window of an even, unpadded map (it was opaque)
    ("average_down", ["B = unfold(X: h w -> r w2 i j) with stride=2\nR = mean(B: i j)\n"]),
    # max pooling of negative values padded by column only: the columns' edges repeated, the rows' not (it was unsupported)
    ("uneven_max_pool", ["H = pad(X: w -> w2) with before=1, after=1, mode=replicate\nB = unfold(H: h w2 -> r w3 i j)\n"]),
    # pooled by a window the size of the map (it was an opaque box), x.max(dim) (opaque), maps of one joined (opaque)
    ("cbam", ["R = mean(X: h w)", "R = max(X: h w)", "R = max(H: c)", "C = concat(R, R2: , -> o)"]),
    ("stacked_experts", ["C = concat(H, H2, H3: , , -> f)\nH = C * P\nY = sum(H: f)"]),
    ("stacked_pools", ["C = concat(R, R2, R3: , , -> f)", "linear(C: f -> o) with bias"]),  # torch.stack (opaque)
    # recurrent cells, each one aten operation (opaque), written out: a map per gate and side, rows of one weight
    ("gru_cell", ["H2 = linear(X: m -> d) with bias as W_{ir}", "input X[m], H[d]", "linear(H: d -> d) with bias as W_{hn}", "H = H - H2"]),
    ("gru_tagger", ["input X[y m], H[y d]", "linear(X: m -> d) as W_{ir}", "H = H2 + H\nY = linear(H: d -> f) with bias as L_{out}"]),
    ("lstm_cell", ["linear(X: m -> d) with bias as W_{ig}", "linear(H: d -> d) with bias as W_{ho}", "Y1 = H * H2"]),
    # (its second call's labels were L_{W_{ir}}, which did not parse)
    ("gru_unrolled", ["linear(C: m -> d) with bias as W_{ir}", "with bias as W_{ir.2}", "with bias as W_{hn.3}"]),
    # nn.GRU and nn.LSTM over a sequence (opaque), unrolled: a step's input picked by an index, the states stacked; a first
    # state of zeros has no maps, only the state side's biases (a bias box; r times b_hn, a layer scale)
    # a tensor over its L2 norm (F.normalize; x / x.norm(dim=-1, keepdim=True)), opaque before: a scaled rmsnorm
    # a pixel shuffle is a view: each r joins its spatial axis, grouped where the next convolution reads them
    ("elu_layer", ["Y = elu(H)"]),
    ("log_probabilities", ["P = softmax(H: f)\nY = log(P)"]),
    # square roots, abs, sin and cos, log-sigmoid: each an opaque box before
    ("inline_rms_norm", ["N = rmsnorm(X: m) with eps=1e-06\nY = linear(N: m -> f)"]),  # an RMSNorm written out is one
    # Llama's spelling with a learned scale, and x / x.pow(2).mean(-1, keepdim=True).add(eps).sqrt() * g, in no RMSNorm class
    ("written_rms_norms", ["N = rmsnorm(X: m) with affine, eps=1e-05 as N_{weight}", "Y = rmsnorm(H: f) with affine, eps=1e-06 as N_{norm}"]),
    ("squash", ["sqrt(H2)"]),
    ("fourier_features", ["sin(S)", "cos(S)"]),
    ("signs", ["logsigmoid(H)", "abs(H)", "H2 = sqrt(H2)"]),
    ("prelu_net", ["H = prelu(H: f) as PReLU_{act}", "Y = prelu(H) as PReLU_{act2}"]),  # a slope a channel, one slope
    ("layer_norm_written_out", ["H = square(X2)\nR = mean(H: c)\nH = R + 1e-05\nH = sqrt(H)\nH = X / H",
                                "* 1.0526", "* 1.3333", "sqrt(S2)"]),  # x.var, x.std: Bessel's n / (n - 1) over 20, then 4
    ("predicted", ["R = max(H: v)\nI = argmax(H: v)\nE = embedding(I: v -> f)", "I = argmin(H: v)"]),  # ids of places
    ("vector_quantizer", ["S = H * -2\nX = S + R + R2\nI = argmin(X: v)\nE = embedding(I: v -> m)"]),  # distances
    ("bounded", ["hardsigmoid(H)", "selu(H)", "clamp(H) with min=0.1\n", "clamp(H) with min=-0.5, max=0.5",
                 "clamp(H) with min=-1, max=1", "clamp(H) with max=0.2", "clamp(H) with max=0.3"]),
    ("distances", ["X = A - B\nH = square(X)\nR = sum(H: m)\nH = sqrt(R)\nY = min(H: x)"]),  # torch.cdist
    ("moved", ["H2 = cumsum(H: y)\nH3 = flip(H: y)", "roll(H: y) with shift=2", "H = pad(H: y -> x) with before=2\nB = unfold(H: x -> t i)"]),
    # two dims by one shift, one statement; the grid channels last, [b h w c], as the map over its last dim tells
    ("shifted", ["input X[h w c]\nH = roll(X: h w) with shift=-1\nH = linear(H: c -> c)", "S = H * 2\n", "roll(S: h w) with shift=1"]),
    ("chamfer", ["X = A - B\nH = square(X)\nR = sum(H: m)\nR2 = min(R: x)\nR = min(R: y)"]),  # an outer difference, min
    ("pooled_1d", ["B = unfold(H: y -> x j) with stride=2\nR = max(B: j)\nY = mean(R: x)"]),  # 1-D pooling, and over all of it
    ("sub_pixel", ["linear(B: i j c -> n g k) with bias", "Hg = rearrange(H: n g k h w -> n (h g) (w k))"]),
    ("cosine_similarity", ["N = rmsnorm(A: m) with eps=1e-12", "Y = einsum(N, N2: y m, y m -> y) * m^-1"]),  # unit vectors' product
    ("cosine_logits", ["N = rmsnorm(H: k) with eps=1e-12\nS = N * k^-1/2", "Y = einsum(S, N: y k, x k -> y x) * 5.0558"]),
    # a bidirectional layer (opaque before): a second cell from the last step back, each step's states joined
    ("bidirectional_gru", ['section "rnn.backward step 3"', "C = concat(H, H6: f, f -> o)", "Y = concat(C, C2, C3: , , -> y)"]),
    ("gru_layer", ["input X[y m]", 'section "rnn.step 2"', "H = bias(H: f) as b_{hr}", "H = layerscale(H: f) as b_{hn}", ": , , -> y)\noutput Y"]),
    ("lstm_layers", ["input X[y m], X2[f d], X3[o d]", 'section "rnn.layer 2 step 3"', "C = index(X2: f) with at=0", "as W_{ii.4}", "Y = concat(H2, H3, H: , , -> y)"]),
    ("channel_scale", ["layerscale(H: c) as \\gamma\n"]),  # stored [c, 1, 1]; its parameter named gamma: γ, not γ_gamma
    ("t5_feed_forward", ["N = rmsnorm(X: m) with affine, eps=1e-06"]),
    ("token_gate", ["H = V * H", "R = mean(H: m)\nY = H + R"]),  # a product and a sum, each broadcasting its second operand
    # baddbmm: the product with its scale at the cup, then the bias (an outer product, an einsum of nothing) broadcast over queries
    ("outer_bias", ["S = einsum(slopes, positions: d, x -> d x)", "x d k -> y x d) * k^-1/2", "H = S2 + St"]),
    ("alibi_scores", ["Y = alibi(S: y x h)"]),
    # captured without gradients, as it runs: a no_grad inside forward is no wrapped subgraph (an opaque box)
    ("no_grad_gate", ["R = mean(X: m)", "Y = H * H2"]),
    # a concatenation along a dim made of two axes makes one axis, once (GPT-J's partial rotary wrote it twice)
    ("joined_groups", ["C = concat(Hg, C2g: (g k), (g k) -> v)", "Y = einsum(C, C2x: y h v, x h v -> y x h)"]),  # ALiBi's bias added, recognised by its value (BLOOM's, whole, in WHOLE)
    # a projection split into pieces of unequal sizes (DeepSeek-V3's latent and rotary part): a map per piece, its rows
    ("latent_and_rotary", ["H = linear(X: m -> f) with bias as L_{proj.0}", "H2 = linear(X: m -> o) with bias as L_{proj.1}"]),
    ("clip_encoder_layer", ["P = softmax(S: x)"]),
    ("phi3_decoder_layer", ["Q = linear(N: m -> h k) as L_{qkv_proj.0}", "V = linear(N: m -> h d) as L_{qkv_proj.2}", "Q = rope(Q: y k)"]),
    # fewer key and value heads: slices of unequal sizes of the packed projection, each a map with its rows of the weight
    ("phi3_gqa_decoder_layer", ["Q = linear(N: m -> h g k) as L_{qkv_proj.0}", "K = linear(N: m -> h k) as L_{qkv_proj.1}",
                                "S = einsum(Q, Kx: y h g k, x h k -> y x h g)"]),
    ("gemma2_decoder_layer", ["N = rmsnorm(H: m) with affine, eps=1e-06 as N_{post_attention_layernorm}", "H = tanh(S)"]),
    # a rotary over the first half of each head, the other half passed and joined back: one rope box (it was an
    # index of the head split in halves, a rope and a concat)
    ("neox_decoder_layer", ["C = rope(C: y k) with base=10000, rotary=4", "H = H2 + H\nY = H + X"]),
    # F.mse_loss and F.l1_loss written out (with the broadcast_tensors they call, of one shape: nothing), an
    # nn.Dropout1d in eval (nothing, as nn.Dropout), a softplus of beta 2 (its 1 / beta was d^-1/2 at d = 4)
    ("losses", ["S = H * 2\nH = softplus(S)\nS = H * 0.5\n", "H = S - target", "H = square(H)\nY1 = mean(H: y d)",
                "H = abs(H2)\nY2 = sum(H: y d)"]),
    ("tempered", ["Y = layerscale(H) as \\gamma_{t}"]),  # one learned number
    ("extremes", ["H = maximum(H, H2)\nH = minimum(H, cap)\nY = clamp(H) with min=-1.5"]),
    ("mirrored", ["H = pad(X: w -> w2) with before=1, after=1, mode=reflect", "H = pad(H: w3 -> w4) with before=2, mode=replicate",
                  "Y = pad(R: w4 -> w5) with before=1, after=1, mode=circular"]),  # nn.ReflectionPad2d, F.pad's modes
    ("bilinear", ["H = learned(: c m d) as E_{form}\nS = einsum(X, H, Z: y m, c m d, y d -> y c)\nY = bias(S: c)"]),
    ("graph_conv", ["input X[m d], adj[y m]", "Hx = rename(H: y -> m)\nH = H2 * Hx", "S = einsum(H, H2: y m, m f -> y f)"]),
    ("local_attention", ["B = unfold(K: h w -> h w i j) with padding=1", "P = softmax(S: i j)", "Y = sum(H: i j)"]),  # F.unfold
    # grouped 1x1 convolutions as a map per group and a depthwise one as a scale and shift per channel, no ★
    ("same_and_negated", ["B = unfold(X: h w -> h w i j) with padding=1", "H = linear(H: f -> o) with bias as L_{point}\nH = exp(H)",
                          "Y = H * -1"]),  # padding='same'/'valid', a resize to its own size, -x
    ("logit_loss", ["H = softplus(logits)", "H3 = logits * targets", "Y1 = H - H3", "Y2 = mean(X: y m)"]),  # BCE with logits
    ("coordinate_pooling", ["R = mean(X: w)", "R2 = max(X: h)"]),  # adaptive pooling along one dim
    ("up_convolutions", ["H = linear(X: c -> d i j) as L_{up}\nU = fold(H: h w i j -> r w2) with stride=2\nH = bias(U: d) as E_{up}",
                         "U = fold(H: r w2 p q -> h2 w3) with stride=2, padding=1, output_padding=1\n",  # nn.ConvTranspose2d
                         "U = fold(Hg: (h2 w3) i2 -> y) with stride=2, padding=1\nY1 = bias(U: c2) as E_{line}",  # 1-D
                         "axis i3 = 1\naxis i4 = 3", "U = fold(H2: h2 w3 i3 i4 -> h3 w4) with stride=2\n"]),  # 1 x 3: it was refused
    ("generator_convolutions", ["U = fold(H: h w i j -> r w2)\n", "H2 = linear(H: d -> d p q) as L_{same}\n"
                                "U = fold(H2: r w2 p q -> r w2) with padding=1", "H = bias(U: e) as E_{rgb}"]),
    ("both_ways", ["Y1 = einsum(A, B: y m, x m -> y x)\nY2 = rearrange(Y1: y x -> x y)\noutput Y1, Y2"]),  # (s, s.t())
    ("kept_scores", ["S3 = mask(S, seent) with keep", "S = mask(S, hiddent)\n",  # torch.where both ways, SDPA's booleans
                     "P = softmax(S3: x)"]),
    ("negated_masks", ["axis t = 5 width\naxis x = t width\n",  # (x, the second name of t, was declared before t)
                       "S2 = mask(S, seen) with keep\nS = mask(S, seen) with keep", "  S = mask(S, seent) with keep"]),
    ("masked_scores", ["input X[b y m], pad[b x] bool", "padt = rearrange(pad: b x -> x b)\nS = mask(S, padt)"]),  # masked_fill by a boolean input
    ("key_padding_mha", ["input X[b y m], pad[b x] bool", "padt = rearrange(pad: b x -> x b)\nS = mask(S, padt)"]),
    ("masked_pooling", ["input Ids[b y] int, M[b y] bool\nE = embedding(Ids: v -> f)", "H = mask(H, M) with keep"]),  # HF's call
    ("grouped_pointwise", ["H = layerscale(X: g c) as \\gamma_{dw}\nH = bias(H: g c) as E_{dw}",
                           "Y = linear(H: c -> d) with bias, per=g as L_{g1}"]),
])
def test_vocabulary_beyond_the_plain_layers(name, statements, tmp_path, figure_metrics):
    out = tmp_path / f"{name}.ncd"
    imported = import_file(f"{MODELS}:{name}", out)
    assert imported.warnings == []
    text = out.read_text()
    assert all(s in text for s in statements), text
    assert check_file(out).passed
    ncd_render.render(out, tmp_path / f"{name}.svg")  # GPT-NeoX's bundle of three wires settling far: no knot
    result, _ = figure_metrics.analyse(str(tmp_path / f"{name}.svg"))
    assert {m: result[m] for m in INVARIANTS} == dict.fromkeys(INVARIANTS, 0), result


def test_a_module_whose_parameters_are_not_finite_is_said_so_first(tmp_path):
    """A parameter never initialised (infinite here) is named up front, with what to do; its output's NaN, which it
    causes, is not said again (that was all the import said)."""
    imported = import_file(f"{MODELS}:never_initialised", tmp_path / "m.ncd")
    assert imported.warnings == ["the module's parameter w holds NaN, infinities or values beyond ±1,000,000: never "
                                 "initialised (made with torch.empty, as transformers builds a module alone)? The import "
                                 "recognises a mixture of experts' routing, norms and rotary tables by running them on these "
                                 "values, and misses them here; initialise the parameters first (torch.nn.init.normal_(p, "
                                 "std=0.02) for each, or model.apply(model._init_weights) for a transformers model), then "
                                 "import again"]


def test_experts_never_initialised_are_named_before_the_opaque_boxes_they_cause(tmp_path):
    """Mixtral's experts left uninitialised (NaN): the mixture is not recognised (its dense form is compared with the
    module's values), and the first warning says why, before the routing's opaque boxes; it said only, last, that the
    output held NaN."""
    imported = import_file(f"{MODELS}:mixtral_moe_uninitialised", tmp_path / "m.ncd")
    first, *rest = imported.warnings
    assert first.startswith("the module's parameter experts.down_proj holds NaN") and "model.apply(model._init_weights)" in first
    assert rest and all("opaque box" in w for w in rest), imported.warnings


def test_a_model_file_finds_the_helpers_beside_it(tmp_path, monkeypatch):
    """A model file that imports a module from its own folder, as ``python model.py`` would find it (it was a
    ModuleNotFoundError unless PYTHONPATH named the folder), imported and checked from elsewhere."""
    (tmp_path / "my_layers_beside.py").write_text("from torch import nn\n\nclass Block(nn.Module):\n"
                                                  "    def __init__(self):\n        super().__init__()\n"
                                                  "        self.f = nn.Linear(4, 4)\n\n"
                                                  "    def forward(self, x):\n        return self.f(x).relu()\n")
    (tmp_path / "model.py").write_text("import torch\nfrom my_layers_beside import Block\n\n"
                                       "def make():\n    return Block(), (torch.randn(3, 4),)\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    imported = import_file(f"{tmp_path / 'model.py'}:make", elsewhere / "m.ncd")
    assert imported.warnings == [] and check_file(elsewhere / "m.ncd").passed
    assert str(tmp_path) not in sys.path  # (the folder is on the path only while the file loads)


def test_a_write_in_place_that_is_read_later_is_refused_at_its_line(tmp_path):
    """prev[:, 0] = 0 after torch.roll: the import followed the roll's value and lost the write; it is refused now,
    naming the line. Writes whose own results are read next (an in-place ReLU, +=) import and check as before."""
    with pytest.raises(NcdError, match=r"aten\.fill_ in the top module writes in place into a tensor that aten\.cat reads "
                                       r"afterwards \(File .*models\.py\", line \d+, in forward: prev\[:, 0\] = 0\)") as caught:
        import_file(f"{MODELS}:zeroed_shift", tmp_path / "shift.ncd")
    assert "torch.cat or F.pad" in caught.value.hint and not (tmp_path / "shift.ncd").exists()
    imported = import_file(f"{MODELS}:in_place", tmp_path / "in_place.ncd")
    assert imported.warnings == [] and check_file(tmp_path / "in_place.ncd").passed


SURVEY = ROOT / "tests" / "import_models" / "survey.py"
sys.path.insert(0, str(SURVEY.parent))
from survey import BLOCKS, WHOLE  # noqa: E402


@pytest.mark.parametrize("name, statement", [
    ("t5_self_attention", "E = relbias(: b -> y x h) with distance=64, bidirectional as E_{relative_attention_bias}"),
    ("t5_decoder_self_attention", "E = relbias(: b -> y x h) with distance=64 as E_{relative_attention_bias}"),  # looks back only
])
def test_a_relative_position_bias_is_read_by_the_buckets_its_module_computes(name, statement, tmp_path):
    import_file(f"{SURVEY}:{name}", tmp_path / "t5.ncd")
    text = (tmp_path / "t5.ncd").read_text()
    assert statement in text, text
    pairing = (tmp_path / "t5.check.py").read_text()
    (tmp_path / "t5.ncd").write_text(text.replace("distance=64", "distance=5"))  # an offset of 4 in another bucket
    assert not check_file(tmp_path / "t5.ncd").passed
    (tmp_path / "t5.check.py").write_text(pairing)


def test_window_attention_renames_the_rows_and_columns_of_its_keys(tmp_path):
    """Swin's queries and keys are the same two axes of positions in a window: the keys get second names for
    both, and the diagram builds (its relative position table, read by a buffer of indices, stays opaque)."""
    imported = import_file(f"{MODELS}:swin_layer", tmp_path / "swin.ncd")
    text = (tmp_path / "swin.ncd").read_text()
    assert "Kx = rename(K: x s -> u w)" in text and "P = softmax(H: u w)" in text, text
    assert [w.split(" is an opaque box")[0] for w in imported.warnings] == ["aten.index [16 3] in layer.attention.relative_position_bias"]


def test_alibi_shifted_per_query_is_alibi_only_before_a_softmax(tmp_path):
    imported = import_file(f"{MODELS}:alibi_shifted_scores", tmp_path / "shifted.ncd")
    assert "alibi(" not in (tmp_path / "shifted.ncd").read_text() and imported.warnings


@pytest.mark.parametrize("name", BLOCKS)
def test_blocks_of_popular_models_import_whole_and_check(name, tmp_path):
    """Each block a user reaches for first imports with no opaque box and agrees with its module."""
    imported = import_file(f"{SURVEY}:{name}", tmp_path / f"{name}.ncd")
    assert imported.warnings == []
    report = check_file(tmp_path / f"{name}.ncd")
    assert report.passed, str(report)


@pytest.mark.parametrize("name", ["llama_causal_lm", "llama_causal_lm_sdpa"])
def test_a_whole_language_model_imports_as_its_layers_repeated(name, tmp_path):
    """The causal mask transformers builds from positions is one mask box a layer, and the decoder layers,
    each its own section, fold into one repeat block between the embedding and the head."""
    imported = import_file(f"{SURVEY}:{name}", tmp_path / "lm.ncd")
    assert imported.warnings == []
    text = (tmp_path / "lm.ncd").read_text()
    assert 'repeat 2 "model.model.layers"' in text and text.count("with causal") == 1 and text.count("as L_{q_proj}") == 1, text
    assert text.index("embedding(ids") < text.index("repeat 2") < text.index("as L_{lm_head}")
    assert check_file(tmp_path / "lm.ncd").passed


def test_a_whole_model_s_layers_call_their_submodules_as_components(tmp_path, figure_metrics):
    """A repeated layer's attention and MLP are blocks named after their classes, called from the repeat, and
    the file draws them collapsed (depth 0), so that a page sets each one's body beside the layers, as the paper
    draws a transformer; each block's boxes are labelled within it (both maps back to the depth are c_proj)."""
    import_file(f"{SURVEY}:gpt2_lm_head", tmp_path / "gpt2.ncd")
    text = (tmp_path / "gpt2.ncd").read_text()
    assert "\ndepth 0\n" in text and "block GPT2Attention(N[y f])" in text and "block GPT2MLP(N[y f])" in text, text
    assert "  H2 = GPT2Attention(N)\n" in text and "  H = GPT2MLP(N)\n" in text and text.count("as L_{c_proj}") == 2
    assert check_file(tmp_path / "gpt2.ncd").passed
    ncd_render.render(tmp_path / "gpt2.ncd", tmp_path / "gpt2.svg", layout="page")
    result, _ = figure_metrics.analyse(str(tmp_path / "gpt2.svg"))
    assert {m: result[m] for m in INVARIANTS} == dict.fromkeys(INVARIANTS, 0), result
    svg = (tmp_path / "gpt2.svg").read_text()
    assert svg.count(">GPT2Attention<") == 2 and svg.count(">GPT2MLP<") == 2  # the box in the layer, its definition's title


@pytest.mark.parametrize("swap", [None, ("4", "1"), ("6", "0")])
def test_layers_that_alternate_fold_as_a_repetition_of_several(swap, tmp_path):
    """Gemma 3's pattern, smaller (two local layers and a global one, twice, then a local one): seven layers were written
    out, none folded; now one repeat of three layers, then the last layer apart, each layer's attention and MLP a call of
    a component, and the components that compute alike one block (the local attention, called four times; the MLP, seven).
    Each call reads its own layer's parameters: pairing the second repetition's second layer with the first's, or the
    last layer with the first, fails the check."""
    out = tmp_path / "gemma3.ncd"
    import_file(f"{SURVEY}:gemma3_pattern_causal_lm", out)
    text = out.read_text()
    body = text[text.index('repeat 2 "model.model.layers"\n'):]
    body = body[:body.index("\nend\n")]
    assert text.count("repeat ") == 1 and re.findall(r"= (Gemma3\w+)\(N\)", body) == \
        ["Gemma3Attention", "Gemma3MLP", "Gemma3Attention", "Gemma3MLP", "Gemma3Attention2", "Gemma3MLP"], text
    last = text[text.index('section "model.model.layers.6"\n'):]
    assert re.findall(r"= (Gemma3\w+)\(N\)", last[:last.index("\nend\n")]) == ["Gemma3Attention", "Gemma3MLP"], text
    assert text.count("block ") == 3 and "as N_{1.input_layernorm}" in body and "as N_{2.input_layernorm}" in body
    assert text.count("with causal, window=3\n") == 1 and text.count("with causal\n") == 1  # the local block and the global
    if swap is None:
        assert check_file(out).passed
        return
    check = out.with_name("gemma3.check.py")
    pairing = check.read_text()
    layer, other = swap
    assert f"('model.model.layers.{layer}.self_attn.q_proj.weight'" in pairing
    check.write_text(pairing.replace(f"('model.model.layers.{layer}.self_attn.q_proj.weight'",
                                     f"('model.model.layers.{other}.self_attn.q_proj.weight'"))
    assert not check_file(out).passed


def test_layers_that_change_part_way_fold_as_two_repeats(tmp_path):
    """DeepSeek-V2 with two dense layers, then two of experts: the four did not fold as one, so none folded; now a repeat
    of each, titled with their layers, both calling one attention block."""
    out = tmp_path / "deepseek.ncd"
    import_file(f"{SURVEY}:deepseek_v2_dense_then_experts_causal_lm", out)
    text = out.read_text()
    dense, experts = text.split('repeat 2 "model.model.layers 0-1"\n')[1].split('repeat 2 "model.model.layers 2-3"\n')
    assert "= DeepseekV2MLP(N)" in dense and "= DeepseekV2Moe(N)" in experts and "section \"model.model.layers" not in text, text
    assert "= DeepseekV2Attention(N)" in dense and "= DeepseekV2Attention(N)" in experts and text.count("block ") == 3  # one attention
    assert check_file(out).passed


def test_an_encoder_decoder_imports_as_two_repeats_of_components(tmp_path):
    imported = import_file(f"{SURVEY}:t5_seq2seq", tmp_path / "t5.ncd")
    assert imported.warnings == []
    text = (tmp_path / "t5.ncd").read_text()
    assert 'repeat 2 "model.encoder.block"\n  X = T5LayerSelfAttention(E, E2)\n  E = T5LayerFF(X)\nend' in text, text
    assert "  X = T5LayerCrossAttention(X, N)\n" in text  # the decoder's blocks read the encoder's output
    # the decoder's feed-forward is the encoder's, over 4 positions where the encoder's has 5: it calls its block, which
    # binds the positions at the call, and reads its own weights (the check pairs them)
    assert "  E = T5LayerFF(X)\nend" in text.split('repeat 2 "model.decoder.block"')[1] and "block T5LayerFF2" not in text, text
    assert "with bidirectional" in text and text.count("relbias(") == 2  # the encoder's both ways, the decoder's back only
    assert check_file(tmp_path / "t5.ncd").passed


def test_one_attention_class_called_three_ways_is_three_components(tmp_path):
    """BART's encoder, decoder and cross-attention are one class with three bodies (causal, reading the encoder):
    three blocks; the logits' bias, a buffer of [1, v], is the head's bias (it broadcasts over the positions)."""
    imported = import_file(f"{SURVEY}:bart_seq2seq", tmp_path / "bart.ncd")
    assert imported.warnings == []
    text = (tmp_path / "bart.ncd").read_text()
    assert "block BartAttention(" in text and "block BartAttention2(" in text and "= BartAttention3(N2, N)" in text, text
    assert "with bias as L_{lm_head}" in text and " * 1\n" not in text  # (no scale of one: the embeddings are not scaled)
    assert check_file(tmp_path / "bart.ncd").passed


def test_a_speech_model_imports_whole(tmp_path):
    """Whisper: its convolutions over frames, its encoder's and decoder's position tables (the decoder's read by
    indexing, ``table[ids]``), three attention components, and the diagram checks."""
    imported = import_file(f"{SURVEY}:whisper_seq2seq", tmp_path / "whisper.ncd")
    assert imported.warnings == []
    text = (tmp_path / "whisper.ncd").read_text()
    assert "with stride=2, padding=1" in text and "as E_{decoder.embed_positions}" in text and "= WhisperAttention3(" in text, text
    assert check_file(tmp_path / "whisper.ncd").passed


def test_a_sliding_window_the_example_is_too_short_to_show_is_a_warning(tmp_path):
    """Mistral 0.1 looks back 4096 positions: at 5 its mask is causal, and the diagram is the model only that far."""
    imported = import_file(f"{SURVEY}:mistral_v01_causal_lm", tmp_path / "m.ncd")
    assert imported.warnings == ["the model's attention looks back at most 4096 positions (its config's sliding_window); the diagram's "
                                 "causal mask, found at the example inputs' length, has no window: it is the model up to 4096 positions"]
    assert check_file(tmp_path / "m.ncd").passed  # (at the example's length it is)


def test_mpt_s_sliced_alibi_and_boolean_mask_are_its_boxes(tmp_path):
    imported = import_file(f"{SURVEY}:mpt_causal_lm", tmp_path / "mpt.ncd")
    assert imported.warnings == []
    text = (tmp_path / "mpt.ncd").read_text()
    assert "S = alibi(S: y x h)\n  S = mask(S: y x) with causal\n" in text and "with weight, eps=1e-05" in text, text
    report = check_file(tmp_path / "mpt.ncd")
    assert report.passed and "float64" not in str(report)  # its softmax of x.float(): checked in float32


def test_a_local_layer_s_window_from_a_buffer_is_its_mask(tmp_path):
    imported = import_file(f"{SURVEY}:gpt_neo_causal_lm", tmp_path / "neo.ncd")
    assert imported.warnings == []
    text = (tmp_path / "neo.ncd").read_text()
    assert text.count("with causal, window=3") == 1 and text.count("with causal\n") == 3, text  # (the model's own mask too)
    assert check_file(tmp_path / "neo.ncd").passed


def test_a_single_layer_keeps_its_submodules_in_place(tmp_path):
    import_file(f"{MODELS}:llama_decoder_layer", tmp_path / "layer.ncd")
    text = (tmp_path / "layer.ncd").read_text()
    assert "block " not in text and "depth" not in text


def test_learned_positions_are_a_bias_over_positions_and_depth(tmp_path):
    """GPT-2 adds its position table's first rows (looked up by positions from no input) to the token embeddings:
    one bias box, paired with the first rows of the table; its head is its token embedding, by another name."""
    imported = import_file(f"{SURVEY}:gpt2_lm_head", tmp_path / "gpt2.ncd")
    assert imported.warnings == []
    text = (tmp_path / "gpt2.ncd").read_text()
    assert "E = embedding(ids: v -> f) as E_{wte}" in text and "H = bias(E: y f) as E_{wpe}" in text and 'repeat 2 "model.transformer.h"' in text, text
    pairing = (tmp_path / "gpt2.check.py").read_text()
    assert "'E_wpe.weight': ('model.transformer.wpe.weight', None, None, 0.0, 5)," in pairing
    assert check_file(tmp_path / "gpt2.ncd").passed
    (tmp_path / "gpt2.check.py").write_text(pairing.replace("'model.transformer.wpe.weight', None, None, 0.0, 5)",
                                                           "'model.transformer.wpe.weight', None, (slice(1, 6),), 0.0, 6)"))
    assert not check_file(tmp_path / "gpt2.ncd").passed  # rows 1..5 of the table: not the module's positions


@pytest.mark.parametrize("name, statements", [
    # token types from a buffer of zeros: one row of the table for every position; positions a buffer's first n
    ("bert_model", ["H = bias(E: f) as E_{token_type_embeddings.0}", "H = bias(H: y f) as E_{position_embeddings}",
                    'repeat 2 "model.encoder.layer"']),
    # positions counted over the ids that are not padding; token types a buffer of zeros gathered at them: row 0
    ("roberta_model", ["H = positions(ids: y) with padding=1", "bias(E: f) as E_{token_type_embeddings.0}",
                       "embedding(H: v2 -> f) as E_{position_embeddings}"]),
    ("distilbert_model", ["bias(E: y f) as E_{position_embeddings}", 'repeat 2 "model.transformer.layer"']),
    # T5's relative position bias: one table, read by buckets both ways, made before the blocks (its first block made
    # it), so that they fold; each block's attention and feed-forward are components
    ("modernbert_model", ["layernorm(E: f) with weight, eps=1e-05 as N_{norm}"]),  # nn.LayerNorm(bias=False)
    # SDPA given a mask built from positions alone that hides nothing: no mask box, no opaque attention
    ("dinov2_model", ["P = softmax(S: y)", "repeat 2 \"model.encoder.layer\"", "H2 = layerscale(H2: f)"]),
    # rotary positions; the exact GELU written out, x / 2 (1 + erf(x / sqrt 2)), is one gelu box
    ("esm_model", ["K = rope(K: y k) with base=10000", "H = gelu(H)\n"]),
    # multiplied by a mask of ones, filled where none is hidden: neither is a box; the keys' division by a square
    # root computed by the code (of the head size) is a scale by its value, written k^-1/2
    # a LayerNorm written out with a weight and a bias is one box; plus the number 0 is nothing
    ("deberta_model", ["N = layernorm(X: f) with affine, eps=1e-07 as N_{LayerNorm}", "P = softmax(S: x)"]),
    # positions added in place (aten.add_): the same bias box as BERT's
    ("megatron_bert_model", ["H = bias(H: y f) as E_{position_embeddings}", "bias(E: f) as E_{token_type_embeddings.0}"]),
    ("deberta_v2_model", ["S = K * k^-1/2\n", "P = softmax(S: x)", "H = bias(E: y f) as E_{position_embeddings}"]),
    ("t5_encoder_model", ["E2 = relbias(: b -> y x h) with bidirectional as E_{relative_attention_bias}\nrepeat 2 \"model.encoder.block\"\n"
                          "  X = T5LayerSelfAttention(E, E2)\n  E = T5LayerFF(X)\nend", "  X = S + E2\n"]),
])
def test_whole_encoders_import_with_their_learned_positions(name, statements, tmp_path):
    """An encoder's attention mask without padding adds nothing and is no box; its position and token-type
    embeddings, read by ids from its buffers, are bias boxes."""
    imported = import_file(f"{SURVEY}:{name}", tmp_path / "enc.ncd")
    assert imported.warnings == []
    text = (tmp_path / "enc.ncd").read_text()
    assert all(s in text for s in statements) and "mask" not in text, text
    assert check_file(tmp_path / "enc.ncd").passed


@pytest.mark.parametrize("name, statement", [
    # HF's ResNet: the stem's max pooling with padding (of a ReLU's output) is ★ and max; 1x1 convolutions, global pooling
    ("resnet_model", "with stride=2, padding=1\n  R = max(B: p q)"),
    # SegFormer's attention over pixels, two axes: its keys take other names for both; its reduced keys a strided ★
    ("segformer_model", "Kx = rename(K: h3 w4 -> y x)"),
    # DeiT's class and distillation tokens and its patches, one cat of three: two concatenations
    ("deit_model", "as E_{cls_token}\n  C = concat(H, C: p, b -> q)"),
])
def test_whole_vision_models_import_and_check(name, statement, tmp_path):
    imported = import_file(f"{SURVEY}:{name}", tmp_path / "model.ncd")
    assert imported.warnings == []
    text = (tmp_path / "model.ncd").read_text()
    assert statement in text, text
    assert check_file(tmp_path / "model.ncd").passed


def test_swin_imports_with_its_windows_renamed_axis_by_axis(tmp_path):
    """Swin's keys take second names for each window's rows and columns, which its patch merging later splits in two:
    they split alike, so every rename maps one axis to one (it wrote ``rename(K: h2 h3 w3 w4 -> y x)``, a diagram
    that did not build). The roll and mask of its shifted windows stay opaque."""
    import_file(f"{SURVEY}:swin_model", tmp_path / "swin.ncd")
    renames = re.findall(r"rename\(\w+: ([\w ]+) -> ([\w ]+)\)", (tmp_path / "swin.ncd").read_text())
    assert len(renames) >= 6 and all(len(a.split()) == len(b.split()) == 4 for a, b in renames[:4]), renames  # (the second
    # stage's two blocks compute alike: one component, called twice)


def test_values_after_a_slice_of_the_weights_take_the_keys_second_name(tmp_path):
    """gpt-oss's sinks: a column joined to the scores, the softmax over both, the column sliced off (a run of the joined
    axis, ``index(P: t -> s)``; it was opaque), then the values. The slice keeps the queries' positions, and the values
    take a second name for theirs (the queries and keys were one axis once a residual met them: ``opaque(P: y t -> y y)``,
    a diagram that did not build)."""
    imported = import_file(f"{MODELS}:sinks", tmp_path / "sinks.ncd")
    text = (tmp_path / "sinks.ncd").read_text()
    assert "C = index(P: t -> s) with at=0" in text and "Xx = rename(X: y -> s)\nS = einsum(C, Xx: y s, s m -> y m)" in text, text
    assert imported.warnings == [] and check_file(tmp_path / "sinks.ncd").passed


def test_a_class_token_is_a_learned_box_joined_to_the_patches(tmp_path):
    """ViT's class token is a learned tensor no input feeds, joined to the patches (it was an opaque box, and
    before that a TypeError caught as a bug): a learned box with its axis of one; the position table added
    after the join is a bias box; the whole model checks."""
    imported = import_file(f"{SURVEY}:vit_model", tmp_path / "vit.ncd")
    assert imported.warnings == []
    text = (tmp_path / "vit.ncd").read_text()
    assert "= learned(: a f) as E_{cls_token}" in text and "concat(H2, Hg: a, (r w2) -> b)" in text and "bias(C: b f)" in text, text
    assert check_file(tmp_path / "vit.ncd").passed


@pytest.mark.parametrize("name, statement, paired", [
    ("gemma_causal_lm", "S = E * f^1/2", None),  # a buffer of one number: a constant scale, written as the root of the depth
    ("opt_causal_lm", "H = bias(E: y f) as E_{embed_positions}", "('model.model.decoder.embed_positions.weight', None, None, 0.0, (2, 7))"),
])
def test_whole_language_models_with_their_own_embeddings(name, statement, paired, tmp_path):
    imported = import_file(f"{SURVEY}:{name}", tmp_path / "lm.ncd")
    assert imported.warnings == []
    assert statement in (tmp_path / "lm.ncd").read_text()
    assert paired is None or paired in (tmp_path / "lm.check.py").read_text()
    assert check_file(tmp_path / "lm.ncd").passed


@pytest.mark.parametrize("family", sorted(WHOLE))
def test_whole_causal_language_models_import_and_check(family, tmp_path):
    """Beside Llama's: each whole model imports with no opaque box, its two layers one repeat block, and checks.
    Gemma 2's sliding window (4096 positions, every other layer) is no mask at 5 positions: a warning says so."""
    imported = import_file(f"{SURVEY}:whole_{family}", tmp_path / "lm.ncd")
    window = ["the model's attention looks back at most 4096 positions"] if family == "Gemma2" else []
    assert [w.split(" (its config")[0] for w in imported.warnings] == window
    if family == "Gemma3":  # a window shorter than the example: drawn, and checked
        assert "mask(S2: y x) with causal, window=3" in (tmp_path / "lm.ncd").read_text()
    assert (tmp_path / "lm.ncd").read_text().count("repeat 2 ") == 1
    assert check_file(tmp_path / "lm.ncd").passed


@pytest.mark.parametrize("kind, options", [
    ("llama3", "with base=100, scaling=llama3, factor=4, low=1, high=4, context=8"),
    ("yarn", "with base=100, scaling=yarn, factor=4, context=8"),
    ("linear", "with base=100, scaling=linear, factor=2"),
])
def test_a_rotary_stretched_for_a_longer_context_keeps_its_scaling(kind, options, tmp_path):
    """Llama 3.1's, Qwen 2.5's (yarn) and linear scaling of the rotary's frequencies (they were an opaque arange, cos and
    sin): one rope box with the scaling transformers' config names, checked; the check fails with another factor."""
    out = tmp_path / "lm.ncd"
    import_file(f"{SURVEY}:{kind}_rope_causal_lm", out)
    text = out.read_text()
    assert f"Q = rope(Q: y k) {options}\n" in text and "opaque" not in text, text
    assert check_file(out).passed
    out.write_text(text.replace("factor=4", "factor=3").replace("factor=2", "factor=3"))
    assert not check_file(out).passed


def test_gpt_oss_s_rotary_keeps_its_unrounded_yarn(tmp_path):
    """gpt-oss turns chunked halves by tables of half the depth from its own buffer, stretched by yarn with the ramp's ends
    left unrounded (``truncate: False``; the rotary was an opaque arange, cos and sin, and its turns opaque subtractions):
    one rope box with ``unrounded``, checked; the check fails with the ends rounded out."""
    out = tmp_path / "rot.ncd"
    import_file(f"{SURVEY}:gpt_oss_rotary", out)
    text = out.read_text()
    assert "with base=100, scaling=yarn, factor=4, context=64, unrounded\n" in text and "opaque" not in text, text
    assert check_file(out).passed
    out.write_text(text.replace(", unrounded", ""))
    assert not check_file(out).passed


def test_gpt_oss_s_sinks_are_joined_to_the_scores_and_sliced_off(tmp_path):
    """gpt-oss's attention joins a learned sink per head to each row of scores, takes the row's maximum off, softmaxes
    and slices the sink off (the maximum, the subtraction and the slice were opaque): a learned tensor per head (it was
    drawn over the queries too, which it is only expanded along), joined by a concat that copies it along them, the
    softmax of the joined scores, and ``index(P: t -> s) with at=0``, the first |s| of them; checked, and the check
    fails when the run starts one later (the sink's weight in, the first key's out)."""
    out = tmp_path / "attention.ncd"
    import_file(f"{SURVEY}:gpt_oss_attention", out)
    text = out.read_text()
    assert "opaque" not in text and "= learned(: h g a) as E_{sinks}\n" in text, text  # per head, copied along the queries
    joined = re.search(r"\n(\w+) = concat\(S, \w+: x, a -> (\w+)\)\n(\w+) = softmax\(\1: \2\)\n\w+ = index\(\3: \2 -> \w+\) with at=0\n", text)
    assert joined, text
    assert check_file(out).passed
    out.write_text(text.replace("with at=0", "with at=1"))
    assert not check_file(out).passed


@pytest.mark.parametrize("wrong", ["clamp(H2) with max=0.3", "clamp(H3) with min=-0.3, max=0.25", "silu(H2) with beta=1.6",
                                   "H2 = H3 + H3"])
def test_gpt_oss_s_experts_are_a_mixture_with_clamps(wrong, tmp_path):
    """gpt-oss's experts (a router with a bias, the softmax of its top k logits; experts stored transposed with biases,
    gate and up rows interleaved, clamped, the gate's x sigmoid(1.702 x) times up + 1) were 18 opaque boxes: now the
    dense mixture the paper draws, its GLU one box (``silu ... with beta=1.702``, a scale, sigmoid and product before),
    checked; the check fails with a clamp's bound, the 1.702 or the + 1 changed."""
    out = tmp_path / "experts.ncd"
    import_file(f"{SURVEY}:gpt_oss_experts", out)
    text = out.read_text()
    body = [line for line in text.splitlines() if " = " in line and not line.startswith(("axis", "#"))]
    assert body == ["H = linear(X: m -> e) with bias as L_{router}", "H2 = linear(X: m -> h) with bias, per=e as L_{gate_up_proj.0}",
                    "H3 = linear(X: m -> h) with bias, per=e as L_{gate_up_proj.1}", "P = softmax(H: e)",
                    "H = topk(P: e) with k=2, normalize", "H2 = clamp(H2) with max=0.25", "H3 = clamp(H3) with min=-0.25, max=0.25",
                    "H2 = silu(H2) with beta=1.702", "H3 = H3 * H2", "H2 = H3 + H2",
                    "H2 = linear(H2: h -> m) with bias, per=e as L_{down_proj}", "Y = einsum(H2, H: y m e, y e -> y m)"], body
    assert check_file(out).passed
    right = {"clamp(H2)": "clamp(H2) with max=0.25", "clamp(H3)": "clamp(H3) with min=-0.25, max=0.25",
             "silu(H2)": "silu(H2) with beta=1.702", "H2 = H3": "H2 = H3 + H2"}[
        next(k for k in ("clamp(H2)", "clamp(H3)", "silu(H2)", "H2 = H3") if wrong.startswith(k))]
    out.write_text(text.replace(right, wrong))
    assert not check_file(out).passed


def test_minimax_m2_s_experts_are_chosen_by_a_sigmoid_and_a_bias(tmp_path):
    """MiniMax-M2 scores its experts by a sigmoid and chooses the top k by the scores plus a bias that only chooses
    (its ``e_score_correction_bias``), their weights the scores themselves, normalised: 16 opaque boxes before, now a
    sigmoid and ``topk ... with select_bias``, each layer's bias read from its own buffer, checked; the check fails
    with the two layers' biases swapped."""
    out = tmp_path / "lm.ncd"
    imported = import_file(f"{SURVEY}:minimax_m2_causal_lm", out)
    text = out.read_text()
    assert imported.warnings == [] and "opaque" not in text, text
    assert re.search(r"\n  (\w+) = sigmoid\((\w+)\)\n  \w+ = topk\(\1: e\) with k=2, normalize, select_bias\n", text), text
    assert check_file(out).passed
    pairing = out.with_suffix(".check.py")
    first, second = (f"'model.model.layers.{i}.mlp.e_score_correction_bias'" for i in (0, 1))
    pairing.write_text(pairing.read_text().replace(first, "@").replace(second, first).replace("@", second))
    assert not check_file(out).passed


@pytest.mark.parametrize("wrong", [", groups=2", "scale=2.5"])
def test_deepseek_v3_imports_whole_and_checks(wrong, tmp_path):
    """DeepSeek-V3 (tiny): each head's queries and keys are split into an own part and a rotary part of another size
    (unequal pieces of one axis were opaque: now a run each, ``index(H: d -> e) with at=0``); its keys are made empty and
    filled slice by slice (an opaque new_empty before: the copies into it are mutations the graph's readers do not see),
    now one concat that copies the rotary part, shared by every head, along the heads; its experts are scored by a sigmoid
    and chosen in groups by the scores plus the router's bias, normalised and scaled (22 opaque boxes in all before, at
    parts of equal sizes). Checked; the check fails without the groups or with another scale."""
    out = tmp_path / "lm.ncd"
    imported = import_file(f"{SURVEY}:deepseek_v3_causal_lm", out)
    text = out.read_text()
    assert imported.warnings == [] and "opaque" not in text, text
    assert re.search(r"= concat\(\w+, \w+: \w+, \(\w+ \w+\) -> \w+\)\n", text), text  # the shared rotary key, one axis lacking
    assert re.search(r"= index\(H: d -> e\) with at=0\n  \w+ = index\(H: d -> \(\w+ \w+\)\) with at=8\n", text), text
    assert "topk(H: e2) with k=2, normalize, select_bias, groups=2, scale=2.5\n" in text, text
    assert fuse_rearranges(text.splitlines()) == text.splitlines()  # no rearrangement only feeds another (14 -> 6 of them)
    # its two layers differ (dense, then experts): no repeat, but each layer calls components, one attention for both
    assert text.count("= DeepseekV3Attention(N)\n") == 2 and "= DeepseekV3MLP(N)\n" in text and "= DeepseekV3MoE(N)\n" in text, text
    assert check_file(out).passed
    out.write_text(text.replace(wrong, "" if wrong.startswith(",") else "scale=2"))
    assert not check_file(out).passed


def test_a_rotary_through_complex_numbers_is_one_rope(tmp_path):
    """DeepSeek-V2 turns its queries' and keys' pairs as complex numbers (``view_as_complex``, a product with
    ``freqs_cis`` made by ``torch.polar``, ``view_as_real``): each was an opaque box (12 in all); now ``rope ... with
    interleaved``, the base read off the rotary module's buffer, and the whole model checks; it fails with the pairs
    taken as halves."""
    out = tmp_path / "lm.ncd"
    imported = import_file(f"{SURVEY}:deepseek_v2_causal_lm", out)
    text = out.read_text()
    assert imported.warnings == [] and "opaque" not in text, text
    assert text.count("with base=10000, interleaved\n") == 2, text  # queries and keys, in the attention both layers call
    assert text.count("= DeepseekV2Attention(N)\n") == 2 and "block DeepseekV2Attention2" not in text, text
    assert check_file(out).passed
    out.write_text(text.replace(", interleaved\n", "\n"))
    assert not check_file(out).passed


def test_ernie_4_5_s_experts_are_chosen_by_a_softmax_and_a_bias(tmp_path):
    """ERNIE 4.5's router softmaxes the scores and chooses the top k by them plus ``moe_statics.e_score_correction_bias``
    ([1, e], zeros as built): the selection bias was taken only with a sigmoid, so the import left it out, and the check,
    which fills every parameter with random values, failed (rel 1e-1). Now a softmax, then ``topk ... with select_bias``,
    checked; the check fails with a sigmoid for the softmax."""
    out = tmp_path / "lm.ncd"
    imported = import_file(f"{SURVEY}:whole_Ernie4_5_Moe", out)
    text = out.read_text()
    found = re.search(r"\n  (\w+) = softmax\((\w+): (\w+)\)\n  \w+ = topk\(\1: \3\) with k=2, normalize, select_bias\n", text)
    assert imported.warnings == [] and found, text
    assert check_file(out).passed
    out.write_text(text.replace(found[0], found[0].replace(f"softmax({found[2]}: {found[3]})", f"sigmoid({found[2]})")))
    assert not check_file(out).passed


@pytest.mark.parametrize("wrong", ["with k=2", "softmax"])
def test_llama4_s_experts_are_fed_their_input_scaled_by_the_gates(wrong, tmp_path):
    """Llama 4's router keeps the top logit's sigmoid (the rest 0) and scales each expert's input by it, not its output;
    its experts are stored [e, m, 2f] and run on every token (5 opaque boxes before: a repeat, the top k, a scatter):
    the gates' outer product with the input, the maps per expert, their outputs summed; checked. The check fails with
    two experts kept, or the gates a softmax: ncd check now draws a stack of experts' weights at its maps' fan-in (the
    stored shape's, all but the first dim, made them too small for a wrong top k to show)."""
    out = tmp_path / "lm.ncd"
    imported = import_file(f"{SURVEY}:whole_Llama4", out)
    text = out.read_text()
    assert imported.warnings == [] and "opaque" not in text, text
    gates = re.search(r"\n  (\w+) = sigmoid\(\1\)\n  \1 = topk\(\1: e\) with k=1\n  (\w+) = einsum\((\w+), \1: y f, y e -> y f e\)\n"
                      r"  \w+ = linear\(\2: f -> \w+\) with per=e as L_\{gate_up_proj.0\}\n", text)
    assert gates, text
    assert check_file(out).passed
    out.write_text(text.replace("with k=1", "with k=2") if wrong == "with k=2" else
                   text.replace(f"{gates[1]} = sigmoid({gates[1]})", f"{gates[1]} = softmax({gates[1]}: e)"))
    assert not check_file(out).passed


@pytest.mark.parametrize("name, beta", [("quick_gelu", 1.702), ("swish_written_out", 1.0)])
def test_swish_written_out_is_one_silu(name, beta, tmp_path):
    """``x * sigmoid(1.702 * x)`` (CLIP's quick_gelu) and ``x * sigmoid(x)`` written out were a scale, a sigmoid and a
    product of the tensor with itself, drawn as a branch rejoining it: one ``silu`` box now, with its beta; checked, and
    the check fails with another beta."""
    out = tmp_path / f"{name}.ncd"
    import_file(f"{SURVEY}:{name}", out)
    text = out.read_text()
    given = f"silu(H) with beta={beta:g}" if beta != 1 else "silu(H)\n"
    assert given in text and "sigmoid" not in text and "H * " not in text, text
    assert check_file(out).passed
    out.write_text(text.replace(given.strip(), "silu(H) with beta=1.5"))
    assert not check_file(out).passed


def test_nanochat_s_weightless_norms_and_turned_back_rotary(tmp_path):
    """NanoChat's RMSNorms have no weight, and its one final norm is called before the layers too (each call was an
    opaque add and rsqrt: the recogniser read a module's calls as one run); its rotary turns the other way
    (``rotate_half`` gives ``cat(x2, -x1)``): ``rmsnorm`` alone, ``rope ... with reversed``, checked; the check fails
    with the rotary turned the usual way."""
    out = tmp_path / "lm.ncd"
    import_file(f"{SURVEY}:whole_NanoChat", out)
    text = out.read_text()
    assert "opaque" not in text and "rope(Q: y k) with base=10000, reversed\n" in text, text
    norms = re.findall(r"= rmsnorm\((\w+): \w+\) with eps=1e-06\n", text)
    assert "E" in norms and len(norms) == 6 and "affine" not in text, text  # q and k; before the layers, 2 a layer, after
    assert check_file(out).passed
    out.write_text(text.replace(", reversed", ""))
    assert not check_file(out).passed


def test_m2m100_s_sinusoidal_positions_are_one_box(tmp_path):
    """M2M100 (NLLB's architecture) reads its positions' rows from a sinusoidal table in a buffer (an opaque
    index_select): ``sinusoid(P: f) with base=10000, padding=1``, in the encoder and the decoder; checked, and the check
    fails with another base."""
    out = tmp_path / "m2m.ncd"
    import_file(f"{SURVEY}:m2m100_seq2seq", out)
    text = out.read_text()
    assert "opaque" not in text and text.count("= sinusoid(H: f) with base=10000, padding=1\n") == 2, text
    assert check_file(out).passed
    out.write_text(text.replace("base=10000, padding=1", "base=1000, padding=1"))
    assert not check_file(out).passed


def test_a_softmax_of_scores_less_their_maximum_is_the_softmax_of_the_scores(tmp_path):
    """``softmax(x - x.max(-1, keepdim=True).values)`` written out: one softmax box of x, no maximum or subtraction."""
    out = tmp_path / "shifted.ncd"
    import_file(f"{SURVEY}:shifted_softmax", out)
    body = [line for line in out.read_text().splitlines() if " = " in line and not line.startswith(("axis", "#"))]
    assert body == ["Y = softmax(S: w)"], body
    assert check_file(out).passed


def test_a_softmax_of_scores_less_a_number_is_the_softmax_of_the_scores(tmp_path):
    """``softmax(x - 1.0)``: a number taken off every score shifts them all alike, so it is the softmax of the scores,
    one box (the subtraction was an opaque box: the language has no statement for it; before that, the import failed
    on the number); checked."""
    out = tmp_path / "less.ncd"
    import_file(f"{SURVEY}:softmax_less_a_number", out)
    text = out.read_text()
    assert "opaque" not in text and "Y = softmax(S: w)\n" in text, text
    assert check_file(out).passed


def test_gemma3_s_local_and_global_rotaries_each_keep_their_base(tmp_path):
    """Gemma 3 keeps a table of frequencies per kind of layer (its global layers' came first, and its local layers'
    rotary, of another base, was opaque): each layer's rope has its own base, the global one its linear scaling."""
    out = tmp_path / "lm.ncd"
    import_file(f"{SURVEY}:gemma3_two_rotaries_causal_lm", out)
    text = out.read_text()
    assert "rope(N: y k) with base=100\n" in text and "with base=1000, scaling=linear, factor=4\n" in text and "opaque" not in text, text
    assert check_file(out).passed


def test_a_rotary_over_part_of_each_head_is_one_rope_box(tmp_path):
    """StableLM turns the first quarter of each head and passes the rest (slices, a rotary, a cat): ``rope ... with
    rotary=4``; the check fails when the diagram turns six."""
    imported = import_file(f"{SURVEY}:whole_StableLm", tmp_path / "lm.ncd")
    text = (tmp_path / "lm.ncd").read_text()
    assert imported.warnings == [] and "Q = rope(Q: y k) with base=10000, rotary=4" in text, text
    assert check_file(tmp_path / "lm.ncd").passed
    (tmp_path / "lm.ncd").write_text(text.replace("rotary=4", "rotary=6"))
    assert not check_file(tmp_path / "lm.ncd").passed


def test_a_rotary_of_one_pair_takes_its_base_from_the_config(tmp_path):
    """A tiny GPT-NeoX turns one pair of each head (rotary_pct 0.25 of 8): ``rope ... with base=10000, rotary=2``, the
    base its config gives; checked, and the check fails when the diagram turns two pairs."""
    out = tmp_path / "lm.ncd"
    import_file(f"{SURVEY}:gpt_neox_one_pair_causal_lm", out)
    text = out.read_text()
    assert "opaque" not in text and text.count("= rope(") == 2 and text.count("with base=10000, rotary=2\n") == 2, text
    assert check_file(out).passed
    out.write_text(text.replace("rotary=2", "rotary=4"))
    assert not check_file(out).passed


@pytest.mark.parametrize("name, parts, wrong", [
    # [heads, 3, head depth]: q, k and v picked from the middle axis, each a map with its part of the weight
    ("falcon_mha_causal_lm", ["Q = linear(N: f -> h k) with bias as", "K = linear(N: f -> h k) with bias as",
                              "V = linear(N: f -> h k) with bias as"], ("(1,)", "(2,)")),
    # Falcon-7B's [heads + 2, head depth]: the queries the first heads' rows, the key and the value one head's each
    ("whole_Falcon", ["Q = linear(N: f -> g k) as", "K = linear(N: f -> k) as", "V = linear(N: f -> k) as"], ("(32, 40)", "(40, 48)")),
])
def test_a_product_with_a_weight_is_a_map_and_each_part_of_a_packed_one_a_map_of_its_own(name, parts, wrong, tmp_path):
    """Falcon's FalconLinear computes x @ W.T (+ b): a map (with its bias), not a learned tensor and an einsum. Its fused
    query_key_value is cut into q, k and v, each a map of its own with its rows of the weight: the check fails when
    the keys are paired with the values' rows."""
    imported = import_file(f"{SURVEY}:{name}", tmp_path / "lm.ncd")
    text = (tmp_path / "lm.ncd").read_text()
    assert imported.warnings == [] and "learned(" not in text and "index(" not in text and "rearrange(" not in text, text
    for part, statement in enumerate(parts):
        assert f"{statement} L_{{query_key_value.{part}}}" in text, text
    assert "H2 = linear(N: f -> o)" in text and "L_{dense_h_to_4h}" in text
    pairing = tmp_path / "lm.check.py"
    assert check_file(tmp_path / "lm.ncd").passed
    assert wrong[0] in pairing.read_text()
    pairing.write_text(pairing.read_text().replace(wrong[0], wrong[1], 1))
    assert not check_file(tmp_path / "lm.ncd").passed


def test_batch_norm_in_eval_mode_normalises_by_its_running_statistics(tmp_path):
    """nn.BatchNorm in eval mode (a trained CNN's) is batchnorm ... with running: its stored statistics are
    parameters of the box, so the check fails if the diagram normalised by the batch's instead."""
    imported = import_file(f"{MODELS}:resnet_block_eval", tmp_path / "block.ncd")
    assert imported.warnings == []
    text = (tmp_path / "block.ncd").read_text()
    assert text.count("with affine, eps=1e-05, running as N_{bn") == 2, text
    pairing = (tmp_path / "block.check.py").read_text()
    assert "'N_bn1.running_var': ('bn1.running_var', None, None, 0.0, None)" in pairing
    assert check_file(tmp_path / "block.ncd").passed
    (tmp_path / "block.ncd").write_text(text.replace(", running", ""))  # by the batch's statistics: not the module
    (tmp_path / "block.check.py").write_text("\n".join(line for line in pairing.splitlines() if "running_" not in line))
    assert not check_file(tmp_path / "block.ncd").passed


def test_a_tensor_divided_by_a_tensor_is_a_quotient_box(tmp_path):
    """Linear attention divides each query's reading by its score against the keys' sum: a tensor by a tensor,
    broadcast over the value depth. That was an opaque box (the language had no division); it is now
    ``O / D``, and checks against the module."""
    out = tmp_path / "linear.ncd"
    imported = import_file(f"{MODELS}:linear_attention", out)
    text = out.read_text()
    assert not imported.warnings and "opaque" not in text
    assert re.search(r"^\w+ = \w+ / \w+$", text, re.M), text
    assert check_file(out).passed


def test_nn_glu_halves_its_input(tmp_path):
    """nn.GLU (aten.glu) was an opaque box: it is the input halved, the first half times the sigmoid of the second.
    After a linear map the halves are that map's rows, two maps, as Phi-3's fused projections are."""
    out = tmp_path / "glu.ncd"
    imported = import_file(f"{MODELS}:glu_block", out)
    text = out.read_text()
    assert not imported.warnings and "opaque" not in text and "sigmoid(" in text and text.count("linear(") == 2
    assert check_file(out).passed


def test_a_tensor_minus_a_tensor_is_a_difference_box(tmp_path):
    """``x - x.mean(-1, keepdim=True)`` was an opaque box (the language had no subtraction): now ``X - R``."""
    out = tmp_path / "centred.ncd"
    imported = import_file(f"{MODELS}:centred", out)
    text = out.read_text()
    assert not imported.warnings and "opaque" not in text and re.search(r"^\w+ = \w+ - \w+$", text, re.M), text
    assert check_file(out).passed


def test_a_number_added_to_or_taken_from_a_tensor_is_an_offset(tmp_path):
    """DiT's ``x * (1 + scale)`` and a gate's ``1 - g`` were opaque boxes ("adding a constant", aten.rsub): they are
    ``S + 1`` and ``1 - G``, and ``g - 0.5`` is ``G - 0.5``; the diagram checks against the module."""
    out = tmp_path / "modulated.ncd"
    imported = import_file(f"{MODELS}:modulated", out)
    text = out.read_text()
    assert not imported.warnings and "opaque" not in text, text
    assert re.search(r"^\w+ = \w+ \+ 1$", text, re.M) and re.search(r"^\w+ = 1 - \w+$", text, re.M), text
    assert re.search(r"^\w+ = \w+ - 0\.5$", text, re.M), text
    assert check_file(out).passed


def test_a_sum_broadcast_both_ways_is_an_outer_sum(tmp_path):
    """Additive attention's ``Wa(q).unsqueeze(2) + Ua(k).unsqueeze(1)`` was an opaque box ("each operand has an axis
    the other lacks"): it is the language's outer sum, ``X = H + H2``, written with no rearrange, and checks."""
    out = tmp_path / "additive.ncd"
    imported = import_file(f"{MODELS}:additive", out)
    text = out.read_text()
    assert not imported.warnings and "opaque" not in text and "rearrange" not in text, text
    assert re.search(r"^\w+ = \w+ \+ \w+$", text, re.M), text
    assert check_file(out).passed


def test_modules_named_what_a_label_cannot_hold_import_as_a_diagram_that_reads_back(tmp_path):
    """Submodules named with an escape character, a backslash and 300 letters were written into labels as they were:
    the diagram did not read back ('the control character U+001B is not allowed'), and the 300 letters ran a
    subscript across the page."""
    (tmp_path / "odd.py").write_text(
        "import torch\nfrom torch import nn\n\nNAMES = ['lin\\x1bear', 'back\\\\slash', 'a' * 300]\n\n"
        "class Odd(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        for name in NAMES:\n            self.add_module(name, nn.Linear(4, 4))\n\n"
        "    def forward(self, x):\n        for name in NAMES:\n            x = getattr(self, name)(x)\n        return x\n\n\n"
        "def make():\n    return Odd(), (torch.randn(2, 4),)\n")
    out = tmp_path / "odd.ncd"
    import_file(f"{tmp_path / 'odd.py'}:make", out)
    labels = re.findall(r" as (\S+)", out.read_text())
    assert labels == ["L_{linear}", "L_{back-slash}", "L_{" + "a" * 133 + "…" + "a" * 66 + "}"], labels  # as long as a name may be
    assert check_file(out).passed


def test_a_long_module_name_is_whole_in_the_file_and_shortened_where_drawn(tmp_path):
    """Swin V2's ``continuous_position_bias_mlp.2`` was written ``L_{continuous_position_bia….2}``: the file lost the
    name (and two boxes of one long name would differ by a number only). The file keeps it whole; the drawing cuts a
    long script in its middle, its end (``.0``, ``.2``) kept."""
    out = tmp_path / "table.ncd"
    import_file(f"{MODELS}:mapped_table", out)
    text = out.read_text()
    assert "as L_{continuous_position_bias_mlp.0}" in text and "as L_{continuous_position_bias_mlp.2}" in text, text
    svg = tmp_path / "table.svg"
    ncd_render.render(out, svg)
    drawn = svg.read_text()
    assert "continuous_posi…as_mlp.0" in drawn and "continuous_posi…as_mlp.2" in drawn and "bias_mlp.2}" not in drawn


def test_an_axis_name_too_long_to_read_back_is_refused(tmp_path):
    """--axes hidden=<300 letters> wrote a diagram that ncd then refused ('the limit is 200')."""
    run = _ncd("import", f"{MODELS}:llama_mlp", "-o", str(tmp_path / "m.ncd"), "--axes", "hidden=" + "a" * 300, cwd=tmp_path)
    assert run.returncode == 2 and "--axes: the name for 'hidden' is 300 characters long; the limit is 200" in run.stderr
    assert not (tmp_path / "m.ncd").exists()


def test_an_axis_to_rename_that_the_diagram_lacks_is_refused(tmp_path):
    """--axes zz=q renamed nothing and said nothing. Refused as --sizes refuses an unknown axis: one paragraph, the
    diagram's axes (and roles, which --axes takes too) listed, a close one suggested; nothing written."""
    run = _ncd("import", f"{MODELS}:mlp", "-o", str(tmp_path / "m.ncd"), "--axes", "zz=q", cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert run.stderr == ("error: --axes renames 'zz', which is neither an axis of the diagram nor the role of one\n"
                          "hint: its axes, each with its role: y (seq), m (hidden), f (out), o (out), g (out)\n")
    assert list(tmp_path.iterdir()) == []
    run = _ncd("import", f"{MODELS}:mlp", "-o", str(tmp_path / "m.ncd"), "--axes", "hiden=d", cwd=tmp_path)
    assert run.returncode == 2 and "hint: did you mean 'hidden'? its axes" in run.stderr, run.stderr


def test_an_axis_name_einops_refuses_is_refused_before_importing(tmp_path):
    """--axes hidden=_ wrote a diagram whose pairing ncd check then stopped in einops ('axis name should not start or end
    with underscore')."""
    run = _ncd("import", f"{MODELS}:mlp", "-o", str(tmp_path / "m.ncd"), "--axes", "hidden=_", cwd=tmp_path)
    assert run.returncode == 2 and "--axes: '_' starts or ends with _, which einops does not take as an axis name" in run.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("module, option", [("nn.LayerNorm(3, eps=0.0)", "eps=0"), ("nn.LayerNorm(3, eps=5.0)", "eps=5"),
                                            ("nn.LeakyReLU(-5.0)", "slope=-5")])
def test_a_setting_torch_takes_is_one_the_language_takes(tmp_path, module, option):
    """A layer norm with eps 0 or 5 and a leaky ReLU with a negative slope are valid PyTorch: the import wrote them,
    then refused its own diagram ('eps=0 is out of range', 'a bug in the importer'). The options take what torch does."""
    model = tmp_path / "m.py"
    model.write_text(f"import torch\nfrom torch import nn\n\ndef make():\n    return {module}, (torch.randn(2, 3),)\n")
    result = _ncd("import", f"{model}:make", "-o", "m.ncd", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert option in (tmp_path / "m.ncd").read_text()
    assert check_file(tmp_path / "m.ncd").passed


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "docs" / "imported").glob("*.ncd")))
def test_the_documented_imports_are_what_ncd_import_writes_and_they_check(name, tmp_path):
    """docs/import.md shows three imported files beside their modules; the MHA one had gone stale (an axis ``f`` where
    ``ncd import`` now reuses ``m``) with nothing to tell. Each is what importing its module writes today, its
    statements line for line, and checks against that module."""
    doc = ROOT / "docs" / "imported" / f"{name}.ncd"
    module = re.search(r"load_module\('([^']+)'", doc.with_suffix(".check.py").read_text()).group(1)
    path, _, func = (doc.parent / module).resolve().as_posix().rpartition(":")
    import_file(f"{path}:{func}", tmp_path / f"{name}.ncd")
    statements = lambda text: [line for line in text.splitlines() if line and not line.startswith("#")]  # noqa: E731
    assert statements((tmp_path / f"{name}.ncd").read_text()) == statements(doc.read_text())
    assert check_file(doc).passed
