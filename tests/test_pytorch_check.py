"""ncd check: the gallery agrees with independent implementations (torch's own
modules, the PyTorch tutorial's MLP, transformers' models), and a one-detail
change to a diagram makes its check fail at the changed statement."""
import json
import re
import shutil
from pathlib import Path

import pytest

from ncd_render.errors import NcdError
from ncd_render.pytorch.check import check_file

ROOT = Path(__file__).resolve().parents[1]
GALLERY = ROOT / "gallery"
PAIRED = sorted(p for p in GALLERY.glob("*.ncd") if p.with_name(p.stem + ".check.py").exists())
SMALL = json.loads((ROOT / "tests" / "small_sizes.json").read_text())  # every gallery diagram at sizes that run fast
FLOAT32_ONLY = {"mixtral", "deepseek_v3"}  # transformers' RMSNorm and routers compute in float32


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
    report = check_file(path, sizes=SMALL[path.stem])
    assert report.passed, str(report)
    assert {c.dtype for c in report.comparisons} == ({"float32"} if path.stem in FLOAT32_ONLY else {"float64", "float32"})
    assert all(c.max_rel < (1e-12 if c.dtype == "float64" else 1e-5) for c in report.comparisons), str(report)
    assert str(report).endswith("ok: the diagram agrees with " + report.reference)


def test_every_gallery_diagram_has_a_reference():
    assert PAIRED == sorted(GALLERY.glob("*.ncd"))


def test_multi_head_attention_at_full_size():
    report = check_file(GALLERY / "mha.ncd", batch=1, dtypes=("float32",), declared=True)
    assert report.passed, str(report)


def test_softmax_over_the_wrong_axis_is_found_at_the_softmax(tmp_path):
    path = mutant(tmp_path, "mha", ("P = softmax(S: x)", "P = softmax(S: y)"))
    report = check_file(path, sizes=SMALL["mha"])
    assert not report.passed
    assert report.first_failure().wire == "P"
    text = str(report)
    assert "FAIL: output(s) Y disagree with torch.nn.MultiheadAttention" in text
    assert "the first wire that disagrees is P (float64" in text
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



ECA = """axis h = 3 width
axis w = 4 width
axis c = 6
axis i = 3
input X[h w c]
P = mean(X: h w)
B = unfold(P: c -> c i) with padding=1
G = linear(B: i -> ) as w_eca
G = sigmoid(G)
Y = X * G
output Y
"""
ECA_REFERENCE = """import torch
from torch import nn
from ncd_render.pytorch.check import From, Reference

def reference(sizes):
    conv = nn.Conv1d(1, 1, 3, padding=1, bias=False) if ACROSS else nn.Conv1d(sizes["c"], sizes["c"], 1, bias=False)
    def forward(X):
        P = X.mean(dim=(-3, -2))
        G = conv(P.unsqueeze(-2)).squeeze(-2) if ACROSS else conv(P.unsqueeze(-1)).squeeze(-1)
        return X * torch.sigmoid(G)[..., None, None, :]
    return Reference(forward, conv, {"w_eca.weight": SOURCE}, name="ECA")
"""


@pytest.mark.parametrize("diagram, source, box", [
    (ECA, '"weight"', "w_eca"),  # a Conv1d's [1 1 3] for a map over i
    (None, None, "L_O"),  # MultiheadAttention's out_proj.weight [m (h k)] for L_O's [m k h]
    (ECA.replace("B = unfold(P: c -> c i) with padding=1\n", "").replace("axis i = 3\n", "").replace("B: i -> ", "P: c -> c"),
     '"weight"', "w_eca"),  # a 1x1 Conv1d's [out in 1] for a map from c to c (the second c, c_in in a pattern)
], ids=["conv1d", "packed heads", "1x1 conv1d"])
def test_a_parameter_of_another_shape_gets_the_pattern_that_fits_it(tmp_path, diagram, source, box):
    """A weight whose shape differs from the box's by dimensions of one, a transpose or a split gets the From
    patterns that fit it by size; one of them passes the check (the hint was a bare "expected ..., got ...")."""
    if diagram is None:
        path = tmp_path / "mha.ncd"
        shutil.copy(GALLERY / "mha.ncd", path)
        pairing_text = (GALLERY / "mha.check.py").read_text()
        pairing_text = pairing_text.replace('From("out_proj.weight", "m (h k) -> m k h")', 'From("out_proj.weight")')
        sizes = SMALL["mha"]
    else:
        path = tmp_path / "eca.ncd"
        path.write_text(diagram)
        pairing_text = ECA_REFERENCE.replace("ACROSS", str("unfold" in diagram)).replace("SOURCE", source)
        sizes = None
    path.with_name(path.stem + ".check.py").write_text(pairing_text)
    with pytest.raises(NcdError) as error:
        check_file(path, sizes=sizes)
    hint = str(error.value).split("hint: ")[-1]
    fits = re.findall(r'From\("[^"]+", "[^"]+"\)', hint)
    assert fits and str(error.value).startswith(f"{path}:") and f"{box}.weight: expected" in str(error.value)
    passed = []
    for fit in fits:
        fixed = pairing_text.replace('From("out_proj.weight")', fit) if diagram is None else pairing_text.replace('"weight"', fit)
        path.with_name(path.stem + ".check.py").write_text(fixed)
        try:
            passed.append(check_file(path, sizes=sizes).passed)
        except NcdError:
            passed.append(False)
    assert any(passed) and (len(fits) > 1 or all(passed))


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


