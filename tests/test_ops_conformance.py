"""Every registered op kind goes through every back-end: parse, build, layout, SVG, TikZ, cost,
compile (run in torch), codegen (the written source, run), and, where it computes something,
against an independent torch expression written here. A kind whose module forgets a back-end's
entry fails here; so does a new kind without a reference below.
"""
import math

import pytest
import torch
from torch import nn

from ncd_render import ops
from ncd_render.api import load_text
from ncd_render.cost.boxes import work
from ncd_render.ir import build
from ncd_render.parse import parse
from ncd_render.pytorch.codegen import class_name_for, generate
from ncd_render.pytorch.compile import compile_diagram
from ncd_render.render import render_bytes

# y: rows, m: depth (4), k: 2, n: unfold(m) with kernel 2 (3), j: the kernel axis, p: the size of m, q: m + k, v: vocabulary
PREAMBLE = "axis y = 3\naxis m = 4\naxis k = 2\naxis n = 3\naxis j = 2\naxis p = 4\naxis q = 6\naxis v = 5\n"
SIZES = {"y": 3, "m": 4, "k": 2, "n": 3, "j": 2, "p": 4, "q": 6, "v": 5}
BATCH = 2

# Statements that make the structural kinds (the builder makes them; they have no example of their own)
STRUCTURAL = {
    "input": "input X[y m]\nY = relu(X)",
    "output": "input X[y m]\nY = relu(X)",
    "copy": "input X[y m]\nY = X + X",
    "delete": "input X[y m], Z[y m]\ndelete Z\nY = relu(X)",
    "save": "input X[y m]\nsave X as C_1\nA = relu(X)\nB = load(C_1)\nY = A + B",
    "load": "input X[y m]\nsave X as C_1\nA = relu(X)\nB = load(C_1)\nY = A + B",
    "call": "depth 0\nblock F(A[y m])\n  B = linear(A: m -> m) as L\n  return B\nend\ninput X[y m]\nY = F(X)",
}


def _fold(u):  # Y[..., n + j] += U[..., n, j]
    out = torch.zeros(*u.shape[:-2], SIZES["m"], dtype=u.dtype)
    for n in range(SIZES["n"]):
        for j in range(SIZES["j"]):
            out[..., n + j] += u[..., n, j]
    return out


