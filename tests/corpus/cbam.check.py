"""tests/corpus/cbam.ncd against CBAM's reference code (Jongchan/attention-module, MODELS/cbam.py) written out:
ChannelGate's shared MLP over the average- and max-pooled pixels, SpatialGate's ChannelPool
(max, then mean, over the channels), a 7x7 nn.Conv2d without bias, nn.BatchNorm2d, in NCHW."""
import torch
from torch import nn

from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    c, r = sizes["c"], sizes["r"]
    block = nn.ModuleDict({"mlp": nn.Sequential(nn.Linear(c, r), nn.ReLU(), nn.Linear(r, c)),
                           "conv": nn.Conv2d(2, 1, 7, padding=3, bias=False), "bn": nn.BatchNorm2d(1)})

    def forward(X):  # X [batch h w c]
        block.train()  # batch statistics, as the diagram's batchnorm
        x = X.permute(0, 3, 1, 2)
        avg = block["mlp"](x.mean((2, 3)))
        mx = block["mlp"](x.amax((2, 3)))
        x = x * (avg + mx).sigmoid()[:, :, None, None]
        pooled = torch.cat([x.amax(1, keepdim=True), x.mean(1, keepdim=True)], 1)
        x = x * block["bn"](block["conv"](pooled)).sigmoid()
        return {"C": pooled.permute(0, 2, 3, 1), "X": x.permute(0, 2, 3, 1)}  # the stacked maps too

    parameters = {"W_1.weight": From("mlp.0.weight"), "W_1.bias": From("mlp.0.bias"),
                  "W_2.weight": From("mlp.2.weight"), "W_2.bias": From("mlp.2.bias"),
                  "W_s.weight": From("conv.weight", "1 s i j -> i j s"),
                  "BatchNorm.weight": From("bn.weight", "1 -> "), "BatchNorm.bias": From("bn.bias", "1 -> ")}
    return Reference(forward, block, parameters, name="CBAM's reference code")