def test_a_parameter_may_be_mapped_by_its_name_alone(tmp_path):
    """``{"L_1.weight": "1.weight"}`` is ``From("1.weight")``; mapped to anything else, the message says what a
    mapping holds (a plain name was an AttributeError traceback, the mapping being read as a From)."""
    body = ("def reference(sizes):\n"
            "    mlp = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 5))\n"
            "    params = {f'L_{i}.{p}': f'{2 * i - 1}.{p}' for i in (1, 2, 3) for p in ('weight', 'bias')}\n"
            "    {}\n"
            "    return Reference(lambda X: mlp(X).softmax(1), mlp, params)\n")
    assert check_file(pairing(tmp_path, body.replace("{}", "pass"), diagram="mlp"), sizes=SMALL["mlp"]).passed
    path = pairing(tmp_path, body.replace("{}", "params['L_2.weight'] = 3"), diagram="mlp")
    with pytest.raises(NcdError, match=r"the reference maps 'L_2.weight' to 3: parameters must map a diagram parameter's name"):
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


@pytest.mark.parametrize("made, said", [("torch.empty(len(Q), Q.shape[1], V.shape[2], device='meta')", "on the meta device, with no values"),
                                        ("torch.zeros(len(Q), Q.shape[1], V.shape[2]).to_sparse()", "sparse (torch.sparse_coo)")])
def test_a_reference_output_with_no_dense_values_is_reported(tmp_path, made, said):
    """A reference that gives an output on the meta device, or sparse, made the comparison raise: a traceback, and exit
    status 1, which says the diagram disagrees (a tester's)."""
    path = pairing(tmp_path, f"def reference(sizes):\n    return Reference(lambda Q, K, V: {{'O': {made}}}, name='odd')\n")
    with pytest.raises(NcdError, match=f"odd gives O {re.escape(said)}: ncd check compares dense tensors with values"):
        check_file(path, sizes=SMALL["sdpa"])


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


def test_a_wrong_dilation_is_found_at_the_convolution_tensor(tmp_path):
    path = mutant(tmp_path, "convolution", ("with dilation=2", "with stride=2"))
    square = {**SMALL["convolution"], "h": 6, "w": 6, "y": 6, "x": 6, "y2": 3, "x2": 3, "y3": 2, "x3": 2, "h2": 12, "w2": 12}
    report = check_file(path, sizes=square)  # at 6 x 6, stride 2 and dilation 2 give blocks of one size
    assert report.first_failure().wire == "B3"
    assert "convolution.ncd:35:8:" in str(report) and "B3 = unfold(X: h w -> y3 x3 i j) with stride=2" in str(report)
    assert "wires made before it that agree: B, B2, Y, Y2" in str(report)


def test_max_pooling_replaced_by_mean_is_found_at_the_pooling(tmp_path):
    path = mutant(tmp_path, "convolution", ("Y4 = max(B4: p p2)", "Y4 = mean(B4: p p2)"))
    report = check_file(path, sizes=SMALL["convolution"])
    assert report.first_failure().wire == "Y4" and "convolution.ncd:40:8:" in str(report)


def test_a_dropped_causal_mask_is_found_at_the_softmax_after_it(tmp_path):
    path = mutant(tmp_path, "mixtral", ("  S = mask(S: y x) with causal\n", ""))
    report = check_file(path, sizes=SMALL["mixtral"])
    first = report.first_failure()
    assert first.wire == "P" and first.max_rel > 0.1
    assert "FAIL: output(s) X disagree with transformers MixtralDecoderLayer" in str(report)
    assert "mixtral.ncd:25:7:" in str(report) and "P = softmax(S: x)" in str(report)


def test_rotate_half_pairs_in_deepseek_are_found_at_the_attention(tmp_path):
    path = mutant(tmp_path, "deepseek_v3", ("rope(QR: y r) with interleaved", "rope(QR: y r)"),
                  ("rope(KR: x r) with interleaved", "rope(KR: x r)"))
    report = check_file(path, sizes=SMALL["deepseek_v3"])
    assert report.first_failure().wire == "P"


