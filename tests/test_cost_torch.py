"""The cost model's matmul FLOPs agree with PyTorch's own count of the compiled
diagram (torch.utils.flop_counter counts matmul-like ops only: mm, bmm, addmm,
einsum's contractions, convolutions)."""
from pathlib import Path

import pytest

from ncd_render.cost.boxes import work
from ncd_render.ir import build
from ncd_render.parse import parse_file

compile_module = pytest.importorskip("ncd_render.pytorch.compile", reason="the torch compile module is not written yet")
torch = pytest.importorskip("torch")
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

GALLERY = sorted((Path(__file__).resolve().parents[1] / "gallery").glob("*.ncd"))


@pytest.mark.parametrize("path", GALLERY, ids=[p.stem for p in GALLERY])
def test_matmul_flops_match_torch_flop_counter(path):
    diagram = build(parse_file(path))
    module = compile_module.compile_diagram(diagram)
    inputs = [torch.randn(diagram.shape(v)) if diagram.values[v].dtype == "real" else torch.zeros(diagram.shape(v), dtype=torch.long)
              for v in diagram.inputs]
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(*inputs)
    expected = sum(work(diagram, op).matmul_flops for op in diagram.ops)
    assert expected > 0
    assert counter.get_total_flops() == expected
