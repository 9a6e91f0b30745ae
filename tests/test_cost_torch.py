"""The cost model's matmul FLOPs agree with PyTorch's own count of the compiled
diagram (torch.utils.flop_counter counts matmul-like ops only: mm, bmm, addmm,
einsum's contractions, convolutions), repeated blocks included.

Every gallery diagram compiles and runs; a compile error fails like any
disagreement. Diagrams too large for this machine (DeepSeek-V3's experts)
run on PyTorch's meta device, where the counter still sees every shape."""
import math
from pathlib import Path

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from ncd_render.cost import analyse, load_profile
from ncd_render.ir import build
from ncd_render.parse import parse_file
from ncd_render.pytorch.compile import compile_diagram

GALLERY = sorted((Path(__file__).resolve().parents[1] / "gallery").glob("*.ncd"))
EXPANDED = 1 << 30  # a depth no component is nested under: every component expanded, whatever the file's 'depth'
MEMORY = 1 << 28  # values in all the diagram's tensors above which it runs on the meta device


@pytest.mark.parametrize("path", GALLERY, ids=[p.stem for p in GALLERY])
def test_matmul_flops_match_torch_flop_counter(path):
    diagram = build(parse_file(path), depth=EXPANDED)
    large = sum(math.prod(diagram.shape(v)) for v in diagram.values) > MEMORY
    with torch.device("meta" if large else "cpu"):
        inputs = [torch.randn(diagram.shape(v)) if diagram.values[v].dtype == "real" else torch.zeros(diagram.shape(v), dtype=torch.long)
                  for v in diagram.inputs]
        module = compile_diagram(diagram)
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            module(*inputs)
    expected = sum(k.matmul_flops for k in analyse(diagram, load_profile("a100-80gb"), "fp32").kernels)
    assert expected > 0
    assert counter.get_total_flops() == expected