def test_a_wrong_routing_scale_is_found_at_the_gate_and_named_as_one(tmp_path):
    path = mutant(tmp_path, "deepseek_v3", ("scale=2.5", "scale=1"))
    report = check_file(path, sizes=SMALL["deepseek_v3"])
    assert report.first_failure().wire == "G"
    text = str(report)
    assert "deepseek_v3.ncd:54:7:" in text and "it is 0.4 times the reference: is a scale factor wrong?" in text
    assert "wires made before it that agree: A, N, P" in text


def test_routing_without_expert_groups_is_found_at_the_gate(tmp_path):
    path = mutant(tmp_path, "deepseek_v3", ("groups=8, topk_groups=4, ", ""))
    assert check_file(path, sizes=SMALL["deepseek_v3"]).first_failure().wire == "G"


@pytest.mark.parametrize("layer, agrees", [("nn.BatchNorm2d(3)", True), ("nn.InstanceNorm2d(3, affine=True)", False)])
def test_batch_norm_takes_its_statistics_over_the_batch(tmp_path, layer, agrees):
    """As nn.BatchNorm2d in training mode; per-image statistics (instance norm) disagree."""
    (tmp_path / "bn.ncd").write_text("axis h = 4\naxis w = 5\naxis c = 3\ninput X[h w c]\n"
                                     "Y = batchnorm(X: h w) with affine as BN\noutput Y\n")
    (tmp_path / "bn.check.py").write_text(
        "from torch import nn\nfrom ncd_render.pytorch.check import From, Reference\n\n"
        f"def reference(sizes):\n    norm = {layer}\n"
        "    def forward(X):\n        return norm.train()(X.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)\n"
        "    return Reference(forward, norm, {'BN.weight': From('weight'), 'BN.bias': From('bias')})\n")
    assert check_file(tmp_path / "bn.ncd", batch=3).passed == agrees


@pytest.mark.parametrize("mode, option, hint", [
    ("norm", "", "ran in eval mode, with its running statistics"),  # ncd check left it in eval mode
    ("norm.train()", " with running", "ran in training mode, with the batch's statistics")])
def test_a_batch_norm_run_in_the_other_mode_is_named_in_a_hint(tmp_path, mode, option, hint):
    """A reference's nn.BatchNorm2d in eval mode against the diagram's batch statistics (a new user's CBAM check), or in
    training mode against 'with running': the failure says which module ran in which mode."""
    (tmp_path / "bn.ncd").write_text("axis h = 4\naxis w = 5\naxis c = 3\ninput X[h w c]\n"
                                     f"Y = batchnorm(X: h w) with affine{option.replace(' with', ',')} as BN\noutput Y\n")
    (tmp_path / "bn.check.py").write_text(
        "from torch import nn\nfrom ncd_render.pytorch.check import From, Reference\n\n"
        "def reference(sizes):\n    norm = nn.BatchNorm2d(3)\n    norm.running_mean.fill_(0.5)\n"
        f"    def forward(X):\n        return {mode}(X.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)\n"
        "    return Reference(forward, norm, {'BN.weight': From('weight'), 'BN.bias': From('bias')"
        + (", 'BN.running_mean': From('running_mean'), 'BN.running_var': From('running_var')" if option else "") + "})\n")
    report = check_file(tmp_path / "bn.ncd", batch=3)
    assert not report.passed
    assert f"hint: the reference's BatchNorm2d {hint}" in str(report)


def test_a_batch_norm_in_the_other_mode_is_named_when_only_a_wire_after_it_is_compared(tmp_path):
    """A new user's MBConv reference without .train(): only its gate and output were exposed, so the first wire to
    disagree was the squeeze-excitation's sigmoid, and the failure said nothing of the batch norm before it."""
    (tmp_path / "bn.ncd").write_text("axis h = 4\naxis w = 5\naxis c = 3\ninput X[h w c]\n"
                                     "Y = batchnorm(X: h w) with affine as BN\nG = sigmoid(Y)\noutput G\n")
    (tmp_path / "bn.check.py").write_text(
        "from torch import nn\nfrom ncd_render.pytorch.check import From, Reference\n\n"
        "def reference(sizes):\n    norm = nn.BatchNorm2d(3)\n    norm.running_mean.fill_(0.5)\n"
        "    def forward(X):\n        return norm(X.permute(0, 3, 1, 2)).permute(0, 2, 3, 1).sigmoid()\n"
        "    return Reference(forward, norm, {'BN.weight': From('weight'), 'BN.bias': From('bias')})\n")
    report = check_file(tmp_path / "bn.ncd", batch=3)
    assert not report.passed and report.first_failure().wire == "G"
    assert "hint: the reference's BatchNorm2d ran in eval mode, with its running statistics (ncd check puts the reference " \
           "module in eval mode), but line 5's batchnorm, before this wire, uses the batch's statistics" in str(report), str(report)


