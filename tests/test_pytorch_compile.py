"""compile_diagram: every diagram runs, with weights named after its boxes and
shapes checked as it goes. Expected values come from plain torch code
(reshape, matmul, nn.LayerNorm, F.unfold, complex numbers, ...), never from
einops or ncd_render.pytorch.functional."""
import json
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
from ncd_render.pytorch.codegen import generate
from ncd_render.pytorch.compile import compile_diagram

ROOT = Path(__file__).resolve().parents[1]
SMALL = json.loads((ROOT / "tests" / "small_sizes.json").read_text())
MHA_SMALL = SMALL["mha"]


def module_for(text, **build_options):
    return compile_diagram(build(parse(text, "t.ncd"), **build_options)).double()


def random_inputs(diagram, batch=2):
    """Normal numbers, or ids below 3 for integer inputs."""
    return [torch.randn(batch, *diagram.shape(v)) if diagram.values[v].dtype == "real" else torch.randint(3, (batch, *diagram.shape(v)))
            for v in diagram.inputs]


def test_every_gallery_diagram_runs(gallery_file):
    diagram = build(parse_file(gallery_file), sizes=SMALL[gallery_file.stem])
    module = compile_diagram(diagram)
    inputs = random_inputs(diagram)
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


def test_a_collapsed_component_runs_as_its_body():
    text = "axis m = 4\nblock f(V[m])\n  W = linear(V: m -> m) as L\n  return W\nend\ninput X[m]\nY = f(X)\nZ = f(Y)\noutput Z\n"
    collapsed, whole = (compile_diagram(build(parse(text, "t.ncd"), depth=depth)).double() for depth in (0, None))
    assert sorted(collapsed.state_dict()) == sorted(whole.state_dict()) == ["f_L.weight", "f_L_2.weight"]
    assert all(op.kind != "call" for op in collapsed.diagram.ops)
    collapsed.load_state_dict(whole.state_dict())
    X = torch.randn(3, 4, dtype=torch.float64)
    torch.testing.assert_close(collapsed(X), X @ whole.f_L.weight.T @ whole.f_L_2.weight.T)


def test_an_axis_without_a_size_is_named():
    with pytest.raises(NcdError, match="t.ncd:1:1: axis 'n' has no size") as error:
        module_for("axis n\ninput X[n]\nY = relu(X)\noutput Y\n")
    assert "--sizes n=16" in str(error.value)


