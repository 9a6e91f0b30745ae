"""tests/corpus/crnn_pooling.ncd against torch.nn: a 3 x 3 nn.Conv2d padded 1, ReLU, then
nn.MaxPool2d((2, 2), (2, 1), (0, 1)), in NCHW, as crnn.pytorch's CRNN pools its later maps."""
from torch import nn

from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    block = nn.Sequential(nn.Conv2d(sizes["c"], sizes["d"], 3, padding=1), nn.ReLU(), nn.MaxPool2d((2, 2), (2, 1), (0, 1)))

    def forward(X):  # X [batch h w c]
        return {"Y": block(X.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)}

    parameters = {"L.weight": From("0.weight", "d c i j -> d i j c"), "L.bias": From("0.bias")}
    return Reference(forward, block, parameters, name="torch.nn.Conv2d then MaxPool2d((2, 2), (2, 1), (0, 1))")