MASKED = ("axis y = 4 width\naxis x = y width\ninput S[y x]\nM = mask(S: y x) with causal\noutput M\n",
          "import torch\nfrom ncd_render.pytorch.check import Reference\n\n"
          "def reference(sizes):\n    def forward(S):\n        future = torch.ones(4, 4).triu(1).bool()\n"
          "        return {'M': MASKED}\n"
          "    return Reference(forward, torch.nn.Module(), {})\n")


@pytest.mark.parametrize("mask, passed", [("S.masked_fill(future, float('-inf'))", True), ("S", False),
                                          ("S.masked_fill(future, torch.finfo(S.dtype).min)", True),
                                          ("S.masked_fill(future.T, float('-inf'))", False)])
def test_masked_scores_agree_where_both_are_minus_infinity(tmp_path, mask, passed):
    """A new user exposed ALiBi's masked scores: both sides held -inf in the same places and equal values elsewhere,
    and the check said 'max abs nan ... FAIL'. Infinities alike on both sides agree, and are counted, as does a mask
    written with the dtype's lowest number (transformers'); a mask on one side only, or the other triangle, fails,
    by a finite relative error (it was NaN)."""
    (tmp_path / "m.ncd").write_text(MASKED[0])
    (tmp_path / "m.check.py").write_text(MASKED[1].replace("MASKED", mask))
    report = check_file(tmp_path / "m.ncd", batch=2)
    assert report.passed == passed, str(report)
    assert ("(12 -inf alike)" in str(report)) == passed  # 6 above the diagonal, each of 2 in the batch
    assert "nan" not in str(report)


def test_a_wire_that_is_nan_everywhere_on_both_sides_fails_with_why(tmp_path):
    """A graph convolution's degree^-1/2 of random inputs of either sign: NaN on both sides, everywhere. Nothing was
    compared, so it does not pass; the hint says where NaN comes from."""
    (tmp_path / "n.ncd").write_text("axis y = 3\naxis m = 2\ninput X[y m]\nR = sum(X: m)\nR = R - 100\nY = rsqrt(R)\noutput Y\n")
    (tmp_path / "n.check.py").write_text("import torch\nfrom ncd_render.pytorch.check import Reference\n\n"
                                         "def reference(sizes):\n    def forward(X):\n        return {'Y': (X.sum(-1) - 100).rsqrt()}\n"
                                         "    return Reference(forward, torch.nn.Module(), {})\n")
    report = check_file(tmp_path / "n.ncd", batch=2)
    assert not report.passed and "(6 NaN alike)" in str(report)
    assert "hint: both sides give NaN in the same places and nothing finite is left to compare" in str(report)


def test_a_reference_with_its_dropout_on_is_named_in_a_hint(tmp_path):
    """A new user's PointNet reference left dropout on: the failure pointed at the log-softmax, with nothing on why.
    Run again on the same inputs the reference gives other results, and the hint says so; one with none passes."""
    (tmp_path / "d.ncd").write_text("axis y = 3\naxis m = 4\ninput X[y m]\nY = relu(X)\noutput Y\n")
    body = ("import torch\nfrom torch.nn import functional as F\nfrom ncd_render.pytorch.check import Reference\n\n"
            "def reference(sizes):\n    def forward(X):\n        return {'Y': F.dropout(X.relu(), 0.5, training=P)}\n"
            "    return Reference(forward, torch.nn.Module(), {})\n")
    for on in (True, False):
        (tmp_path / "d.check.py").write_text(body.replace("training=P", f"training={on}"))
        report = check_file(tmp_path / "d.ncd", batch=2)
        assert report.passed != on and ("hint: the reference gave other results when run again" in str(report)) == on


def test_a_reference_nan_where_the_diagram_is_not_gets_its_own_hint_not_dropouts(tmp_path):
    """A new user's dense GAT kept the wrong keys (`with keep`): whole softmax rows hidden, the reference NaN there.
    Run twice it is NaN twice, in the same places: it was named a dropout left on (NaN != NaN); the hint now says
    which side gives NaN where the other gives numbers."""
    (tmp_path / "g.ncd").write_text("axis y = 3\naxis x = 4 width\ninput S[y x]\nP = softmax(S: x)\noutput P\n")
    (tmp_path / "g.check.py").write_text(
        "import torch\nfrom ncd_render.pytorch.check import Reference\n\n"
        "def reference(sizes):\n    def forward(S):\n        S = S.clone()\n        S[:, 0] = float('-inf')\n"
        "        return {'P': S.softmax(-1)}\n    return Reference(forward, torch.nn.Module(), {})\n")
    report = str(check_file(tmp_path / "g.ncd", batch=2))
    assert "hint: the reference gives NaN at 8 elements of P where the diagram gives numbers" in report, report
    assert "gave other results when run again" not in report


