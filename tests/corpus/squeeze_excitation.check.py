"""tests/corpus/squeeze_excitation.ncd against torchvision's SqueezeExcitation written out:
nn.AdaptiveAvgPool2d(1), two 1x1 nn.Conv2d with ReLU between, a sigmoid, and ``scale * input``
(the [c, 1, 1] scale broadcast over the pixels), in NCHW."""
from torch import nn

from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    c, r = sizes["c"], sizes["r"]
    block = nn.ModuleDict({"fc1": nn.Conv2d(c, r, 1), "fc2": nn.Conv2d(r, c, 1)})

    def forward(X):  # X [batch h w c]
        x = X.permute(0, 3, 1, 2)
        scale = nn.AdaptiveAvgPool2d(1)(x)
        scale = block["fc2"](nn.ReLU()(block["fc1"](scale))).sigmoid()
        return (scale * x).permute(0, 2, 3, 1)

    parameters = {"L_1.weight": From("fc1.weight", "r c 1 1 -> r c"), "L_1.bias": From("fc1.bias"),
                  "L_2.weight": From("fc2.weight", "c r 1 1 -> c r"), "L_2.bias": From("fc2.bias")}
    return Reference(forward, block, parameters, name="torchvision's SqueezeExcitation in torch.nn")
