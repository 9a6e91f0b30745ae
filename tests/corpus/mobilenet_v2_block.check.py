"""mobilenet_v2_block.ncd against torchvision-style InvertedResidual written in torch.nn (NCHW), BN in training mode."""
from torch import nn
from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    c, e = sizes["c"], sizes["e"]
    conv = nn.Sequential(
        nn.Conv2d(c, e, 1, bias=False), nn.BatchNorm2d(e), nn.ReLU6(),
        nn.Conv2d(e, e, 3, padding=1, groups=e, bias=False), nn.BatchNorm2d(e), nn.ReLU6(),
        nn.Conv2d(e, c, 1, bias=False), nn.BatchNorm2d(c))

    def forward(X):
        conv.train()
        x = X.permute(0, 3, 1, 2)
        return (x + conv(x)).permute(0, 2, 3, 1)

    parameters = {"L_exp.weight": From("0.weight", "e c 1 1 -> e c"),
                  "BN_1.weight": From("1.weight"), "BN_1.bias": From("1.bias"),
                  "L_dw.weight": From("3.weight", "e 1 i j -> e i j"),
                  "BN_2.weight": From("4.weight"), "BN_2.bias": From("4.bias"),
                  "L_proj.weight": From("6.weight", "c e 1 1 -> c e"),
                  "BN_3.weight": From("7.weight"), "BN_3.bias": From("7.bias")}
    return Reference(forward, conv, parameters, name="MobileNetV2 InvertedResidual in torch.nn")