@pytest.mark.parametrize("pattern, hint", [
    ("o i 1 -> o i", "in a pattern the diagram's axes o (3) and i (4) stand for their sizes"),  # a Conv1d's kernel of one
    ("a b i -> i", "a dim of one is written 1 (1 1 i -> i)"),  # RWKV's time_mix [1 1 m]
])
def test_a_pattern_einops_refuses_gets_a_hint_in_the_diagrams_terms(tmp_path, pattern, hint):
    """New users' mapping patterns: letters that are also the diagram's axes are bound to its sizes ("Shape mismatch,
    4 != 3"), and words on the left alone are refused ("Unexpected identifiers..."): einops' words, passed through."""
    (tmp_path / "p.ncd").write_text("axis o = 3\naxis i = 4\ninput X[o]\nY = linear(X: o -> i) as L\noutput Y\n")
    shape = "(4, 3, 1)" if "1" in pattern else "(1, 1, 4)"
    (tmp_path / "p.check.py").write_text(
        "import torch\nfrom ncd_render.pytorch.check import From, Reference\n\n"
        f"def reference(sizes):\n    m = torch.nn.Module()\n    m.w = torch.nn.Parameter(torch.zeros{shape})\n"
        "    def forward(X):\n        return {'Y': X}\n"
        f"    return Reference(forward, m, {{'L.weight': From('w', '{pattern}')}})\n")
    with pytest.raises(NcdError, match=f"L.weight: pattern '{pattern}' does not fit w") as caught:
        check_file(tmp_path / "p.ncd")
    assert caught.value.hint.startswith(hint) and "  " not in caught.value.message, caught.value


def test_integer_inputs_get_ids_below_the_vocabulary(tmp_path):
    (tmp_path / "ids.ncd").write_text("axis t = 7\naxis s = t\naxis v = 3\naxis m = 2\ninput T[t] int\n"
                                      "Ts = rename(T: t -> s)\nE = embedding(Ts: v -> m) as E\noutput E\n")
    (tmp_path / "ids.check.py").write_text("from torch import nn\nfrom ncd_render.pytorch.check import From, Reference\n\n"
                                           "def reference(sizes):\n    table = nn.Embedding(sizes['v'], sizes['m'])\n"
                                           "    return Reference(table, table, {'E.weight': From('weight')}, name='nn.Embedding')\n")
    assert check_file(tmp_path / "ids.ncd", batch=50).passed  # ids of 3 or more would raise in nn.Embedding
    (tmp_path / "ids.ncd").write_text("axis t = 7\ninput T[t] int\nY = identity(T)\noutput Y\n")
    with pytest.raises(NcdError, match="ids.ncd:2:7: ncd check cannot choose ids for the integer input T: no embedding reads it") \
            as info:
        check_file(tmp_path / "ids.ncd")
    assert info.value.hint == "an attention mask of 0s and 1s is flags: declare it 'input T[...] bool' and hide the scores with " \
                              "mask(S, T) with keep"


def test_parameters_of_repeated_blocks_are_named_per_repetition(tmp_path):
    (tmp_path / "deep.ncd").write_text('axis m = 3\ninput X[m]\nrepeat 2 "Layer"\n  X = linear(X: m -> m) with bias as L\nend\noutput X\n')
    body = ("from torch import nn\nfrom ncd_render.pytorch.check import From, Reference\n\n"
            "def reference(sizes):\n    net = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))\n"
            "    parameters = {f'layer.{i}.L.{p}': From(f'{i}.{p}') for i in range(2) for p in ('weight', 'bias')}\n")
    (tmp_path / "deep.check.py").write_text(body + "    return Reference(net, net, parameters)\n")
    assert check_file(tmp_path / "deep.ncd").passed
    (tmp_path / "deep.check.py").write_text(body + "    parameters['layers.1.L.bias'] = parameters.pop('layer.1.L.bias')\n"
                                             "    return Reference(net, net, parameters)\n")
    with pytest.raises(NcdError, match="maps '1.bias' to layers.1.L.bias, but the diagram has no learned box 'layers.1.L'\n"
                                       "hint: did you mean 'layer.1.L'"):
        check_file(tmp_path / "deep.ncd")


