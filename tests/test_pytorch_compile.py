"""compile_diagram: every diagram runs, with weights named after its boxes and
shapes checked as it goes. Expected values come from plain torch code
(reshape, matmul, nn.LayerNorm, ...), never from einops."""
import math
from pathlib import Path
import subprocess
import sys

import pytest
import torch
from torch import nn

from ncd_render.errors import NcdError
from ncd_render.ir import build
from ncd_render.parse import parse, parse_file
from ncd_render.pytorch.compile import compile_diagram

ROOT = Path(__file__).resolve().parents[1]

MHA_SMALL = {"y": 5, "x": 6, "m": 12, "h": 3}


def module_for(text, **build_options):
    return compile_diagram(build(parse(text, "t.ncd"), **build_options)).double()


def test_every_gallery_diagram_runs(gallery_file):
    diagram = build(parse_file(gallery_file))
    module = compile_diagram(diagram)
    inputs = [torch.randn(2, *diagram.shape(v)) for v in diagram.inputs]
    outputs = module(*inputs)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    assert [tuple(o.shape) for o in outputs] == [(2, *diagram.shape(v)) for v in diagram.outputs]
    assert all(torch.isfinite(o).all() for o in outputs)


def test_parameters_are_named_after_the_boxes_in_the_documented_layout():
    module = compile_diagram(build(parse_file(ROOT / "gallery" / "mha.ncd"), sizes=MHA_SMALL))
    shapes = {name: tuple(p.shape) for name, p in module.state_dict().items()}
    assert shapes == {"L_Q.weight": (4, 3, 12), "L_Q.bias": (4, 3), "L_K.weight": (4, 3, 12), "L_K.bias": (4, 3),
                      "L_V.weight": (4, 3, 12), "L_V.bias": (4, 3), "L_O.weight": (12, 4, 3), "L_O.bias": (12,)}


def test_multi_head_attention_matches_plain_torch():
    module = compile_diagram(build(parse_file(ROOT / "gallery" / "mha.ncd"), sizes=MHA_SMALL)).double()
    p = {name: t for name, t in module.state_dict().items()}
    for name in p:
        p[name].copy_(torch.randn_like(p[name]))
    Xq, Xkv = torch.randn(5, 12, dtype=torch.float64), torch.randn(6, 12, dtype=torch.float64)
    heads = []
    for i in range(3):  # one head at a time, with matmuls
        q = Xq @ p["L_Q.weight"][:, i, :].T + p["L_Q.bias"][:, i]
        k = Xkv @ p["L_K.weight"][:, i, :].T + p["L_K.bias"][:, i]
        v = Xkv @ p["L_V.weight"][:, i, :].T + p["L_V.bias"][:, i]
        heads.append(torch.softmax(q @ k.T / math.sqrt(4), dim=1) @ v)  # [y k]
    O = torch.stack(heads, dim=2)  # [y k h]
    expected = O.reshape(5, 12) @ p["L_O.weight"].reshape(12, 12).T + p["L_O.bias"]  # contracts k and h together
    torch.testing.assert_close(module(Xq, Xkv), expected, rtol=1e-12, atol=1e-12)


def test_leading_batch_dimensions_are_independent_copies():
    module = compile_diagram(build(parse_file(ROOT / "gallery" / "mha.ncd"), sizes=MHA_SMALL)).double()
    Xq, Xkv = torch.randn(2, 3, 5, 12, dtype=torch.float64), torch.randn(2, 3, 6, 12, dtype=torch.float64)
    batched = module(Xq, Xkv)
    assert batched.shape == (2, 3, 5, 12)
    torch.testing.assert_close(batched[1, 2], module(Xq[1, 2], Xkv[1, 2]))
    torch.testing.assert_close(module(Xkv=Xkv[0], Xq=Xq[0]), batched[0])  # inputs by name
    torch.testing.assert_close(module(Xq, Xkv[1, 2]), module(Xq, Xkv[1, 2].expand(2, 3, 6, 12)))  # batches broadcast
    with pytest.raises(NcdError, match=r"batch dimensions do not broadcast: Xq \[2 3\], Xkv \[4\]"):
        module(Xq, Xkv[0, :1].expand(4, 6, 12))


def test_a_wrong_input_shape_names_the_statement_and_both_shapes():
    module = compile_diagram(build(parse_file(ROOT / "gallery" / "mha.ncd"), sizes=MHA_SMALL))
    with pytest.raises(NcdError) as error:
        module(torch.randn(2, 5, 12), torch.randn(2, 6, 11))
    message = str(error.value)
    assert "mha.ncd:10:16: input Xkv: expected [x=6 m=12], got [2 6 11]" in message
    assert "input Xq[y m], Xkv[x m]" in message  # the source line, with a caret under Xkv[x m]


def test_too_few_dimensions_and_missing_inputs_are_reported():
    module = compile_diagram(build(parse_file(ROOT / "gallery" / "mha.ncd"), sizes=MHA_SMALL))
    with pytest.raises(NcdError, match=r"input Xq: expected \[y=5 m=12\], got \[12\]"):
        module(torch.randn(12), torch.randn(6, 12))
    with pytest.raises(NcdError, match="missing input.*Xkv"):
        module(torch.randn(5, 12))
    with pytest.raises(NcdError, match="unexpected or repeated: Xq"):
        module(torch.randn(5, 12), Xq=torch.randn(5, 12))


