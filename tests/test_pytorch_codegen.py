"""ncd compile: the generated source runs, matches compile_diagram's module
weight for weight, and reads like code a person would write."""
import json
import re
from pathlib import Path

import pytest
import torch
from torch import nn

from ncd_render.errors import NcdError
from ncd_render.ir import build
from ncd_render.parse import parse, parse_file
from ncd_render.pytorch.codegen import class_name_for, generate
from ncd_render.pytorch.compile import compile_diagram

ROOT = Path(__file__).resolve().parents[1]
SMALL = json.loads((ROOT / "tests" / "small_sizes.json").read_text())

# Every op kind and the awkward cases: several and non-trailing axes, norms that
# must move their axes, a component used twice whose inner W must not clobber the
# outer W still in use, a copy, unnamed values written inline, three outputs.
KITCHEN_SINK = """title "Kitchen sink"
axis b = 3 width
axis r = 2
axis c = 3
axis m = 4
axis h = 2
axis k = m / h
input X[b (r c)], Z[b m]

block mix(V[b m])
  W = linear(V: m -> m) as L
  W = tanh(W)
  return W
end

G = rearrange(X: b (r c) -> c b r)
H = linear(G: c r -> m) with bias as L_in
N = layernorm(H: m) with affine as LN
R = rmsnorm(N: m) with affine as RMS
B = batchnorm(R: b) with affine as BN
T = rearrange(B: m b -> b m)
A = T + Z
section "Gates"
  S = gelu(A)
  W = sigmoid(S)
  P = mix(S)
  Q = mix(P)
end
Y = W + Q + Z
E = softmax(Y: b m) * 2
D = einsum(T, Z: b m, b m -> b) * m^-1/2
K2 = rearrange(X: b (r c) -> r b c)
U = linear(K2: r c -> k h) with bias as L_kh
U = dropout(U) with p=0.2
V = silu(U)
V = relu(V)
V = exp(V)
V = identity(V)
output E, D, V
"""

# The rest of the vocabulary: windows, pooling, concat, embedding, mask, RoPE,
# top-k, per-expert maps with a bias, products, save/load, and nested repeated
# blocks that carry two values round (swapped), read a value from before them,
# and leave a value used afterwards.
VOCABULARY = """title "Vocabulary"
axis t = 6 width
axis s = t width
axis v = 5
axis m = 4
axis e = 3
axis i = 3
axis p = 2
axis n = 1
axis u = 7
axis q = 4 width
input T[t] int, X[t m], Z[n m]

block Swap(A[t m], B[t m])
  A2 = identity(A)
  B2 = identity(B)
  return B2, A2
end

E = embedding(T: v -> m) as E
save E as C
B = unfold(X: t -> t i) with padding=1
P = mean(B: i)
W = unfold(E: t -> q p) with kernel=2, padding=1, stride=2
repeat 2 "Outer"
  repeat 2 "Inner"
    Q = rope(P: t m) with base=100
    R = rope(P: t m) with interleaved
    Sc = einsum(Q, R: t m, t m -> t)
    X, P = Swap(X, P)
    X = linear(X: m -> m) with bias as L
  end
  K = linear(P: m -> m) as L_K
end
K = rename(K: t -> s)
S = einsum(P, K: t m, s m -> t s)
S = mask(S: t s) with causal
G = linear(P: m -> e) as W_g
G = topk(G: e) with k=2, normalize, select_bias
H = linear(P: m -> m) with per=e, bias as W_e
H = H * H
M = einsum(H, G: t m e, t e -> t m)
L = load(C)
F = fold(W: q p -> t) with kernel=2, padding=1, stride=2
J = concat(Z, F: n, t -> u)
C0 = index(J: u) with at=0
Y = sum(M: t)
output S, Y, C0, L, Sc
"""


def generated_module(diagram):
    namespace = {}
    exec(compile(generate(diagram), "<generated>", "exec"), namespace)
    return namespace[class_name_for(diagram)]()


