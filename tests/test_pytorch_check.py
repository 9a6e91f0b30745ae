"""ncd check: the gallery agrees with independent implementations (torch's own
modules, the PyTorch tutorial's MLP), and a one-detail change to a diagram
makes its check fail at the changed statement."""
import shutil
from pathlib import Path

import pytest

from ncd_render.errors import NcdError
from ncd_render.pytorch.check import check_file

ROOT = Path(__file__).resolve().parents[1]
GALLERY = ROOT / "gallery"
PAIRED = sorted(p for p in GALLERY.glob("*.ncd") if p.with_name(p.stem + ".check.py").exists())
SMALL = {"mha": {"y": 5, "x": 6, "m": 12, "h": 3}, "sdpa": {"y": 5, "x": 6, "k": 4, "v": 3},
         "flash_attention": {"y": 5, "x": 6, "k": 4, "v": 3}, "attention_scores": {"y": 5, "x": 6, "k": 4, "h": 3},
         "mlp": {"r": 3, "c": 4, "m": 8, "o": 5}}


def mutant(tmp_path, name, *edits):
    """A copy of gallery/NAME.ncd (and its pairing) with each (old, new) edit made exactly once."""
    text = (GALLERY / f"{name}.ncd").read_text()
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (tmp_path / f"{name}.ncd").write_text(text)
    shutil.copy(GALLERY / f"{name}.check.py", tmp_path / f"{name}.check.py")
    return tmp_path / f"{name}.ncd"


@pytest.mark.parametrize("path", PAIRED, ids=[p.stem for p in PAIRED])
def test_gallery_diagrams_agree_with_their_references(path):
    report = check_file(path, sizes=SMALL.get(path.stem))
    assert report.passed, str(report)
    assert {c.dtype for c in report.comparisons} == {"float64", "float32"}
    assert all(c.max_rel < (1e-12 if c.dtype == "float64" else 1e-5) for c in report.comparisons), str(report)
    assert str(report).endswith("ok: the diagram agrees with " + report.reference)


def test_the_references_cover_the_gallery_named_in_the_paper():
    assert {"mha", "sdpa", "attention_scores", "mlp"} <= {p.stem for p in PAIRED}


def test_multi_head_attention_at_full_size():
    report = check_file(GALLERY / "mha.ncd", batch=1, dtypes=("float32",))
    assert report.passed, str(report)


def test_softmax_over_the_wrong_axis_is_found_at_the_softmax(tmp_path):
    path = mutant(tmp_path, "mha", ("P = softmax(S: x)", "P = softmax(S: y)"))
    report = check_file(path, sizes=SMALL["mha"])
    assert not report.passed
    assert report.first_failure().wire == "P"
    text = str(report)
    assert "FAIL: output(s) Y disagree with torch.nn.MultiheadAttention" in text
    assert f"the first wire that disagrees is P (float64" in text
    assert "mha.ncd:16:7:" in text and "P = softmax(S: y)" in text


def test_a_wrong_scale_is_found_at_the_scale_and_named_as_one(tmp_path):
    path = mutant(tmp_path, "attention_scores", ("* k^-1/2", "* k^-1"))
    report = check_file(path, sizes=SMALL["attention_scores"])
    assert not report.passed
    text = str(report)
    assert "attention_scores.ncd:12:43:" in text  # the caret is under k^-1
    assert "it is 0.5 times the reference: is a scale factor wrong?" in text  # k = 4: 1/4 instead of 1/2


def test_a_transposed_flatten_is_found_at_the_rearrange(tmp_path):
    path = mutant(tmp_path, "mlp", ("r c -> (r c)", "r c -> (c r)"), ("linear(F: (r c) -> m)", "linear(F: (c r) -> m)"))
    report = check_file(path, sizes=SMALL["mlp"])
    assert report.first_failure().wire == "F"
    assert "mlp.ncd:10:5:" in str(report) and "wires made before it that agree: none compared" in str(report)


def test_a_dropped_relu_is_found_after_the_last_agreeing_wire(tmp_path):
    path = mutant(tmp_path, "mlp", ("H = relu(H)\nZ", "Z"))
    report = check_file(path, sizes=SMALL["mlp"])
    assert report.first_failure().wire == "Z"
    assert "wires made before it that agree: F" in str(report)


def test_without_intermediates_the_failing_output_is_named(tmp_path):
    path = mutant(tmp_path, "sdpa", ("P = softmax(S: x)", "P = softmax(S: y)"))
    report = check_file(path, sizes=SMALL["sdpa"])
    assert not report.passed
    assert "FAIL: output(s) O disagree" in str(report) and "sdpa.ncd:12:5:" in str(report)


def test_a_dropped_bias_names_the_box(tmp_path):
    path = mutant(tmp_path, "mha", ("Y = linear(O: k h -> m) with bias as L_O", "Y = linear(O: k h -> m) as L_O"))
    with pytest.raises(NcdError) as error:
        check_file(path, sizes=SMALL["mha"])
    assert "mha.ncd:19:5: the reference maps 'out_proj.bias' to L_O.bias, but box L_O has no bias" in str(error.value)


