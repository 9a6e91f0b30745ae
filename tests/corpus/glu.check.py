"""tests/corpus/glu.ncd against torch.nn.GLU after one nn.Linear of twice the width: GLU halves its
input along the last dimension, a * sigmoid(b)."""
from torch import nn

from ncd_render.pytorch.check import Reference


def reference(sizes):
    block = nn.Sequential(nn.Linear(sizes["m"], 2 * sizes["f"]), nn.GLU(dim=-1))
    return Reference(block, block, {"W.weight": "0.weight", "W.bias": "0.bias"}, name="nn.Linear then nn.GLU")