def assert_same_as_compiled(diagram):
    ours = compile_diagram(diagram).double().eval()
    for name, p in ours.named_parameters():  # not the initial ones and zeros, so every weight matters (a variance stays positive)
        p.data.copy_(torch.rand_like(p) + 0.5 if name.endswith("running_var") else torch.randn_like(p))
    theirs = generated_module(diagram).double().eval()
    theirs.load_state_dict(ours.state_dict())  # strict: the same names and shapes
    inputs = [torch.randn(2, *diagram.shape(v), dtype=torch.float64) if diagram.values[v].dtype == "real"
              else torch.randint(3, (2, *diagram.shape(v))) for v in diagram.inputs]
    expected, got = ours(*inputs), theirs(*inputs)
    expected, got = (expected, got) if isinstance(expected, tuple) else ((expected,), (got,))
    assert len(got) == len(expected)
    for e, g in zip(expected, got):
        torch.testing.assert_close(g, e, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_generated_gallery_modules_match_compiled_ones(name):
    assert_same_as_compiled(build(parse_file(ROOT / "gallery" / f"{name}.ncd"), sizes=SMALL[name]))


def test_generated_source_covers_every_op_kind():
    diagram = build(parse(KITCHEN_SINK, "sink.ncd"))
    source = generate(diagram)
    assert "W_2 = nn.functional.linear(S, self.mix_L.weight)" in source  # the component's W is renamed ...
    assert "Y = W + Q + Z" in source  # ... so the outer W survives
    assert "rms_norm" in source and "layer_norm" in source and "logsumexp" in source
    assert_same_as_compiled(diagram)


def test_generated_source_covers_the_rest_of_the_vocabulary():
    diagram = build(parse(VOCABULARY, "vocabulary.ncd"))
    source = generate(diagram)
    for line in ["        for layer in self.outer:  # Outer ×2", "            X, P, Sc, K = layer(P, X)",  # K and Sc: read after
                 "        for layer in self.inner:  # Inner ×2", "            X, P, Sc = layer(P, X)",
                 "        X = nn.functional.linear(X_2, self.L.weight, self.L.bias)", "        return X, P_2, Sc",  # swapped
                 "        self.inner = nn.ModuleList(Inner() for _ in range(2))", "        L = E  # load C"]:
        assert line + "\n" in source
    assert source.index("class Inner(") < source.index("class Outer(") < source.index("class Vocabulary(")
    assert "def unfold(" in source and "def fold(" in source and "import itertools" in source
    assert_same_as_compiled(diagram)


def test_a_window_set_per_axis_is_written_per_axis():
    """CRNN's pooling, stride=(2, 1), padding=(0, 1): the generated module passes each setting as a tuple (the
    rows' first) and computes what the diagram does (which tests/corpus/crnn_pooling.check.py holds to nn.MaxPool2d)."""
    diagram = build(parse_file(ROOT / "tests" / "corpus" / "crnn_pooling.ncd"), sizes={"h": 6, "w": 5, "c": 3, "d": 4})
    assert "P = unfold(P, 2, kernel=2, stride=(2, 1), padding=(0, 1))" in generate(diagram)
    assert_same_as_compiled(diagram)


def test_the_gallery_is_covered_by_the_round_trip():
    assert {p.stem for p in (ROOT / "gallery").glob("*.ncd")} <= set(SMALL)


def test_a_repeated_block_is_a_class_called_in_a_loop():
    """Each repetition is a module of its own class, called as a stack of layers is (what `ncd import`
    folds back into one `repeat` block)."""
    source = generate(build(parse_file(ROOT / "gallery" / "resnet.ncd"), sizes=SMALL["resnet"]))
    block = source[source.index("class ResidualBlock(nn.Module):"):source.index("class ResNetIdentity")]
    assert '    """Residual block, one of 3 in a row: forward(X [... h w c]) -> X [... h w c]."""\n' in block
    assert '        self.BN_1 = nn.ParameterDict({\n            "weight": nn.Parameter(torch.ones(c)),\n' in block
    assert "        H = batch_norm(H, 2, 1, self.BN_1.weight, self.BN_1.bias, eps=1e-05)\n" in block
    assert "        B = unfold(B, 2, kernel=3, padding=1)\n" in block
    assert block.rstrip().endswith("        X = X + H\n        return X")
    assert "        self.residual_block = nn.ModuleList(ResidualBlock() for _ in range(3))\n" in source
    forward = source[source.index("    def forward(self, X):\n        for"):]
    assert forward == "    def forward(self, X):\n        for layer in self.residual_block:  # Residual block ×3\n" \
                      "            X = layer(X)\n        return X\n"


def test_a_repeated_block_reads_what_it_needs_from_before_it():
    """The decoder layers read the encoder's output: it is an argument of every repetition (the
    first, as the layer reads it first)."""
    source = generate(build(parse_file(ROOT / "gallery" / "transformer.ncd"), sizes=SMALL["transformer"]))
    assert "    def forward(self, X, Y):\n" in source and "            Y = layer(X, Y)\n" in source
    assert "            X = layer(X)\n" in source


def test_a_drawing_depth_does_not_collapse_the_code():
    """transformer.ncd is drawn at depth 0; its code has every component written out."""
    source = generate(build(parse_file(ROOT / "gallery" / "transformer.ncd"), sizes=SMALL["transformer"]))
    assert "S = causal_mask(S, -3, -2)  # causal over u, w" in source
    assert "self.MaskedAttention_L_Q.weight" in source and "X = self.E.weight[Src]" in source


def test_multi_head_attention_reads_like_hand_written_code():
    source = generate(build(parse_file(ROOT / "gallery" / "mha.ncd")))
    forward = source[source.index("    def forward"):]
    assert forward == '''    def forward(self, Xq, Xkv):
        Q = einsum(Xq, self.L_Q.weight, "... y m, k h m -> ... y k h") + self.L_Q.bias
        K = einsum(Xkv, self.L_K.weight, "... x m, k h m -> ... x k h") + self.L_K.bias
        V = einsum(Xkv, self.L_V.weight, "... x m, k h m -> ... x k h") + self.L_V.bias

        # Attention, broadcast over heads
        S = einsum(Q, K, "... y k h, ... x k h -> ... y x h") * 0.125  # k^-1/2
        P = torch.softmax(S, dim=-2)  # over x
        O = einsum(P, V, "... y x h, ... x k h -> ... y k h")

        Y = einsum(O, self.L_O.weight, "... y k h, m k h -> ... y m") + self.L_O.bias
        return Y
'''
    assert "class MultiHeadAttention(nn.Module):" in source
    assert "        m, h, k = 512, 8, 64\n" in source
    assert '"weight": nn.Parameter(torch.randn(m, k, h) / (k * h) ** 0.5),' in source


def test_the_mlp_uses_nn_functional_linear():
    source = generate(build(parse_file(ROOT / "gallery" / "mlp.ncd")))
    assert 'F = rearrange(X, "... r c -> ... (r c)")\n        H = nn.functional.linear(F, self.L_1.weight, self.L_1.bias)' in source


def test_names_that_are_not_python_are_renamed():
    text = "axis lambda = 2\naxis x' = 3\ninput X'[lambda x']\nrearrange = relu(X')\nY = rearrange(rearrange: lambda x' -> x' lambda)\noutput Y\n"
    diagram = build(parse(text, "t.ncd"))
    source = generate(diagram)
    assert "def forward(self, X_prime):" in source
    assert 'rearrange2 = torch.relu(X_prime)' in source
    assert '"... lambda2 x_prime -> ... x_prime lambda2"' in source
    assert_same_as_compiled(diagram)


def test_a_bad_class_name_is_an_error():
    with pytest.raises(NcdError, match="'3D' cannot name a python class"):
        generate(build(parse_file(ROOT / "gallery" / "sdpa.ncd")), class_name="3D")


def test_a_class_name_that_hides_an_import_is_an_error():
    """--class-name nn compiled, then the module failed to build (type object 'nn' has no attribute 'ParameterDict')."""
    for name in ("nn", "torch", "einsum"):
        with pytest.raises(NcdError, match=f"'{name}' is a name the generated module imports"):
            generate(build(parse_file(ROOT / "gallery" / "sdpa.ncd")), class_name=name)


def test_a_title_with_backslashes_compiles_to_a_module_that_imports(tmp_path):
    """title "Router with \\xi gating" went into a docstring as written: the module did not import (SyntaxError:
    truncated \\xXX escape)."""
    diagram = build(parse('title "Router with \\xi gating, C:\\new"\naxis m = 4\ninput X[m]\nY = relu(X)\noutput Y\n', "t.ncd"))
    source = generate(diagram)
    compile(source, "t.py", "exec")  # (a SyntaxError here is the bug)
    namespace = {}
    exec(source, namespace)
    assert namespace["__doc__"].startswith("Router with \\xi gating, C:\\new")


@pytest.mark.parametrize("text", [
    "axis y = 4 width\naxis m = 6\naxis i = 3\ninput X[y m]\nunfold = unfold(X: y -> y i) with padding=1\noutput unfold\n",
    "axis y = 4 width\naxis m = 8\ninput X[y m]\nG = linear(X: m -> ) with bias as L_g\noutput G\n",
    'axis y = 4 width\naxis m = 4\ninput X[y m]\nrepeat 2 "Layer \\N"\n  X = linear(X: m -> m) as L\nend\noutput X\n',
], ids=["a-tensor-named-as-a-helper", "a-bias-of-no-axes", "a-repeat-titled-with-a-backslash"])
def test_source_that_ncd_check_never_ran_imports_and_matches(text):
    """`ncd check` runs compile_diagram, not the written source: these passed it, and `ncd compile` wrote a module whose
    `unfold = unfold(...)` called the tensor, whose `torch.zeros()` had no size (additive attention's and CBAM's
    scalar biases in tests/corpus), or whose block class docstring held `\\N` (a SyntaxError) (a tester's)."""
    assert_same_as_compiled(build(parse(text, "t.ncd")))


def test_batch_norm_with_running_statistics_is_nn_batch_norm_in_eval_mode():
    """``batchnorm ... with running`` normalises by stored statistics, compiled and as written source alike."""
    diagram = build(parse("axis c = 3\naxis h = 4 width\naxis w = 5 width\ninput X[c h w]\n"
                          "Y = batchnorm(X: h w) with affine, eps=1e-3, running as BN\noutput Y\n", "bn.ncd"))
    assert "mean=self.BN.running_mean, var=self.BN.running_var" in generate(diagram)
    assert_same_as_compiled(diagram)
    torch_bn = nn.BatchNorm2d(3, eps=1e-3).double().eval()
    for p in (torch_bn.weight, torch_bn.bias, torch_bn.running_mean):
        p.data.copy_(torch.randn(3, dtype=torch.float64))
    torch_bn.running_var.copy_(torch.rand(3, dtype=torch.float64) + 0.5)
    ours = compile_diagram(diagram).double().eval()
    ours.load_state_dict({f"BN.{k}": v for k, v in torch_bn.state_dict().items() if k != "num_batches_tracked"})
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    torch.testing.assert_close(ours(x), torch_bn(x), rtol=1e-12, atol=1e-12)


def test_names_python_reads_alike_get_variables_of_their_own(tmp_path):
    """Python reads identifiers in NFKC: X and the fullwidth Ｘ were one argument, twice, and the written module
    did not import ('duplicate argument')."""
    d = build(parse("axis m = 4\ninput X[m], Ｘ[m]\nY = X - Ｘ\noutput Y\n", "wide.ncd"))
    source = generate(d, "Wide")
    namespace = {}
    exec(compile(source, "wide.py", "exec"), namespace)
    out = namespace["Wide"]()(torch.ones(4), 3 * torch.ones(4))
    assert torch.equal(out, -2 * torch.ones(4))


def test_the_names_an_nn_module_answers_to_are_the_ones_compile_keeps_clear_of():
    """ncd compile writes source without importing torch, so it keeps its own list: torch's, for the pinned version
    (asked of a fresh process: a library imported in this one, transformers, adds its own to nn.Module)."""
    import subprocess
    import sys

    from ncd_render.pytorch.patterns import MODULE_ATTRIBUTES

    ask = "import json, torch; print(json.dumps(sorted(n for n in dir(torch.nn.Module()) if not n.startswith('_'))))"
    run = subprocess.run([sys.executable, "-c", ask], capture_output=True, text=True, timeout=300)
    assert MODULE_ATTRIBUTES == set(json.loads(run.stdout))


@pytest.mark.parametrize("label, message", [
    ('"Ｗ"', "learned boxes 'W' and 'Ｗ' are one name in Python"),  # both self.W: W - Ｗ was always 0
    ("forward", "a learned box cannot be called 'forward' in PyTorch"),  # it replaced the module's forward
    ("training", "a learned box cannot be called 'training' in PyTorch"),
])
def test_labels_python_or_nn_module_would_read_as_another_name_are_refused(label, message):
    d = build(parse(f"axis m = 4\ninput X[m]\nA = linear(X: m -> m) as W\nB = linear(X: m -> m) as {label}\nH = A - B\noutput H\n",
                    "lab.ncd"))
    with pytest.raises(NcdError, match=re.escape(message)) as info:
        generate(d)
    assert info.value.span.line == 4


def test_a_class_name_python_reads_as_an_import_is_refused():
    with pytest.raises(NcdError, match="a name the generated module imports"):
        generate(build(parse_file(Path(__file__).resolve().parents[1] / "gallery" / "mha.ncd")), "ｎｎ")


def test_a_repeated_block_titled_as_a_module_attribute_is_named_apart():
    """A repeat titled "Training" was self.training, the module's flag: compile_diagram refused it, ncd compile wrote it."""
    d = build(parse('axis m = 4\ninput X[m]\nrepeat 2 "Training"\n  X = linear(X: m -> m) as L\nend\noutput X\n', "t.ncd"))
    namespace = {}
    exec(compile(generate(d, "T"), "t.py", "exec"), namespace)
    model = namespace["T"]()
    assert model.training is True and len(model.training2) == 2
    assert set(model.state_dict()) == set(compile_diagram(d).state_dict())