def test_swapped_head_axes_give_a_shape_error_naming_the_parameter(tmp_path):
    path = mutant(tmp_path, "mha", ("-> y k h)\nend", "-> y h k)\nend"), ("linear(O: k h -> m)", "linear(O: h k -> m)"))
    with pytest.raises(NcdError) as error:
        check_file(path, sizes=SMALL["mha"])
    assert ("mha.ncd:19:5: L_O.weight: expected [m=12 h=3 k=4], got [12 4 3] "
            "from out_proj.weight [12 12], rearranged 'm (h k) -> m k h'") in str(error.value)


def pairing(tmp_path, body, diagram="sdpa"):
    """gallery/DIAGRAM.ncd beside a pairing file with the given body."""
    shutil.copy(GALLERY / f"{diagram}.ncd", tmp_path / f"{diagram}.ncd")
    (tmp_path / f"{diagram}.check.py").write_text("import torch\nfrom torch import nn\n"
                                                 "from ncd_render.pytorch.check import From, Reference\n\n" + body)
    return tmp_path / f"{diagram}.ncd"


def test_a_missing_reference_parameter_is_named(tmp_path):
    path = pairing(tmp_path, "def reference(sizes):\n"
                             "    mlp = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 5))\n"
                             "    params = {f'L_{i}.{p}': From(f'{2 * i - 1}.{p}') for i in (1, 2, 3) for p in ('weight', 'bias')}\n"
                             "    params['L_2.weight'] = From('3.weights')\n"
                             "    return Reference(lambda X: mlp(X).softmax(1), mlp, params)\n", diagram="mlp")
    with pytest.raises(NcdError, match=r"the reference has no parameter '3.weights' \(mapped to L_2.weight\)\nhint: did you mean '3.weight'"):
        check_file(path, sizes=SMALL["mlp"])


def test_an_unmapped_diagram_parameter_is_named(tmp_path):
    path = pairing(tmp_path, "def reference(sizes):\n"
                             "    mlp = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 5))\n"
                             "    params = {f'L_{i}.{p}': From(f'{2 * i - 1}.{p}') for i in (1, 2) for p in ('weight', 'bias')}\n"
                             "    return Reference(lambda X: mlp(X).softmax(1), mlp, params)\n", diagram="mlp")
    with pytest.raises(NcdError, match=r"mlp.ncd:15:5: diagram parameter\(s\) L_3.weight \[o=5 m=8\], L_3.bias \[o=5\] have no source"):
        check_file(path, sizes=SMALL["mlp"])


def test_a_reference_that_raises_is_reported_with_where(tmp_path):
    path = pairing(tmp_path, "def reference(sizes):\n    return Reference(lambda Q, K, V: Q @ V, name='bad matmul')\n")
    with pytest.raises(NcdError) as error:
        check_file(path, sizes=SMALL["sdpa"])
    assert str(error.value).startswith("bad matmul raised RuntimeError:")
    assert "sdpa.check.py:6" in str(error.value)


def test_a_reference_output_of_the_wrong_shape_is_reported(tmp_path):
    path = pairing(tmp_path, "def reference(sizes):\n    return Reference(lambda Q, K, V: {'O': Q}, name='identity')\n")
    with pytest.raises(NcdError, match=r"sdpa.ncd:12:5: identity gives O as \[2 5 4\], the diagram as \[batch=2 y=5 v=3\]"):
        check_file(path, sizes=SMALL["sdpa"])


def test_a_reference_naming_an_unknown_wire_is_reported(tmp_path):
    path = pairing(tmp_path, "def reference(sizes):\n    return Reference(lambda Q, K, V: {'O': Q, 'Pp': Q}, name='r')\n")
    with pytest.raises(NcdError, match="r returns 'Pp', but the diagram has no tensor of that name\nhint: did you mean 'P'"):
        check_file(path, sizes=SMALL["sdpa"])


def test_a_diagram_without_a_pairing_says_how_to_add_one(tmp_path):
    shutil.copy(GALLERY / "sdpa.ncd", tmp_path / "sdpa.ncd")
    with pytest.raises(NcdError, match=r"no reference to check .*sdpa.ncd against\nhint: write .*sdpa.check.py defining reference"):
        check_file(tmp_path / "sdpa.ncd")


def test_an_explicit_reference_module(tmp_path):
    shutil.copy(GALLERY / "flash_attention.ncd", tmp_path / "fa.ncd")
    report = check_file(tmp_path / "fa.ncd", reference=str(GALLERY / "sdpa.check.py"), sizes=SMALL["sdpa"])
    assert report.passed, str(report)
    with pytest.raises(NcdError, match="defines no function 'nothing'"):
        check_file(tmp_path / "fa.ncd", reference=str(GALLERY / "sdpa.check.py") + ":nothing")
