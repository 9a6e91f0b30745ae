"""gallery/convolution.ncd against torch.nn.Conv2d (padding 1; stride 2; dilation 2),
nn.MaxPool2d and nn.ConvTranspose2d (stride 2, padding 1, output padding 1).

torch's layers are channels-first, [batch c h w]; the diagram is channels-last,
[h w c], and its learned maps are [out, kernel rows, kernel columns, in], so
images are permuted and weights rearranged. The blocks the convolution tensor
makes (B, B2, B3, B4) are compared with torch.nn.functional.unfold's, so a
wrong stride, dilation or padding is found at the statement that has it.
"""
import einops
from torch import nn
from torch.nn import functional

from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    c, d = sizes["c"], sizes["d"]
    layers = nn.ModuleDict({
        "conv": nn.Conv2d(c, d, 3, padding=1),
        "strided": nn.Conv2d(c, d, 3, stride=2, padding=1),
        "dilated": nn.Conv2d(c, d, 3, dilation=2),
        "pool": nn.MaxPool2d(2, stride=2),
        "transposed": nn.ConvTranspose2d(c, d, 3, stride=2, padding=1, output_padding=1, bias=False),
    })

    def blocks(image, rows, kernel, **options):  # unfold gives [batch, (c i j), (y x)]
        columns = functional.unfold(image, kernel, **options)
        return einops.rearrange(columns, "b (c i j) (y x) -> b y x i j c", i=kernel, j=kernel, y=rows)

    def forward(X):
        image = X.permute(0, 3, 1, 2)
        run = {name: layer(image).permute(0, 2, 3, 1) for name, layer in layers.items()}
        return {"B": blocks(image, sizes["y"], 3, padding=1), "Y": run["conv"],
                "B2": blocks(image, sizes["y2"], 3, stride=2, padding=1), "Y2": run["strided"],
                "B3": blocks(image, sizes["y3"], 3, dilation=2), "Y3": run["dilated"],
                "B4": blocks(image, sizes["y2"], 2, stride=2), "Y4": run["pool"], "Y5": run["transposed"]}

    parameters = {"L_4.weight": From("transposed.weight", "c d i j -> i j d c")}  # ConvTranspose2d: [in, out, ...]
    for box, layer in [("L_1", "conv"), ("L_2", "strided"), ("L_3", "dilated")]:
        parameters[f"{box}.weight"] = From(f"{layer}.weight", "d c i j -> d i j c")
        parameters[f"{box}.bias"] = From(f"{layer}.bias")
    return Reference(forward, layers, parameters, name="torch.nn.Conv2d, MaxPool2d and ConvTranspose2d")