def test_a_slice_that_does_not_fit_is_reported_with_the_index(tmp_path):
    (tmp_path / "half.ncd").write_text("axis m = 4\naxis f = 3\ninput X[m]\nY = linear(X: m -> f) as L\noutput Y\n")
    (tmp_path / "half.check.py").write_text("from torch import nn\nfrom ncd_render.pytorch.check import From, Reference\n\n"
                                            "def reference(sizes):\n    packed = nn.Linear(4, 6, bias=False)\n"
                                            "    return Reference(lambda X: packed(X)[..., :3], packed,\n"
                                            "                     {'L.weight': From('weight', index=slice(0, 2))})\n")
    with pytest.raises(NcdError, match=r"half.ncd:4:5: L.weight: expected \[f=3 m=4\], got \[2 4\] from weight \[6 4\], indexed \[0:2\]"):
        check_file(tmp_path / "half.ncd")


def test_integer_ids_are_compared_exactly_not_within_a_tolerance():
    """An argmax's ids one place off out of 20,000 are within float32's relative tolerance (1e-4 of the largest, 2),
    but a different code or token: integer wires pass only where they are equal."""
    import torch

    from ncd_render.ir import Op
    from ncd_render.pytorch.compare import comparison

    theirs = torch.arange(0, 20_000, 7, dtype=torch.float64)
    mine = theirs.clone()
    mine[3] += 1
    op = Op(0, "argmax", (), ())
    assert comparison("float32", "I", True, mine, theirs, op).passed  # as real numbers, it would pass
    assert not comparison("float32", "I", True, mine, theirs, op, exact=True).passed
    assert comparison("float32", "I", True, theirs.clone(), theirs, op, exact=True).passed


WINDOWED = ("axis y = 4096\naxis x = y\naxis m = 4096\ninput Q[y m], K[x m]\nS = einsum(Q, K: y m, x m -> y x)\n"
            "S = mask(S: y x) with causal, window=WINDOW\nP = softmax(S: x)\noutput P\n")
WINDOWED_REFERENCE = ("import torch\nfrom ncd_render.pytorch.check import Reference\n\n"
                      "def reference(sizes):\n    def forward(Q, K):\n        S = torch.einsum('bym,bxm->byx', Q, K)\n"
                      "        y = torch.arange(S.shape[1])\n        offset = y[:, None] - y[None, :]\n"
                      "        S = S.masked_fill((offset < 0) | (offset >= 4), float('-inf'))\n"
                      "        return {'P': S.softmax(-1)}\n    return Reference(forward, torch.nn.Module(), {})\n")


@pytest.mark.parametrize("window, passes", [(4, True), (3, False), (2, False)])
def test_sizes_ncd_check_chooses_keep_a_window_shorter_than_the_keys(tmp_path, window, passes):
    """A new user's Mamba-2 with a wrong window=2 passed at the sizes ncd check chose (two keys: a window of two hides
    nothing more than the causal mask). The sizes chosen keep every window shorter than its keys, so a wrong one fails."""
    (tmp_path / "w.ncd").write_text(WINDOWED.replace("WINDOW", str(window)))
    (tmp_path / "w.check.py").write_text(WINDOWED_REFERENCE)
    report = check_file(tmp_path / "w.ncd", batch=2)
    assert report.passed == passes, str(report)
    assert report.sizes["x"] > window and "so a wrong value passes" not in str(report)


def test_a_check_line_too_small_for_a_window_notes_that_it_cannot_tell(tmp_path):
    """At a check line whose keys are no more than the window, a wrong window passes: the report says so."""
    (tmp_path / "w.ncd").write_text(WINDOWED.replace("WINDOW", "3") + "check y=3, m=4\n")
    (tmp_path / "w.check.py").write_text(WINDOWED_REFERENCE)
    report = check_file(tmp_path / "w.ncd", batch=2)
    assert report.passed and "its window=3 is as long as the keys (x = 3)" in str(report)
    assert "so a wrong value passes at these sizes" in str(report)


def test_inputs_reach_a_reference_by_name_where_its_parameters_are_named_as_they_are(tmp_path):
    """Render advised declaring an LSTM cell's inputs as C, X, H (fewer crossings); done, ncd check handed them to the
    reference's forward(X, H, C) in the new order, and failed: two inputs of one shape swapped would only disagree."""
    (tmp_path / "gate.ncd").write_text("axis b = 3 width\naxis h = 4\ninput C[b h], H[b h]\nY = H - C\nY = tanh(Y)\noutput Y\n")
    (tmp_path / "gate.check.py").write_text("from ncd_render.pytorch.check import Reference\n\n\ndef reference(sizes):\n"
                                            "    return Reference(lambda H, C: (H - C).tanh())\n")
    assert check_file(tmp_path / "gate.ncd").passed
    (tmp_path / "gate.check.py").write_text("from ncd_render.pytorch.check import Reference\n\n\ndef reference(sizes):\n"
                                            "    return Reference(lambda a, b: (b - a).tanh())\n")  # unnamed: in declaration order
    assert check_file(tmp_path / "gate.ncd").passed


