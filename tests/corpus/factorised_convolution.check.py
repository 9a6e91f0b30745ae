"""tests/corpus/factorised_convolution.ncd against torch.nn: a 1 x 7 nn.Conv2d padded (0, 3), ReLU, a 7 x 1 one
padded (3, 0), ReLU, in NCHW, as torchvision's InceptionC writes its 7 x 7 branch."""
from torch import nn

from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    c, d = sizes["c"], sizes["d"]
    block = nn.Sequential(nn.Conv2d(c, d, (1, 7), padding=(0, 3)), nn.ReLU(), nn.Conv2d(d, d, (7, 1), padding=(3, 0)), nn.ReLU())

    def forward(X):  # X [batch h w c]
        return {"Y": block(X.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)}

    parameters = {"L_1x7.weight": From("0.weight", "d c a b -> d a b c"), "L_1x7.bias": From("0.bias"),
                  "L_7x1.weight": From("2.weight", "e d p q -> e p q d"), "L_7x1.bias": From("2.bias")}
    return Reference(forward, block, parameters, name="torch.nn.Conv2d, 1 x 7 then 7 x 1")
