"""Cost rules of the later vocabulary (convolution tensor, reductions, concat, embedding,
masks, RoPE, top-k, products, per-expert maps, save/load, repeat), each derived from a
small diagram's sizes; convolutions are also counted by PyTorch itself."""
import math

import pytest

from ncd_render.cost import analyse, format_report, load_profile
from ncd_render.cost.boxes import topk_flops, work
from ncd_render.errors import NcdError
from ncd_render.ir import build
from ncd_render.parse import parse

A100 = load_profile("a100-80gb")
BF16 = 2


def conv(kernel=3, stride=1, dilation=1, padding=1, fused=False, h=32, c=16, d=32):
    """A 2-D convolution as the NCD paper draws it: the star, then a linear map over blocks and channels."""
    out = (h + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    body = (f"  B = unfold(X: h w -> y x i j) with stride={stride}, dilation={dilation}, padding={padding}\n"
            "  Y = linear(B: i j c -> d) as L\n")
    return build(parse(f"axis h = {h}\naxis w = {h}\naxis y = {out}\naxis x = {out}\naxis i = {kernel}\naxis j = {kernel}\n"
                       f"axis c = {c}\naxis d = {d}\ninput X[h w c]\n"
                       + (f'section "conv" fused\n{body}end\n' if fused else body) + "output Y\n"))


def rows(d, dtype="bf16"):
    return {k.name: k for k in analyse(d, A100, dtype).kernels}


def size(d, *axes):
    return math.prod(d.axes[a].size for a in axes)


@pytest.mark.parametrize("stride, dilation, padding", [(1, 1, 1), (2, 1, 1), (1, 2, 0)])
def test_a_convolution_costs_two_flops_per_multiply_add_as_torch_counts_them(stride, dilation, padding):
    d = conv(stride=stride, dilation=dilation, padding=padding)
    flops = rows(d)["L"].matmul_flops
    assert flops == 2 * size(d, "y", "x") * size(d, "i", "j") * size(d, "c") * size(d, "d")
    import torch  # a test dependency: missing, it fails rather than skips
    from torch.utils.flop_counter import FlopCounterMode

    weight = torch.randn(size(d, "d"), size(d, "c"), size(d, "i"), size(d, "j"))
    with FlopCounterMode(display=False) as counter:
        torch.nn.functional.conv2d(torch.randn(1, size(d, "c"), size(d, "h"), size(d, "w")), weight,
                                   stride=stride, dilation=dilation, padding=padding)
    assert counter.get_total_flops() == flops


def test_an_unfold_on_its_own_writes_its_blocks():
    d = conv()
    unfold = rows(d)["unfold1 (B)"]
    assert unfold.flops == 0
    assert unfold.hbm_bytes == BF16 * (size(d, "h", "w", "c") + size(d, "y", "x", "i", "j", "c"))


def test_unfold_and_linear_fused_cost_a_convolution_not_its_blocks():
    alone, fused = analyse(conv(h=56, c=64, d=64), A100), analyse(conv(h=56, c=64, d=64, fused=True), A100)
    d = conv(h=56, c=64, d=64)
    (kernel,) = fused.kernels
    assert kernel.flops == alone.flops
    compulsory = BF16 * (size(d, "h", "w", "c") + size(d, "i", "j", "c", "d") + size(d, "y", "x", "d"))
    assert compulsory <= kernel.hbm_bytes < 1.5 * compulsory < alone.hbm_bytes / 4  # no blocks in HBM
    roles = {a: role for a, (role, _) in kernel.plan.roles.items()}
    assert {roles["h"], roles["w"]} == {"window"} and "group" in {roles["y"], roles["x"]}


def test_neighbouring_windows_read_their_overlap_again():
    """Padding 0, kernel 5: each group of g rows reads g + 4 input rows; smaller groups read more."""
    d = build(parse('axis h = 64\naxis y = 60\naxis i = 5\naxis c = 8\ninput X[h c]\nsection "s" fused\n'
                    '  B = unfold(X: h -> y i)\n  Y = linear(B: i c -> c) as L\nend\noutput Y\n'))
    from dataclasses import replace
    small, large = (analyse(d, replace(A100, shared_memory_bytes=kib * 1024)).kernels[0].plan for kib in (2, 164))
    g = small.roles["y"][1]
    assert small.roles["h"] == ("window", g + 4)
    groups = -(-60 // g)
    weight = BF16 * 5 * 8 * 8
    assert small.read_once + small.resent == BF16 * groups * (g + 4) * 8 + groups * weight
    assert large.roles["y"] == ("group", 60) and large.resent == 0


def test_fold_adds_every_block_element_and_reduce_reads_every_element():
    d = build(parse("axis h = 8\naxis y = 4\naxis i = 2\naxis c = 3\ninput T[y i c]\n"
                    "X = fold(T: y i -> h) with stride=2\nM = max(X: c)\noutput M\n"))
    fold, reduce = analyse(d, A100).kernels
    assert fold.vector_flops == size(d, "y", "i", "c") and fold.hbm_bytes == BF16 * (size(d, "y", "i", "c") + size(d, "h", "c"))
    assert reduce.vector_flops == size(d, "h", "c") and reduce.hbm_bytes == BF16 * (size(d, "h", "c") + size(d, "h"))


def test_an_embedding_gathers_one_row_per_id_whatever_the_vocabulary():
    def embed(vocab):
        return build(parse(f"axis t = 128\naxis v = {vocab}\naxis m = 64\ninput T[t] int\nX = embedding(T: v -> m)\noutput X\n"))

    small, large = (rows(embed(v))["E"] for v in (100, 50000))
    d = embed(100)
    assert small.flops == 0 and small.hbm_bytes == 4 * size(d, "t") + 2 * BF16 * size(d, "t", "m")  # ids, rows read, output
    assert large.hbm_bytes == small.hbm_bytes


def test_masks_products_rope_and_topk_count_per_element():
    d = build(parse("axis y = 16\naxis x = 16\naxis k = 8\naxis e = 8\ninput S[y x], G[y x], Q[y k], P[y e]\n"
                    "M = mask(S: y x) with causal\nH = M * G\nR = rope(Q: y k)\n"
                    "T = topk(P: e) with k=2, normalize, select_bias, groups=2, topk_groups=1, scale=2.5\noutput H, R, T\n"))
    mask, mul, rope, topk = analyse(d, A100).kernels
    n = size(d, "y", "x")
    assert (mask.vector_flops, mul.vector_flops) == (n, n)
    assert mul.hbm_bytes == BF16 * 3 * n
    assert rope.vector_flops == 3 * size(d, "y", "k") and rope.hbm_bytes == BF16 * 3 * size(d, "y", "k")  # x, cos|sin, out
    assert topk.vector_flops == (2 + 1 + 1 + 1 + 2) * size(d, "y", "e") == topk_flops(d.ops[-2].params) * size(d, "y", "e")
    assert topk.hbm_bytes == BF16 * (2 * size(d, "y", "e") + size(d, "e"))  # scores in, gates out, selection bias


def test_concat_copies_and_views_saves_and_loads_move_nothing():
    d = build(parse("axis a = 4\naxis b = 6\naxis n = 10\naxis m = 8\ninput A[a m], B[b m]\nC = concat(A, B: a, b -> n)\n"
                    "save C as K\nD = load(K)\nI = index(D: n) with at=0\noutput I\n"))
    ks = analyse(d, A100).kernels
    assert [(k.kind, k.bound) for k in ks] == [("concat", "memory"), ("index", "free")]
    assert ks[0].flops == 0 and ks[0].hbm_bytes == BF16 * 2 * size(d, "n", "m")
    assert ks[1].hbm_bytes == 0


def test_a_linear_map_per_expert_has_a_weight_per_expert():
    d = build(parse("axis y = 32\naxis m = 16\naxis f = 24\naxis e = 4\ninput X[y m]\nH = linear(X: m -> f) with per=e as W\noutput H\n"))
    w = work(d, d.ops[1])
    assert w.matmul_flops == 2 * size(d, "y", "m", "f", "e")
    assert [r.axes for r in w.reads] == [("y", "m"), ("e", "m", "f")]


REPEATED = "axis y = 64\naxis m = 32\ninput X[y m]\n{open}  H = linear(X: m -> m) as L\n  X = relu(H)\n{close}output X\n"


def test_a_repeated_block_costs_its_body_as_often_as_it_runs():
    once = analyse(build(parse(REPEATED.format(open="", close=""))), A100)
    six = analyse(build(parse(REPEATED.format(open='repeat 6 "layer"\n', close="end\n"))), A100)
    assert [k.times for k in six.kernels] == [6, 6]
    assert (six.flops, six.hbm_bytes, six.time) == (6 * once.flops, 6 * once.hbm_bytes, pytest.approx(6 * once.time))
    table = format_report(six, "t.ncd")
    assert [line.split()[:3] for line in table.splitlines() if line.startswith(("L ", "total"))] == [["L", "×6", "linear"], ["total", "12", "kernels"]]


def test_nested_and_collapsed_repeats_multiply():
    body = "block Layer(X[y m])\n  repeat 2\n    H = linear(X: m -> m) as L\n    X = relu(H)\n  end\n  return X\nend\n"
    program = parse("axis y = 64\naxis m = 32\n" + body + "input X[y m]\nrepeat 3\n  X = Layer(X)\nend\noutput X\n")
    expanded, collapsed = analyse(build(program), A100), analyse(build(program, depth=0), A100)
    once = analyse(build(parse(REPEATED.format(open="", close=""))), A100)
    assert expanded.flops == collapsed.flops == 6 * once.flops
    assert collapsed.hbm_bytes == expanded.hbm_bytes == 6 * once.hbm_bytes


def test_a_fused_section_cannot_hold_a_repeat():
    d = build(parse(REPEATED.format(open='section "s" fused\nrepeat 2\n', close="end\nend\n")))
    with pytest.raises(NcdError, match="fused section 's' holds a repeat block") as error:
        analyse(d, A100)
    assert "inside it" in error.value.hint
