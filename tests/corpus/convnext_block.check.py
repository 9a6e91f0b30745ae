"""tests/corpus/convnext_block.ncd against torchvision's CNBlock, written out in torch.nn:
a depthwise nn.Conv2d (groups = channels), nn.LayerNorm, nn.Linear, nn.GELU, nn.Linear, then
``layer_scale * x`` with layer_scale a [c, 1, 1] parameter, in NCHW as torchvision does."""
import torch
from torch import nn

from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    c = sizes["c"]
    block = nn.ModuleDict({"dw": nn.Conv2d(c, c, 7, padding=3, groups=c), "norm": nn.LayerNorm(c, eps=1e-6),
                           "fc1": nn.Linear(c, 4 * c), "fc2": nn.Linear(4 * c, c)})
    block.layer_scale = nn.Parameter(torch.full((c, 1, 1), 1e-6))

    def forward(X):  # X [batch h w c]
        x = X.permute(0, 3, 1, 2)
        y = block["dw"](x).permute(0, 2, 3, 1)
        y = block["fc2"](nn.GELU()(block["fc1"](block["norm"](y)))).permute(0, 3, 1, 2)
        return (x + block.layer_scale * y).permute(0, 2, 3, 1)

    parameters = {"L_dw.weight": From("dw.weight", "c 1 i j -> c i j"), "L_dw.bias": From("dw.bias"),
                  "LN.weight": From("norm.weight"), "LN.bias": From("norm.bias"),
                  "L_1.weight": From("fc1.weight"), "L_1.bias": From("fc1.bias"),
                  "L_2.weight": From("fc2.weight"), "L_2.bias": From("fc2.bias"),
                  "gamma.weight": From("layer_scale", "c 1 1 -> c")}
    return Reference(forward, block, parameters, name="torchvision's CNBlock in torch.nn (gamma * x)")