ROOT_OF_A_SUM = ("axis y = 4 width\naxis x = y width\ninput A[y x]\nD = sum(A: x)\nD = rsqrt(D)\noutput D\ncheck y=4\n",
                 "import torch\nfrom ncd_render.pytorch.check import Reference\n\n"
                 "def reference(sizes):\n    def forward(A):\n        return {'D': A.sum(-1).rsqrt()}\n"
                 "    return Reference(forward, torch.nn.Module(), {})\n")


def test_an_ok_with_most_values_nan_on_both_sides_says_how_few_were_compared(tmp_path):
    """The rsqrt of a sum of signed inputs is NaN wherever the sum is negative: the check said a plain 'ok (6 NaN
    alike)', 6 of the 8 values never compared. The ok comes with a note of how many of how many were compared, and
    why; the documented way out (abs of the input on both sides) compares every value, with no note."""
    (tmp_path / "d.ncd").write_text(ROOT_OF_A_SUM[0])
    counted = "        (__import__('pathlib').Path(__file__).parent / 'negative.txt').write_text(str(int((A.sum(-1) < 0).sum())))\n"
    (tmp_path / "d.check.py").write_text(ROOT_OF_A_SUM[1].replace("        return {'D'", counted + "        return {'D'"))
    report = check_file(tmp_path / "d.ncd", batch=2)
    undefined, values = int((tmp_path / "negative.txt").read_text()), 2 * 4  # (the sums the reference saw below 0)
    assert 2 * undefined > values
    text = str(report)
    assert report.passed and f"({undefined} NaN alike)" in text, text
    assert f"note: D is NaN on both sides at {undefined} of its {values} values ({values - undefined} compared)" in text, text
    assert "a square root, rsqrt or log of something that goes negative" in text
    (tmp_path / "d.ncd").write_text(ROOT_OF_A_SUM[0].replace("D = sum", "A = abs(A)\nD = sum"))
    (tmp_path / "d.check.py").write_text(ROOT_OF_A_SUM[1].replace("A.sum(-1)", "A.abs().sum(-1)"))
    report = check_file(tmp_path / "d.ncd", batch=2)
    assert report.passed and "NaN" not in str(report), str(report)


SQUARED_RELU = ("axis y = 5 width\naxis x = y width\naxis s = 4\ninput Z[y s]\nZ = silu(Z)\n"
                "Q = layerscale(Z: s) as g_q\nQ = bias(Q: s) as b_q\nK = layerscale(Z: s) as g_k\nK = bias(K: s) as b_k\n"
                "Kx = rename(K: y -> x)\nA = einsum(Q, Kx: y s, x s -> y x) * SCALE\nA = relu(A)\nA = square(A)\noutput A\n",
                "import torch\nfrom torch import nn\nfrom torch.nn import functional as F\n"
                "from ncd_render.pytorch.check import From, Reference\n\n\n"
                "class M(nn.Module):\n    def __init__(self, s):\n        super().__init__()\n"
                "        self.gamma = nn.Parameter(torch.ones(2, s))\n        self.beta = nn.Parameter(torch.zeros(2, s))\n\n"
                "    def forward(self, z):\n        z = F.silu(z)\n"
                "        q, k = (z[..., None, :] * self.gamma + self.beta).unbind(-2)\n"
                "        return F.relu(q @ k.transpose(-1, -2) / z.shape[-2]) ** 2\n\n\n"
                "def reference(sizes):\n    m = M(sizes['s'])\n"
                "    return Reference(m.forward, m, {'g_q.weight': From('gamma', index=0), 'g_k.weight': From('gamma', index=1),\n"
                "                                    'b_q.weight': From('beta', index=0), 'b_k.weight': From('beta', index=1)})\n")


HIDING = 3  # the seed at which the repro's random offsets make every score negative: A is 0 on both sides (asserted)


def squared_relu(tmp_path, scale):
    """GAU's squared-ReLU attention, relu(q k / n)^2, its scores scaled by ``scale``, and its pairing."""
    (tmp_path / "a.ncd").write_text(SQUARED_RELU[0].replace("SCALE", scale))
    (tmp_path / "a.check.py").write_text(SQUARED_RELU[1])
    return tmp_path / "a.ncd"