def test_a_wrongly_shaped_weight_is_caught_at_its_box():
    module = compile_diagram(build(parse_file(ROOT / "gallery" / "mlp.ncd"), sizes={"r": 2, "c": 3, "m": 4, "o": 5}))
    module.L_2.weight = nn.Parameter(torch.randn(4, 6))  # bypasses load_state_dict's own check
    with pytest.raises(NcdError, match=r"mlp.ncd:13:5: L_2.weight: expected \[m=4 m=4\], got \[4 6\]"):
        module(torch.randn(2, 3))


def test_norms_match_torch_modules():
    module = module_for("axis m = 6\naxis y = 4\naxis b = 5\n"
                        "input X[y m], Xt[m y], Z[b m y]\n"
                        "A = layernorm(X: m) with affine as LN\n"
                        "B = layernorm(Xt: m) with affine, eps=0.001 as LNt\n"
                        "C = rmsnorm(X: m) with affine as RMS\n"
                        "D = batchnorm(Z: b y) with affine as BN\n"
                        "output A, B, C, D\n")
    for p in module.parameters():
        p.data.copy_(torch.randn_like(p))
    ln, lnt, rms, bn = nn.LayerNorm(6), nn.LayerNorm(6, eps=1e-3), nn.RMSNorm(6, eps=1e-5), nn.BatchNorm1d(6)
    for theirs, ours in [(ln, module.LN), (lnt, module.LNt), (rms, module.RMS), (bn, module.BN)]:
        theirs.double().load_state_dict({k: v for k, v in ours.state_dict().items()}, strict=False)
    X, Xt, Z = (torch.randn(*s, dtype=torch.float64) for s in [(4, 6), (6, 4), (5, 6, 4)])
    A, B, C, D = module(X, Xt, Z)
    torch.testing.assert_close(A, ln(X))
    torch.testing.assert_close(B, lnt(Xt.T).T)
    torch.testing.assert_close(C, rms(X))
    torch.testing.assert_close(D, bn.train()(Z))  # batch statistics over b and y, one scale per channel m


def test_softmax_over_two_axes_and_split_groups_match_reshapes():
    module = module_for("axis a = 2\naxis b = 3\naxis c = 4\ninput X[a b c], F[(a c)]\n"
                        "P = softmax(X: a c)\nG = rearrange(F: (a c) -> c a)\noutput P, G\n")
    X, F = torch.randn(2, 3, 4, dtype=torch.float64), torch.randn(8, dtype=torch.float64)
    P, G = module(X, F)
    expected = torch.softmax(X.permute(1, 0, 2).reshape(3, 8), dim=1).reshape(3, 2, 4).permute(1, 0, 2)
    torch.testing.assert_close(P, expected)
    torch.testing.assert_close(G, F.reshape(2, 4).T)


@pytest.mark.parametrize("fn, torch_fn", [("relu", torch.relu), ("gelu", nn.functional.gelu), ("silu", nn.functional.silu),
                                          ("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("exp", torch.exp),
                                          ("identity", lambda x: x), ("dropout", lambda x: x)])
def test_elementwise_functions(fn, torch_fn):
    module = module_for(f"axis m = 5\ninput X[m]\nY = {fn}(X)\noutput Y\n").eval()
    X = torch.randn(3, 5, dtype=torch.float64)
    torch.testing.assert_close(module(X), torch_fn(X))


def test_dropout_drops_while_training():
    module = module_for("axis m = 1000\ninput X[m]\nY = dropout(X) with p=0.5\noutput Y\n").train()
    dropped = (module(torch.ones(1000, dtype=torch.float64)) == 0).double().mean().item()
    assert 0.4 < dropped < 0.6


def test_a_collapsed_component_cannot_run():
    text = "axis m = 4\nblock f(V[m])\n  W = relu(V)\n  return W\nend\ninput X[m]\nY = f(X)\noutput Y\n"
    with pytest.raises(NcdError, match="t.ncd:7:5: component f is collapsed"):
        compile_diagram(build(parse(text, "t.ncd"), depth=0))
    torch.testing.assert_close(module_for(text)(torch.tensor([-1.0, 2.0, -3.0, 4.0]).double()),
                               torch.tensor([0.0, 2.0, 0.0, 4.0]).double())


def test_an_axis_without_a_size_is_named():
    with pytest.raises(NcdError, match="t.ncd:1:1: axis 'n' has no size") as error:
        module_for("axis n\ninput X[n]\nY = relu(X)\noutput Y\n")
    assert "--sizes n=16" in str(error.value)


def test_rendering_and_ncd_compile_never_import_torch(tmp_path):
    code = (f"import sys\nfrom ncd_render import load\nfrom ncd_render.cli import main\n"
            f"load({str(ROOT / 'gallery' / 'mha.ncd')!r}).render({str(tmp_path / 'mha.svg')!r})\n"
            f"main(['compile', {str(ROOT / 'gallery' / 'mha.ncd')!r}, '-o', {str(tmp_path / 'mha.py')!r}], standalone_mode=False)\n"
            "assert not {'torch', 'einops'} & set(sys.modules), 'torch was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "mha.svg").exists() and (tmp_path / "mha.py").exists()
