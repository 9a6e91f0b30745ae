"""gallery/resnet.ncd against three pre-activation blocks of torch.nn.BatchNorm2d, ReLU
and Conv2d (3x3, padding 1, no bias), each added to its input (He et al. 2016, Fig. 4e).

Batch norm runs in training mode, with the statistics of the batch: the check's
images are the batch, and the diagram's batchnorm takes its statistics over
its named axes (h w) and the leading batch dimension, as BatchNorm2d does over
(N, H, W). Images are permuted to torch's channels-first layout and the
convolution weights [out, in, i, j] rearranged to the diagram's [out, i, j, in].
"""
from torch import nn

from ncd_render.pytorch.check import From, Reference, recording


def reference(sizes):
    c = sizes["c"]
    blocks = nn.ModuleList(nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1, bias=False),
                                         nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1, bias=False))
                           for _ in range(3))

    def forward(X):
        blocks.train()  # batch statistics
        x = X.permute(0, 3, 1, 2)
        with recording(H=blocks[-1][-1]) as seen:  # the last block's residual branch
            for block in blocks:
                x = x + block(x)
        return {"H": seen["H"].permute(0, 2, 3, 1), "X": x.permute(0, 2, 3, 1)}

    parameters = {}
    for i in range(3):
        for box, layer in [("BN_1", 0), ("BN_2", 3)]:
            parameters.update({f"residual_block.{i}.{box}.{p}": From(f"{i}.{layer}.{p}") for p in ("weight", "bias")})
        for box, layer in [("L_1", 2), ("L_2", 5)]:
            parameters[f"residual_block.{i}.{box}.weight"] = From(f"{i}.{layer}.weight", "c_out c i j -> c_out i j c")
    return Reference(forward, blocks, parameters, name="pre-activation blocks of torch.nn.BatchNorm2d, ReLU and Conv2d")