def test_a_wrong_scale_under_a_relu_that_is_zero_everywhere_does_not_pass(tmp_path):
    """A new user's Gated Attention Unit scaled its scores by n^-1/2 for 1/n and passed: the random offsets made every
    score negative, A was 0 on both sides, and the report said 'max abs 0.00e+00 ... ok'. A later seed gives A
    values, and the scale is found, the report saying which seed and why; with no further seed tried, A is untested
    and the check fails all the same."""
    path = squared_relu(tmp_path, "y^-1/2")
    report = check_file(path, seed=HIDING)
    text = str(report)
    assert not report.passed and report.first_failure().wire == "A", text
    assert report.others[HIDING] == {"A": 0.0} and report.seed > HIDING, text
    assert f"seed {report.seed}, not {HIDING}: seed {HIDING} left A at 0 everywhere on both sides" in text, text
    assert "times the reference: is a scale factor wrong?" in text
    alone = check_file(path, seed=HIDING, further_seeds=0)
    assert not alone.passed and all(c.passed for c in alone.comparisons), str(alone)  # (it agrees, as 0 does with 0)
    assert "UNTESTED: 0 everywhere" in str(alone) and "ok: the diagram agrees" not in str(alone)


def test_a_right_diagram_whose_wire_is_zero_at_first_passes_at_a_later_seed_that_it_names(tmp_path):
    """The same attention scaled rightly, 1/n, at the seed that leaves A 0: it passes at a later seed, which the
    report names, and --seed with that one gives the same comparison again."""
    path = squared_relu(tmp_path, "y^-1")
    report = check_file(path, seed=HIDING)
    text = str(report)
    assert report.passed and f", not {HIDING}: seed {HIDING} left A at 0 everywhere on both sides" in text, text
    assert report.others[HIDING] == {"A": 0.0} and not report.flat(), text
    assert f"batch 2, seed {report.seed};" in text and f"--seed {report.seed} gives these inputs and weights again" in text
    again = check_file(path, seed=report.seed)
    assert not again.others and [c.max_abs for c in again.comparisons] == [c.max_abs for c in report.comparisons]


def test_a_wire_that_is_zero_at_every_seed_fails_as_untested(tmp_path):
    """A ReLU of a negative square is 0 whatever the inputs: no seed tells a mistake in it from none. Every wire
    agrees, yet the check fails (exit 1), naming the wire and the seeds tried, and says where such wires come from."""
    (tmp_path / "z.ncd").write_text("axis y = 3\naxis m = 4\ninput X[y m]\nS = square(X)\nS = S * -1\nA = relu(S)\n"
                                    "Y = X + A\noutput Y\n")
    (tmp_path / "z.check.py").write_text("import torch\nfrom ncd_render.pytorch.check import Reference\n\n"
                                         "def reference(sizes):\n    def forward(X):\n        a = (-X.square()).relu()\n"
                                         "        return {'A': a, 'Y': X + a}\n    return Reference(forward, torch.nn.Module(), {})\n")
    report = check_file(tmp_path / "z.ncd", seed=7)
    text = str(report)
    assert not report.passed and report.first_failure() is None and report.seed == 7 and report.flat() == {"A": 0.0}, text
    assert sorted(report.others) == [8, 9, 10, 11] and all(left == {"A": 0.0} for left in report.others.values())
    assert "FAIL: ncd check could not test A: at seed 7 it is 0 everywhere on both sides, where no mistake in it can " \
           "show, and so it is at seeds 8 to 11" in text, text
    assert "leave it out of what the reference returns" in text  # (A is a wire, not an output)
    from click.testing import CliRunner
    from ncd_render.cli import main
    assert CliRunner().invoke(main, ["check", str(tmp_path / "z.ncd")]).exit_code == 1


def test_no_further_seed_is_tried_beyond_the_checks_arithmetic_limit(tmp_path, monkeypatch):
    """Each further seed runs the whole check again: only as many are tried as keep it within its FLOP limit, and
    where none fits the untested wire still fails, the verdict saying that no other seed was tried."""
    from ncd_render.pytorch import check as check_module

    (tmp_path / "z.ncd").write_text("axis y = 3\naxis m = 4\ninput X[y m]\nS = square(X)\nS = S * -1\nA = relu(S)\noutput A\n")
    (tmp_path / "z.check.py").write_text("import torch\nfrom ncd_render.pytorch.check import Reference\n\n"
                                         "def reference(sizes):\n    return Reference(lambda X: (-X.square()).relu())\n")
    assert sorted(check_file(tmp_path / "z.ncd").others) == [1, 2, 3, 4]
    monkeypatch.setattr(check_module, "MAX_FLOPS", 1)
    report = check_file(tmp_path / "z.ncd")
    assert not report.passed and not report.others and report.flat() == {"A": 0.0}
    text = str(report)
    assert "at seed 0 it is 0 everywhere on both sides, where no mistake in it can show, and no other seed was tried" in text
    assert "leave it out of what the reference returns" not in text  # (A is the output)