def _rope(x):  # rotate pairs (i, i + d/2) of the depth by position * base^(-2i/d)
    d = x.shape[-1]
    angle = torch.arange(x.shape[-2], dtype=x.dtype)[:, None] * 10000.0 ** (-torch.arange(0, d, 2, dtype=x.dtype) / d)
    cos, sin = torch.cat([angle.cos()] * 2, -1), torch.cat([angle.sin()] * 2, -1)
    return x * cos + torch.cat([-x[..., d // 2:], x[..., :d // 2]], -1) * sin


def _topk(x, bias):
    chosen = (x + bias).topk(2, dim=-1).indices
    return torch.zeros_like(x).scatter(-1, chosen, x.gather(-1, chosen))


def _batchnorm(x, w, b):  # channels y, statistics over the batch and m, as nn.BatchNorm1d in training mode
    bn = nn.BatchNorm1d(SIZES["y"], dtype=x.dtype)
    bn.weight.data, bn.bias.data = w, b
    return bn(x)


def _groupnorm(x, w, b):  # one group of the k channels, normalised over them and m; a scale and shift per channel
    g = x.flatten(-2)
    g = (g - g.mean(-1, keepdim=True)) / (g.var(-1, unbiased=False, keepdim=True) + 1e-5).sqrt()
    return g.reshape(x.shape) * w[:, None] + b[:, None]


def _roberta_positions(ids, padding):
    from transformers.models.roberta.modeling_roberta import RobertaEmbeddings

    return RobertaEmbeddings.create_position_ids_from_input_ids(ids, padding)


# kind -> (inputs, state_dict) -> what torch itself computes
def _quick_gelu():
    from transformers.activations import QuickGELUActivation  # x * sigmoid(1.702 x)

    return QuickGELUActivation()


REFERENCES = {
    "relu": lambda i, s: torch.relu(i["X"]),
    "gelu": lambda i, s: nn.GELU(approximate="tanh")(i["X"]),
    "silu": lambda i, s: _quick_gelu()(i["X"]),  # the example's beta=1.702: CLIP's quick GELU, as transformers runs it
    "sigmoid": lambda i, s: torch.sigmoid(i["X"]),
    "tanh": lambda i, s: torch.tanh(i["X"]),
    "exp": lambda i, s: torch.exp(i["X"]),
    "identity": lambda i, s: i["X"],
    "log": lambda i, s: i["X"],  # of exp(X)
    "softplus": lambda i, s: torch.log1p(torch.exp(i["X"])),
    "sqrt": lambda i, s: i["X"].abs(),  # of X²
    "rsqrt": lambda i, s: torch.exp(-i["X"] / 2),  # of exp(X)
    "abs": lambda i, s: torch.where(i["X"] < 0, -i["X"], i["X"]),
    "sin": lambda i, s: torch.imag(torch.exp(1j * i["X"])),
    "cos": lambda i, s: torch.real(torch.exp(1j * i["X"])),
    "softsign": lambda i, s: i["X"] / (1 + i["X"].abs()),
    "logsigmoid": lambda i, s: -torch.log1p(torch.exp(-i["X"])),
    "hardsigmoid": lambda i, s: ((i["X"] + 3) / 6).clamp(0, 1),
    "cumsum": lambda i, s: torch.stack([i["X"][:, :k + 1].sum(1) for k in range(i["X"].shape[1])], 1),  # along y
    "flip": lambda i, s: i["X"][:, torch.arange(i["X"].shape[1] - 1, -1, -1)],
    "roll": lambda i, s: i["X"][:, (torch.arange(i["X"].shape[1]) - 2) % i["X"].shape[1]],  # y[k] from y[k - 2]
    "pad": lambda i, s: torch.cat([torch.zeros_like(i["X"][:, :1]), i["X"], torch.zeros_like(i["X"][:, :2])], 1),
    "selu": lambda i, s: 1.0507009873554805 * torch.where(i["X"] > 0, i["X"], 1.6732632423543772 * torch.expm1(i["X"])),
    "mish": lambda i, s: i["X"] * torch.tanh(torch.log1p(torch.exp(i["X"]))),
    "elu": lambda i, s: torch.where(i["X"] > 0, i["X"], torch.expm1(i["X"])),
    "hardswish": lambda i, s: i["X"] * (i["X"] + 3).clamp(0, 6) / 6,
    "relu6": lambda i, s: (8 * i["X"]).clamp(0, 6),
    "square": lambda i, s: i["X"] * i["X"],
    "leaky_relu": lambda i, s: torch.where(i["X"] > 0, i["X"], 0.2 * i["X"]),
    "clamp": lambda i, s: torch.where(i["X"] > 0.5, 0.5, torch.where(i["X"] < -0.5, -0.5, i["X"])),
    "sinusoid": lambda i, s: _sinusoid(i["T"]),
    "dropout": lambda i, s: nn.Dropout(0.1).eval()(i["X"]),
    "linear": lambda i, s: nn.functional.linear(i["X"], s["L.weight"], s["L.bias"]),
    "layernorm": lambda i, s: nn.functional.layer_norm(i["X"], (4,), s["LayerNorm.weight"], s["LayerNorm.bias"]),
    "rmsnorm": lambda i, s: nn.functional.rms_norm(i["X"], (4,), s["RMSNorm.weight"], 1e-5),
    "batchnorm": lambda i, s: _batchnorm(i["X"], s["BatchNorm.weight"], s["BatchNorm.bias"]),
    "groupnorm": lambda i, s: _groupnorm(i["X"], s["GroupNorm.weight"], s["GroupNorm.bias"]),
    "softmax": lambda i, s: torch.softmax(i["X"], -1),
    "einsum": lambda i, s: i["X"] @ i["W"],
    "rearrange": lambda i, s: i["X"].transpose(-1, -2),
    "rename": lambda i, s: i["X"],
    "add": lambda i, s: i["X"] + i["Z"] + i["B"][:, None, :],  # B broadcast over y
    "sub": lambda i, s: i["X"] - i["B"][:, None, :],  # B taken from every position
    "scale": lambda i, s: i["X"] / 2,
    "offset": lambda i, s: 1 - i["X"],
    "mul": lambda i, s: i["X"] * i["G"][:, None, :],
    "div": lambda i, s: i["X"] / i["G"][:, :, None],  # the divisor per position, broadcast over m
    "split": lambda i, s: torch.cat([i["X"][..., 2:], i["X"][..., :2]], -1),  # cut into 2 and 4, joined the other way round
    "max": lambda i, s: i["X"].amax(-1),
    "min": lambda i, s: -(-i["X"]).amax(-1),
    "argmax": lambda i, s: (i["X"] == i["X"].amax(-1, keepdim=True)).long().argmax(-1),  # the first largest's place
    "argmin": lambda i, s: (i["X"] == i["X"].amin(-1, keepdim=True)).long().argmax(-1),
    "mean": lambda i, s: i["X"].mean(-1),
    "sum": lambda i, s: i["X"].sum(-1),
    "index": lambda i, s: i["X"][..., 1],
    "concat": lambda i, s: torch.cat([i["X"], i["U"]], -1),
    "embedding": lambda i, s: nn.functional.embedding(i["T"], s["E.weight"]),
    # transformers' own RoBERTa position ids (fairseq's make_positions), padding id 1, then their table
    "positions": lambda i, s: nn.functional.embedding(_roberta_positions(i["T"], 1), s["E.weight"]),
    "mask": lambda i, s: i["S"].masked_fill(torch.ones(3, 3, dtype=torch.bool).triu(1), -math.inf),
    "rope": lambda i, s: _rope(i["X"]),
    # ALiBi over 4 heads: slopes 2^-2, 2^-4, 2^-6, 2^-8 (the paper's 2^(-8h/H)) times key - query
    "alibi": lambda i, s: i["S"] + (torch.arange(3.0)[None, :] - torch.arange(3.0)[:, None])[..., None]
    * torch.tensor([2.0 ** -2, 2.0 ** -4, 2.0 ** -6, 2.0 ** -8]),
    # T5's buckets, 8 of them, both ways: offsets 0, -1, -2 their own (0, 1, 2), later keys 4 on (+1: 5, +2: 6)
    "relbias": lambda i, s: i["S"] + s["relbias.weight"][torch.tensor([[0, 5, 6], [1, 0, 5], [2, 1, 0]])],
    "topk": lambda i, s: _topk(i["X"], s["bias_e.bias"]),
    "unit": lambda i, s: i["X"],
    "unfold": lambda i, s: i["X"].unfold(-1, 2, 1),
    "upsample": lambda i, s: nn.functional.interpolate(i["X"].transpose(-1, -2), scale_factor=2, mode="nearest").transpose(-1, -2),
    "fold": lambda i, s: _fold(i["U"]),
    "layerscale": lambda i, s: s["gamma.weight"] * i["X"],  # ConvNeXt: gamma * x
    "maximum": lambda i, s: torch.maximum(i["X"], i["F"][:, None]),  # F broadcast over y
    "masked": lambda i, s: i["S"].masked_fill(i["M"][:, None], -math.inf),  # a key-padding mask, broadcast over the queries
    "minimum": lambda i, s: torch.minimum(i["X"], i["F"][:, None]),
    "prelu": lambda i, s: torch.where(i["X"] >= 0, i["X"], s["prelu.weight"] * i["X"]),  # a slope per m below 0
    "bias": lambda i, s: i["X"] + s["E_pos.weight"][:, None, :],  # a learned position table over y and k, broadcast over m
    "learned": lambda i, s: torch.cat([s["E_cls.weight"].expand(BATCH, -1, -1), i["X"]], -2),  # ViT: a class token before the patches
    "load": lambda i, s: torch.relu(i["X"]) + i["X"],
    "input": lambda i, s: torch.relu(i["X"]),
    "output": lambda i, s: torch.relu(i["X"]),
    "copy": lambda i, s: i["X"] + i["X"],
    "delete": lambda i, s: torch.relu(i["X"]),
    "save": lambda i, s: torch.relu(i["X"]) + i["X"],
    "call": lambda i, s: nn.functional.linear(i["X"], s["F_L.weight"]),
}


def source_of(key: str) -> str:
    body = STRUCTURAL.get(key) or ops.get(key).example
    return PREAMBLE + body + "\noutput Y\n"


def _sinusoid(ids, padding=1, size=4):
    """fairseq's table (M2M100's get_embedding, written out) at the positions of ``ids`` (fairseq's make_positions)."""
    import math

    half = size // 2
    rate = torch.exp(torch.arange(half, dtype=torch.float32) * -(math.log(10000) / (half - 1)))
    table = torch.arange(64, dtype=torch.float32)[:, None] * rate[None]
    table = torch.cat([torch.sin(table), torch.cos(table)], dim=1)
    table[padding] = 0
    kept = (ids != padding).long()
    return table[torch.cumsum(kept, 1) * kept + padding]


def test_every_kind_is_walked():
    """Each registered kind has an example (or a structural program above) and a torch reference."""
    keys = set(ops.kinds())
    assert {k for k in keys if ops.get(k).example is None and k not in STRUCTURAL} == set()
    assert {k for k in keys if ops.get(k).runs} - set(REFERENCES) == set()


def _inputs(diagram, generator):
    out = {}
    for v in diagram.inputs:
        value = diagram.values[v]
        shape = (BATCH,) + tuple(diagram.axes[a].size for a in value.axes)
        out[value.name] = (torch.randint(0, SIZES["v"], shape, generator=generator) if value.dtype == "int"
                           else torch.rand(shape, generator=generator) < 0.5 if value.dtype == "bool"
                           else torch.randn(shape, generator=generator, dtype=torch.float64))
    return out


# A kind's second form, walked as its example is: (the kind, the statement, a torch reference)
SECOND_FORMS = {
    "layerscale, one number": ("layerscale", "input X[y m]\nY = layerscale(X) as \\lambda",
                               lambda i, s: s["lambda_.weight"] * i["X"]),  # differential attention's lambda
    "pad, reflect": ("pad", "input X[y m]\nY = pad(X: y -> q) with before=1, after=2, mode=reflect",  # an image generator's
                     lambda i, s: nn.functional.pad(i["X"].transpose(1, 2), (1, 2), mode="reflect").transpose(1, 2)),
    "mask, kept where true": ("masked", "input S[y m], M[m] bool\nY = mask(S, M) with keep",  # SDPA's boolean attn_mask
                              lambda i, s: i["S"].masked_fill(~i["M"][:, None], -math.inf)),
    "pad, circular": ("pad", "input X[y m]\nY = pad(X: y -> q) with before=2, after=1, mode=circular",
                      lambda i, s: nn.functional.pad(i["X"].transpose(1, 2), (2, 1), mode="circular").transpose(1, 2)),
    "prelu, one slope": ("prelu", "input X[y m]\nY = prelu(X)",
                         lambda i, s: torch.where(i["X"] >= 0, i["X"], s["prelu.weight"] * i["X"])),  # nn.PReLU()
}


@pytest.mark.parametrize("key", sorted(ops.kinds()) + sorted(SECOND_FORMS))
def test_kind_goes_through_every_back_end(key):
    reference = REFERENCES.get(key)
    if key in SECOND_FORMS:
        key, body, reference = SECOND_FORMS[key]
        text = PREAMBLE + body + "\noutput Y\n"
    else:
        text = source_of(key)
    kind = ops.get(key)
    diagram = build(parse(text, f"{key}.ncd"))
    made = [op for op in diagram.ops if ops.of(op) is kind]
    assert made, f"the example of {key} makes no {key} op"
    whole = diagram.full or diagram  # (a collapsed component's body is made by its ops expanded)
    produced = {v for op in whole.ops for v in op.outputs}
    assert set(whole.values) <= produced, f"{key} leaves values no op makes"  # (a shape rule's value left unused)

    # drawing: every op drawn as a box appears in the SVG under its op id, wiring as a region of
    # the scene; TikZ takes the same scene
    figure = load_text(text, f"{key}.ncd")
    scene = figure.scene()
    svg = render_bytes(scene, "svg").decode()
    drawn = {item.ref for item in scene.items if getattr(item, "ref", None) is not None}
    for op in figure.diagram.ops:
        glyph = ops.of(op).glyph_of(op)
        if glyph in ("wiring", "cap") and ops.of(op).build is not None:  # copies branch in the gaps between columns
            assert op.id in drawn, f"{ops.of(op).key} op {op.id} has no wiring region"
        elif glyph != "none" and glyph not in ("wiring", "cap"):
            assert f'data-op="{op.id}"' in svg, f"{ops.of(op).key} op {op.id} is not drawn"
    tikz = render_bytes(scene, "tikz").decode()
    assert "\\begin{tikzpicture}" in tikz and "?" not in tikz, f"{key}: a label character TeX is not given"  # (÷ was ?)

    if not kind.runs:  # drawn only: running or costing it is refused, by name
        from ncd_render.errors import NcdError

        for back_end in (lambda: [work(diagram, op) for op in diagram.ops], lambda: compile_diagram(diagram),
                         lambda: generate(diagram)):
            with pytest.raises(NcdError, match=key):
                back_end()
        return

    # cost: every op has a rule
    for op in diagram.ops:
        work(diagram, op)

    # torch: the compiled module, the written source, and torch's own expression agree
    torch.manual_seed(0)
    module = compile_diagram(diagram).double().eval()
    for p in module.parameters():  # away from the initial ones and zeros, so a misplaced weight shows
        p.data = torch.randn_like(p)
    inputs = _inputs(diagram, torch.Generator().manual_seed(1))
    compiled = module(**inputs)
    namespace = {}
    exec(compile(generate(diagram), f"{key}_generated.py", "exec"), namespace)
    written = namespace[class_name_for(diagram)]().double().eval()
    written.load_state_dict(module.state_dict())
    torch.testing.assert_close(written(**inputs), compiled)
    torch.testing.assert_close(compiled, reference(inputs, module.state_dict()))


def test_an_unknown_kind_is_an_error_in_every_back_end():
    from dataclasses import replace

    from ncd_render.errors import NcdError

    diagram = build(parse(source_of("relu")))
    op = replace(diagram.ops[1], kind="warp", params={})
    with pytest.raises(NcdError, match="no op kind 'warp'"):
        work(diagram, op)
    with pytest.raises(NcdError, match="no op kind 'warp'"):
        ops.of(op)


@pytest.mark.parametrize("body, message, hint", [
    ("input X[y m]\nY = gelu(X) with approximate=fast", "c.ncd:10:18: approximate=fast: approximate takes one of none, tanh",
     "approximate takes one of none, tanh, e.g. approximate=tanh"),
    ("input X[y m]\nY = layerscale(X: m) with init=0", "c.ncd:10:27: init=0 is out of range", "init takes a number greater than 0"),
    ("input X[y m]\nL = learned(X: m) as W\nY = X * L", "c.ncd:10:5: learned takes no tensor, and the axes its values lie over",
     "learned(:) for one number"),  # (learned(:), one learned number, is drawn on a wire of one: CLIP's temperature)
    ("input X[y m]\nY = pad(X: y -> q) with before=3, mode=reflect", "c.ncd:10:5: a reflect pad takes at most 2 positions of y=3 on a "
     "side, not 3", "pad less, or with zeros"),
    ("input X[y m]\nY = pad(X: y -> q) with before=3, mode=mirror", "c.ncd:10:35: mode=mirror: mode takes one of zeros, reflect", "mode=reflect"),
    ("input X[m]\nY = batchnorm(X: ) with affine", "c.ncd:10:5: batchnorm needs at least one axis", "name the batch as an axis"),
    ("input X[y m], F[y m]\nY = max(X, F)", "c.ncd:10:5: max takes one tensor, got 2", "write maximum(X, F)"),
    ("input S[y m], M[m] int\nY = mask(S, M)", "c.ncd:10:13: mask hides S where M is true, but M holds integer ids",
     "declare it 'input M[...] bool'; an additive mask of numbers is added: S + M"),
    ("input S[y m], M[m]\nY = mask(S, M)", "c.ncd:10:13: mask hides S where M is true, but M holds real numbers", "S + M"),
    ("input S[y m], M[m y] bool\nY = mask(S, M)", "c.ncd:10:13: cannot mask S [y m] by M [m y]", "in order: [y m]"),
    ("input S[y m], M[k] bool\nY = mask(S, M)", "c.ncd:10:13: cannot mask S [y m] by M [k]", "or some of them"),
    ("input S[y m], M[m] bool\nY = mask(S, M) with causal", "c.ncd:10:5: mask by a tensor takes the scores and a boolean mask",
     "mask(S: y x) with causal computes a causal one"),
    ("input S[y m]\nY = mask(S: y m) with causal, keep", "c.ncd:10:5: keep belongs to a mask by a boolean tensor",
     "a causal mask computes what it hides"),
    ("input S[y m], M[m] bool\nY = mask(M, S)", "c.ncd:10:10: mask takes the scores first, then the flags: M holds flags",
     "write mask(S, M)"),
    ("input S[y m]\nY = mask(S)", "c.ncd:10:5: mask needs the query and key axes and 'with causal', or a boolean tensor",
     "mask(S: y x) with causal, or mask(S, M) with M an input declared bool"),
    ("input S[y m], M[m] bool\nY = mask(S: m, M)", "c.ncd:10:5: mask needs the query and key axes and 'with causal', or a boolean",
     "mask(S: y x) with causal, or mask(S, M)"),  # (it said 'mask needs the axes it normalises over')
    ("input S[y m], M[m] bool\nY = mask(S, M: m)", "c.ncd:10:5: mask by a tensor takes the scores and a boolean mask, no axes",
     "mask(S, M): S where M is false"),
    # BERT's 1 - mask on flags built, then ncd check died in torch with a traceback
    ("input S[y m], M[m] bool\nH = 1 - M\nY = S * H", "c.ncd:10:5: M holds flags (booleans): they hide scores, mask(S, M), and do "
     "no arithmetic", "a mask of 1s for the kept keys is mask(S, M) with keep"),
    ("input S[y m], M[m] bool\nY = S + M", "c.ncd:10:5: M holds flags (booleans)", "is declared real and added, S + M"),
    ("input X[y m], F[y]\nY = maximum(X, F: m)", "c.ncd:10:5: maximum takes two tensors and no axes, got 2 tensors and axes",
     "the larger of A and B"),
    ("input X[y], F[y m]\nY = minimum(X, F)", "c.ncd:10:16: cannot take the minimum of X [y] and F [y m]", "write minimum(F, X)"),
    ("input X[y m]\nY = layerscale(X: m -> k)", "c.ncd:10:19: layerscale needs the axes its weight lies over", "layerscale(X: m)"),
    ("input X[y m]\nY = upsample(X: y -> q) with factor=2, corners", "c.ncd:10:5: corners keeps the first and last samples of a linear "
     "interpolation", "write 'with linear, corners'"),
    ("input X[y m]\nY = prelu(X: m -> k)", "c.ncd:10:14: prelu names the axes its slopes vary along, or none for one slope",
     "prelu(X: m), or prelu(X)"),
    ("input X[y m], G[k]\nY = X * G", "c.ncd:10:9: cannot multiply X [y m] by G [k]: X has no axis 'k'", "needs no axis the left does not have"),
    ("input X[m], G[y m]\nY = X * G", "c.ncd:10:9: cannot multiply X [m] by G [y m]: X has no axis 'y'", "write G * X"),
    ("input X[y m], G[m y]\nY = X * G", "c.ncd:10:9: cannot multiply X [y m] by G [m y]", "both need one shape, in order"),
    ("input X[y m], B[k]\nY = X + B", "c.ncd:10:9: cannot add B [k] to X [y m]: X has no axis 'k'", "or some of them"),
    ("input X[m], B[y m]\nY = X + B", "c.ncd:10:9: cannot add B [y m] to X [m]: X has no axis 'y'", "write B + X"),
    ("input X[y m k], Z[y m k], B[k m]\nY = X + Z + B", "c.ncd:10:13: cannot add B [k m] to X [y m k]", "B's axes must come in X's order, [m k]"),
])
def test_the_new_kinds_refuse_bad_input_at_its_place(body, message, hint):
    from ncd_render.errors import NcdError

    with pytest.raises(NcdError) as error:
        build(parse(PREAMBLE + body + "\noutput Y\n", "c.ncd"))
    assert str(error.value).startswith(message) and hint in str(error.value), str(error.value)
