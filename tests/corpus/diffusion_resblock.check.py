"""tests/corpus/diffusion_resblock.ncd against the residual block of a diffusion UNet written out in
torch.nn (diffusers' ResnetBlock2D without its time embedding): nn.GroupNorm(32), SiLU,
nn.Conv2d(3x3, padding 1), twice, added to the input. Images are channels first, as the diagram's
are; the convolution weights [out, in, i, j] are rearranged to the diagram's [out, i, j, in]."""
from torch import nn

from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    c = sizes["c"]
    block = nn.ModuleDict({"norm1": nn.GroupNorm(32, c), "conv1": nn.Conv2d(c, c, 3, padding=1),
                           "norm2": nn.GroupNorm(32, c), "conv2": nn.Conv2d(c, c, 3, padding=1)})

    def forward(X):  # X [batch c h w]
        h = block["conv1"](nn.functional.silu(block["norm1"](X)))
        h = block["conv2"](nn.functional.silu(block["norm2"](h)))
        return X + h

    parameters = {}
    for k in (1, 2):
        parameters.update({f"GN_{k}.weight": From(f"norm{k}.weight"), f"GN_{k}.bias": From(f"norm{k}.bias"),
                           f"L_{k}.weight": From(f"conv{k}.weight", "o c i j -> o i j c"), f"L_{k}.bias": From(f"conv{k}.bias")})
    return Reference(forward, block, parameters, name="a diffusion UNet's residual block in torch.nn (GroupNorm, SiLU, Conv2d)")