def test_rendering_and_ncd_compile_never_import_torch(tmp_path):
    gallery = ROOT / "gallery"
    code = (f"import sys\nfrom ncd_render import load\nfrom ncd_render.cli import main\n"
            f"load({str(gallery / 'deepseek_v3.ncd')!r}).render({str(tmp_path / 'deepseek_v3.svg')!r})\n"
            f"main(['compile', {str(gallery / 'transformer.ncd')!r}, '-o', {str(tmp_path / 'transformer.py')!r}], standalone_mode=False)\n"
            "assert not {'torch', 'einops'} & set(sys.modules), 'torch was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "deepseek_v3.svg").exists() and "def causal_mask(" in (tmp_path / "transformer.py").read_text()


def randomized(module):
    for p in module.parameters():  # not the initial ones and zeros, so every weight matters
        p.data.copy_(torch.randn_like(p))
    return module


def test_the_convolution_tensor_and_its_transpose_match_unfold_and_fold():
    """Channels between the width axes, stride, dilation and padding at once; fold with output padding."""
    module = module_for("axis h = 9\naxis w = 8\naxis c = 2\naxis i = 3\naxis j = 3\naxis y = 4\naxis x = 3\n"
                        "axis h2 = 10\naxis w2 = 8\ninput X[h c w], T[y x i j c]\n"
                        "B = unfold(X: h w -> y x i j) with stride=2, dilation=2, padding=1\n"
                        "F = fold(T: y x i j -> h2 w2) with stride=2, dilation=2, padding=1, output_padding=1\noutput B, F\n")
    X, T = torch.randn(2, 9, 2, 8, dtype=torch.float64), torch.randn(2, 4, 3, 3, 3, 2, dtype=torch.float64)
    B, F = module(X, T)
    options = dict(kernel_size=3, stride=2, dilation=2, padding=1)
    blocks = nn.functional.unfold(X.permute(0, 2, 1, 3), **options)  # [2, (c i j), (y x)]
    torch.testing.assert_close(B, blocks.reshape(2, 2, 3, 3, 4, 3).permute(0, 4, 5, 2, 3, 1))
    folded = nn.functional.fold(T.permute(0, 5, 3, 4, 1, 2).reshape(2, 18, 12), (10, 8), **options)  # [2, c, h2, w2]
    torch.testing.assert_close(F, folded.permute(0, 2, 3, 1))


def test_pooling_index_concat_product_and_rename_match_plain_torch():
    module = module_for("axis a = 3\naxis b = 4\naxis p = 2\naxis n = 1\naxis t = 4\naxis s = t\n"
                        "input X[a p b], C[n b], E[a b], G[a b]\n"
                        "M = max(X: p)\nA = mean(X: p)\nS = sum(X: a p)\nI = index(X: p) with at=-1\n"
                        "J = concat(C, E: n, a -> t)\nK = rename(J: t -> s)\nH = E * G\noutput M, A, S, I, K, H\n")
    X, C, E, G = (torch.randn(*shape, dtype=torch.float64) for shape in [(2, 3, 2, 4), (1, 4), (2, 3, 4), (2, 3, 4)])
    M, A, S, I, K, H = module(X, C, E, G)
    torch.testing.assert_close(M, X.max(dim=2).values)
    torch.testing.assert_close(A, X.mean(dim=2))
    torch.testing.assert_close(S, X.sum(dim=(1, 2)))
    torch.testing.assert_close(I, X[:, :, 1])
    torch.testing.assert_close(K, torch.cat([C.expand(2, 1, 4), E], dim=1))  # C has no batch dimension: it broadcasts
    torch.testing.assert_close(H, E * G)


def test_concat_matches_axes_by_name_and_copies_a_tensor_along_axes_it_lacks():
    """``concat`` of tensors whose other axes come in another order, or are fewer (DeepSeek-V3's rotary key, one for every
    head, joined to each head's own): ``torch.cat`` of them permuted and expanded; compiled and generated alike."""
    from ncd_render.pytorch.codegen import class_name_for, generate

    text = ("axis y = 3\naxis h = 2\naxis a = 4\naxis r = 5\naxis k = 9\ninput X[y h a], Z[h y r], R[y r]\n"
            "P = concat(X, Z: a, r -> k)\nB = concat(R, X: r, a -> k)\noutput P, B\n")
    X, Z, R = (torch.randn(*shape, dtype=torch.float64) for shape in [(2, 3, 2, 4), (2, 2, 3, 5), (2, 3, 5)])
    diagram = build(parse(text))
    namespace = {}
    exec(compile(generate(diagram), "<generated>", "exec"), namespace)
    for P, B in (module_for(text)(X, Z, R), namespace[class_name_for(diagram)]()(X, Z, R)):
        torch.testing.assert_close(P, torch.cat([X, Z.permute(0, 2, 1, 3)], dim=-1))
        torch.testing.assert_close(B, torch.cat([R[:, :, None].expand(2, 3, 2, 5), X], dim=-1))


def test_a_tensor_with_no_axis_named_in_a_concat_is_one_position_of_the_joined_axis():
    """``concat(A, M: , -> s)`` stacks two maps as the positions of a new last axis (CBAM's channel pool, torch.cat of
    maps kept with a dim of one); ``concat(C, P: , y -> t)`` puts one token before the rest, in y's place; compiled and
    generated alike."""
    from ncd_render.pytorch.codegen import class_name_for, generate

    text = ("axis h = 3\naxis w = 4\naxis s = 2\naxis y = 5\naxis t = y + 1\naxis m = 6\n"
            "input A[h w], M[h w], C[m], P[y m]\nS = concat(M, A: , -> s)\nT = concat(C, P: , y -> t)\noutput S, T\n")
    A, M, C, P = (torch.randn(*shape, dtype=torch.float64) for shape in [(2, 3, 4), (2, 3, 4), (2, 6), (2, 5, 6)])
    diagram = build(parse(text))
    assert [diagram.values[v].axes for v in diagram.outputs] == [("h", "w", "s"), ("t", "m")]
    namespace = {}
    exec(compile(generate(diagram), "<generated>", "exec"), namespace)
    for S, T in (module_for(text)(A, M, C, P), namespace[class_name_for(diagram)]()(A, M, C, P)):
        torch.testing.assert_close(S, torch.stack([M, A], dim=-1))
        torch.testing.assert_close(T, torch.cat([C[:, None], P], dim=1))


@pytest.mark.parametrize("corners", [False, True])
def test_linear_upsampling_over_two_axes_is_bilinear_interpolation(corners):
    """``upsample(X: h w -> h2 w2) with factor=2, linear``: nn.Upsample's bilinear with align_corners=False (DeepLab's,
    an FPN's way up), the channels last as the diagram has them; ``with linear, corners``, align_corners=True (an
    opaque box on import before); compiled and generated alike."""
    from ncd_render.pytorch.codegen import class_name_for, generate

    text = ("axis h = 3 width\naxis w = 5 width\naxis h2 = 6 width\naxis w2 = 10 width\naxis c = 4\ninput X[h w c]\n"
            f"Y = upsample(X: h w -> h2 w2) with factor=2, linear{', corners' if corners else ''}\noutput Y\n")
    X = torch.randn(2, 3, 5, 4, dtype=torch.float64)
    diagram = build(parse(text))
    namespace = {}
    exec(compile(generate(diagram), "<generated>", "exec"), namespace)
    want = nn.functional.interpolate(X.permute(0, 3, 1, 2), scale_factor=2, mode="bilinear", align_corners=corners).permute(0, 2, 3, 1)
    for Y in (module_for(text)(X), namespace[class_name_for(diagram)]()(X)):
        torch.testing.assert_close(Y, want)


def test_a_run_of_an_axis_is_a_narrowed_view():
    """``index(X: t -> x) with at=1``: positions 1 to 1 + |x| of t as the new axis x, where t was (at=-4 counts from the
    end); compiled and generated alike."""
    text = "axis a = 3\naxis t = 6\naxis x = 4\ninput X[a t]\nR = index(X: t -> x) with at=1\nE = index(X: t -> x) with at=-4\noutput R, E\n"
    X = torch.randn(2, 3, 6, dtype=torch.float64)
    R, E = module_for(text)(X)
    torch.testing.assert_close(R, X[:, :, 1:5])
    torch.testing.assert_close(E, X[:, :, 2:6])
    from ncd_render.pytorch.codegen import class_name_for, generate

    diagram = build(parse(text))
    namespace = {}
    exec(compile(generate(diagram), "<generated>", "exec"), namespace)
    assert ".narrow(-1, 1, 4)" in generate(diagram)
    torch.testing.assert_close(namespace[class_name_for(diagram)]()(X)[1], X[:, :, 2:6])


def test_clamp_holds_each_element_between_its_bounds():
    module = module_for("axis a = 3\naxis b = 4\ninput X[a b]\nA = clamp(X) with min=-0.5, max=0.25\nB = clamp(X) with max=0.25\n"
                        "C = clamp(X) with min=-0.5\noutput A, B, C\n")
    X = torch.randn(2, 3, 4, dtype=torch.float64)
    A, B, C = module(X)
    torch.testing.assert_close(A, X.clamp(-0.5, 0.25))
    torch.testing.assert_close(B, X.clamp(max=0.25))
    torch.testing.assert_close(C, X.clamp(min=-0.5))


def test_a_sliding_window_hides_the_keys_too_far_back():
    module = module_for("axis y = 5\naxis x = y\ninput S[y x]\nY = mask(S: y x) with causal, window=2\noutput Y\n")
    seen = torch.tensor([[j <= i and j > i - 2 for j in range(5)] for i in range(5)])  # itself and the key before
    S = torch.randn(2, 5, 5, dtype=torch.float64)
    torch.testing.assert_close(module(S), S.masked_fill(~seen, -math.inf))


def test_a_layer_norm_with_a_weight_alone_is_nn_layernorm_without_bias():
    module = randomized(module_for("axis y = 3\naxis m = 4\ninput X[y m]\nY = layernorm(X: m) with weight as N\noutput Y\n"))
    assert list(module.state_dict()) == ["N.weight"]
    reference = nn.LayerNorm(4, bias=False).double()
    reference.weight.data.copy_(module.N.weight)
    X = torch.randn(2, 3, 4, dtype=torch.float64)
    torch.testing.assert_close(module(X), reference(X))
    with pytest.raises(NcdError, match="layernorm takes 'affine' .* or 'weight' .*, not both"):
        module_for("axis m = 4\ninput X[m]\nY = layernorm(X: m) with affine, weight\noutput Y\n")


def test_a_sum_broadcasts_a_term_over_the_axes_it_lacks():
    # ALiBi's bias per head and key, added to every query's scores; a bias per channel after it
    module = module_for("axis y = 3\naxis x = 4\naxis h = 2\n"
                        "input S[y x h], A[x h], B[h]\nT = S + A + B\noutput T\n")
    S, A, B = (torch.randn(*shape, dtype=torch.float64) for shape in [(2, 3, 4, 2), (2, 4, 2), (2, 2)])
    torch.testing.assert_close(module(S, A, B), S + A[:, None, :, :] + B[:, None, None, :])


def test_an_embedding_looks_rows_up_as_nn_embedding():
    module = randomized(module_for("axis t = 4\naxis v = 6\naxis k = 2\naxis h = 3\ninput T[t] int\n"
                                   "E = embedding(T: v -> k h) as E\noutput E\n"))
    table = nn.Embedding(6, 6).double()
    table.weight.data.copy_(module.E.weight.reshape(6, 6))
    ids = torch.tensor([[0, 5, 2, 2], [1, 1, 4, 3]])
    torch.testing.assert_close(module(ids), table(ids).reshape(2, 4, 2, 3))
    with pytest.raises(NcdError, match=r"t.ncd:6:5: E looks up ids from 0 to 6, but its table has rows 0 to 5"):
        module(torch.tensor([0, 6, 1, 2]))
    with pytest.raises(NcdError, match=r"input T: expected integer ids, got torch.float32"):
        module(torch.zeros(4))
    with pytest.raises(NcdError, match=r"input X: expected real numbers, got torch.int64"):
        module_for("axis m = 2\ninput X[m]\nY = relu(X)\noutput Y\n")(torch.tensor([1, 2]))


def test_a_causal_mask_hides_later_keys():
    module = module_for("axis y = 4\naxis x = 5\naxis h = 2\ninput S[y h x]\nM = mask(S: y x) with causal\noutput M\n")
    S = torch.randn(3, 4, 2, 5, dtype=torch.float64)
    later = torch.ones(4, 5, dtype=torch.bool).triu(1)[:, None, :]  # key index above query index
    torch.testing.assert_close(module(S), S.masked_fill(later, -math.inf))


@pytest.mark.parametrize("interleaved", [False, True])
def test_rotary_positions_are_complex_rotations(interleaved):
    module = module_for(f"axis k = 6\naxis h = 2\naxis y = 5\ninput Q[k h y]\nR = rope(Q: y k) with base=100"
                        f"{', interleaved' if interleaved else ''}\noutput R\n")
    Q = torch.randn(2, 6, 2, 5, dtype=torch.float64)
    q = Q.permute(0, 2, 3, 1)  # [2 h y k]
    pairs = torch.complex(q[..., 0::2], q[..., 1::2]) if interleaved else torch.complex(q[..., :3], q[..., 3:])
    angles = torch.arange(5, dtype=torch.float64)[:, None] * 100.0 ** (-torch.arange(3, dtype=torch.float64) * 2 / 6)
    turned = pairs * torch.polar(torch.ones_like(angles), angles)
    expected = (torch.stack([turned.real, turned.imag], -1).flatten(-2) if interleaved
                else torch.cat([turned.real, turned.imag], -1))
    torch.testing.assert_close(module(Q), expected.permute(0, 3, 1, 2))


def test_top_k_routing_matches_a_token_by_token_choice():
    """DeepSeek-V3's group-limited routing, written with python lists for one token at a time."""
    module = randomized(module_for("axis e = 12\naxis y = 7\ninput G[e y]\n"
                                   "R = topk(G: e) with k=3, groups=4, topk_groups=2, select_bias, normalize, scale=2.5 as B\n"
                                   "P = topk(G: e) with k=2\noutput R, P\n"))
    G = torch.rand(2, 12, 7, dtype=torch.float64)
    R, P = module(G)
    bias = module.B.bias.tolist()
    for b in range(2):
        for y in range(7):
            scores = G[b, :, y].tolist()
            biased = [s + c for s, c in zip(scores, bias)]
            groups = sorted(range(4), key=lambda i: -sum(sorted(biased[3 * i:3 * i + 3])[-2:]))[:2]
            chosen = sorted((e for e in range(12) if e // 3 in groups), key=lambda e: -biased[e])[:3]
            total = sum(scores[e] for e in chosen)
            expected = [2.5 * scores[e] / total if e in chosen else 0.0 for e in range(12)]
            torch.testing.assert_close(R[b, :, y], torch.tensor(expected, dtype=torch.float64))
            best = sorted(range(12), key=lambda e: -scores[e])[:2]
            torch.testing.assert_close(P[b, :, y], torch.tensor([scores[e] if e in best else 0.0 for e in range(12)], dtype=torch.float64))


def test_top_k_groups_must_split_the_axis():
    with pytest.raises(NcdError, match="t.ncd:3:5: topk cannot keep 2 of the best 1 of 3 groups along axis 'e' of size 8"):
        module_for("axis e = 8\ninput G[e]\nR = topk(G: e) with k=2, groups=3\noutput R\n")


def test_per_expert_maps_are_one_linear_each():
    module = randomized(module_for("axis e = 3\naxis m = 4\naxis f = 5\naxis y = 2\ninput X[y m]\n"
                                   "H = linear(X: m -> f) with per=e, bias as W_1\nO = linear(H: f -> m) with per=e as W_2\noutput H, O\n"))
    assert module.W_1.weight.shape == (3, 5, 4) and module.W_1.bias.shape == (3, 5) and module.W_2.weight.shape == (3, 4, 5)
    X = torch.randn(6, 2, 4, dtype=torch.float64)
    H, O = module(X)
    for e in range(3):
        h = nn.functional.linear(X, module.W_1.weight[e], module.W_1.bias[e])
        torch.testing.assert_close(H[..., e], h)  # H is [y f e]: the expert axis comes last
        torch.testing.assert_close(O[..., e], nn.functional.linear(h, module.W_2.weight[e]))


REPEATED = """axis m = 3
input X[m], Z[m]
H = relu(Z)
save H as C
repeat 3 "Block"
  A = linear(X: m -> m) with bias as L
  repeat 2 "Inner"
    A = linear(A: m -> m) as L
  end
  S = load(C)
  X = A + S
  X = tanh(X)
end
output X, A
"""


def test_a_repeated_block_runs_its_body_with_its_own_weights_each_time():
    module = randomized(module_for(REPEATED))
    assert sorted(module.state_dict()) == sorted(
        [f"block.{i}.L.{p}" for i in range(3) for p in ("weight", "bias")] + [f"block.{i}.inner.{j}.L_2.weight" for i in range(3) for j in range(2)])
    w = module.state_dict()
    X, Z = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
    x = X
    for i in range(3):
        a = x @ w[f"block.{i}.L.weight"].T + w[f"block.{i}.L.bias"]
        for j in range(2):
            a = a @ w[f"block.{i}.inner.{j}.L_2.weight"].T
        x = torch.tanh(a + torch.relu(Z))
    got_x, got_a = module(X, Z)
    torch.testing.assert_close(got_x, x)
    torch.testing.assert_close(got_a, a)  # a value made in the block is its last repetition's


def test_batch_norm_takes_statistics_over_leading_batch_dimensions():
    module = randomized(module_for("axis b = 5\naxis m = 6\naxis y = 4\ninput Z[b m y]\nD = batchnorm(Z: b y) with affine as BN\noutput D\n"))
    bn = nn.BatchNorm1d(6).double().train()
    bn.load_state_dict(module.BN.state_dict(), strict=False)
    Z = torch.randn(2, 5, 6, 4, dtype=torch.float64)
    torch.testing.assert_close(module(Z), bn(Z.reshape(10, 6, 4)).reshape(2, 5, 6, 4))


@pytest.mark.parametrize("sign", ["+", "-"])
def test_an_outer_sum_adds_every_pair_compiled_and_generated_alike(sign):
    """``E = A + B`` with A[y a], B[x a]: additive attention's W q_y + U k_x for every pair, the result [y a x]
    (``A - B``: every pair's difference, a Chamfer distance's offsets); compiled and generated alike, against
    broadcasting in plain torch."""
    from ncd_render.pytorch.codegen import class_name_for, generate

    text = f"axis y = 3\naxis x = 4\naxis a = 2\ninput A[y a], B[x a]\nE = A {sign} B\noutput E\n"
    A, B = torch.randn(2, 3, 2, dtype=torch.float64), torch.randn(2, 4, 2, dtype=torch.float64)
    diagram = build(parse(text))
    namespace = {}
    exec(compile(generate(diagram), "<generated>", "exec"), namespace)
    pairs = A[:, :, :, None] + B.transpose(1, 2)[:, None, :, :] if sign == "+" else A[:, :, :, None] - B.transpose(1, 2)[:, None, :, :]
    for E in (module_for(text)(A, B), namespace[class_name_for(diagram)]()(A, B)):
        torch.testing.assert_close(E, pairs)


def test_an_identity_with_no_input_to_take_its_dtype_from_runs_and_compiles():
    """unit(: a b) took its dtype from the first real input, and a diagram with none raised StopIteration, as a bug."""
    d = build(parse("axis a = 4\naxis b = 4\nI = unit(: a b)\noutput I\n", "unit.ncd"))
    assert torch.equal(compile_diagram(d)(), torch.eye(4))
    namespace = {}
    exec(compile(generate(d, "Unit"), "unit.py", "exec"), namespace)
    assert torch.equal(namespace["Unit"]()(), torch.eye(4))


def test_a_box_with_more_axes_than_einsum_names_is_an_error_at_its_statement():
    names = [f"a{i}" for i in range(53)]
    text = "".join(f"axis {a} = 1\n" for a in names) + f"input X[{' '.join(names)}]\nH = relu(X)\noutput H\n"
    with pytest.raises(NcdError, match="have 53 axes; PyTorch's einsum, which runs them, names at most 52") as info:
        compile_diagram(build(parse(text, "wide.ncd")))
    assert info.value.span.line == 54


def test_the_decoder_loop_the_docs_quote_is_the_one_ncd_compile_writes():
    """docs/pytorch.md and docs/import.md said the compiled transformer's decoder loop is `Y = layer(Y, X)`, while
    ncd compile writes `Y = layer(X, Y)` (the decoder layer's forward takes the encoder's output first)."""
    import re

    source = generate(build(parse_file(str(ROOT / "gallery" / "transformer.ncd"))))
    for doc in ("pytorch.md", "import.md"):
        quoted = re.findall(r"`(Y = layer\([^`]*\))`", (ROOT / "docs" / doc).read_text())
        assert quoted and all(f"            {q}\n" in source for q in quoted), (doc, quoted)
