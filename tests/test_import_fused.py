"""Rearrangements back to back written as one (ncd_render.importer.fused): each rewrite is run
against the program as written, both compiled to torch on the same random inputs; and where a
fold would change what the program computes (a value read again, made in a repeat, its input
made again between), nothing is folded."""
import torch

from ncd_render.importer.fused import fuse_rearranges
from ncd_render.ir import build
from ncd_render.parse import parse
from ncd_render.pytorch.compile import compile_diagram

AXES = ["axis y = 3", "axis h = 2", "axis v = 4", "axis k = 5"]


def run(lines: list[str], seed: int = 0):
    """The outputs of the program ``lines`` (after AXES) on random inputs drawn from ``seed``."""
    diagram = build(parse("\n".join(AXES + lines) + "\n", "t.ncd"))
    module = compile_diagram(diagram).double()
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # the learned boxes' weights
    inputs = [torch.randn(*diagram.shape(v), generator=generator, dtype=torch.float64) for v in diagram.inputs]
    outputs = module(*inputs)
    return outputs if isinstance(outputs, tuple) else (outputs,)


def assert_same_program(before: list[str], after: list[str]) -> None:
    for a, b in zip(run(before), run(after), strict=True):
        assert a.shape == b.shape and torch.allclose(a, b), (before, after)


def rearranges(lines: list[str]) -> int:
    return sum("rearrange(" in line for line in lines)


def test_a_split_then_another_grouping_is_one_rearrangement():
    before = ["input X[y (h v)]", "A = rearrange(X: y (h v) -> y h v)", "B = rearrange(A: y h v -> y (v h))",
              "P = rope(B: y (v h))", "output P"]
    after = fuse_rearranges(before)
    assert rearranges(after) == 1 and "rearrange(X: y (h v) -> y (v h))" in after[1]
    assert_same_program(before, after)


def test_a_pair_that_undoes_itself_is_dropped_and_its_readers_read_its_input():
    """DeepSeek's rotary part: split off as ``(h v)``, split, grouped again for the rotary."""
    before = ["input X[y (h v)]", "A = rearrange(X: y (h v) -> y h v)", "G = rearrange(A: y h v -> y (h v))",
              "P = rope(G: y (h v)) with interleaved", "Q = G * P", "output Q"]
    after = fuse_rearranges(before)
    assert rearranges(after) == 0 and after[1:] == ["P = rope(X: y (h v)) with interleaved", "Q = X * P", "output Q"]
    assert_same_program(before, after)


def test_a_chain_of_three_folds_into_one():
    before = ["input X[y h v]", "A = rearrange(X: y h v -> y (h v))", "B = rearrange(A: y (h v) -> y v h)",
              "C = rearrange(B: y v h -> (y v) h)", "D = linear(C: h -> k)", "output D"]
    after = fuse_rearranges(before)
    assert rearranges(after) == 1
    assert_same_program(before, after)


def test_a_rearrangement_read_by_another_statement_too_is_kept():
    before = ["input X[y h v]", "A = rearrange(X: y h v -> y (h v))", "B = rearrange(A: y (h v) -> y v h)",
              "C = linear(A: (h v) -> k)", "output B, C"]
    assert fuse_rearranges(before) == before


def test_nothing_folds_when_the_input_is_made_again_between():
    before = ["input X[y h v]", "A = rearrange(X: y h v -> y v h)", "X = X * X", "B = rearrange(A: y v h -> y h v)",
              "C = X + B", "output C"]
    assert fuse_rearranges(before) == before
    assert_same_program(before, before)


def test_a_pair_that_undoes_itself_keeps_the_name_an_output_reads():
    before = ["input X[y h v]", "A = rearrange(X: y h v -> y v h)", "B = rearrange(A: y v h -> y h v)", "output B"]
    after = fuse_rearranges(before)
    assert after == before
    assert_same_program(before, after)


def test_nothing_folds_across_a_section_or_a_repeat_that_carries_the_name():
    across = ["input X[y h v]", "A = rearrange(X: y h v -> y v h)", 'section "s"', "  B = rearrange(A: y v h -> y h v)",
              "end", "output B"]
    assert fuse_rearranges(across) == across
    carried = ["input X[y h v]", "A = rearrange(X: y h v -> y v h)", 'repeat 2 "r"', "  C = rearrange(A: y v h -> y h v)",
               "  D = C * X", "  A = rearrange(D: y h v -> y v h)", "  B = rearrange(A: y v h -> y (v h))", "end", "output B"]
    assert fuse_rearranges(carried) == carried  # A is read at the top of the next repetition
    assert_same_program(carried, carried)
