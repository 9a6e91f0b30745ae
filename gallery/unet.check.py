"""gallery/unet.ncd against a two-level UNet built from torch.nn.Conv2d, MaxPool2d,
ConvTranspose2d and torch.cat (Ronneberger et al. 2015, with padded convolutions).

Images are permuted to torch's channels-first layout and convolution weights
[out, in, i, j] rearranged to the diagram's [out, i, j, in]. A 2x2, stride-2
up-convolution is a learned map to (channels, p, q) then a fold; the
diagram's map has a bias for every (channel, p, q), of which
ConvTranspose2d's one bias per channel is the case that repeats it over p, q.
"""
import torch
from torch import nn

from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    c, a, b, d, o = (sizes[n] for n in "cabdo")
    net = nn.ModuleDict({
        "down1": nn.Conv2d(c, a, 3, padding=1), "down2": nn.Conv2d(a, b, 3, padding=1),
        "bottom": nn.Conv2d(b, d, 3, padding=1),
        "up2": nn.ConvTranspose2d(d, b, 2, stride=2), "conv2": nn.Conv2d(2 * b, b, 3, padding=1),
        "up1": nn.ConvTranspose2d(b, a, 2, stride=2), "conv1": nn.Conv2d(2 * a, a, 3, padding=1),
        "head": nn.Conv2d(a, o, 1),
    })
    pool, relu = nn.MaxPool2d(2), nn.ReLU()

    def forward(X):
        x0 = relu(net["down1"](X.permute(0, 3, 1, 2)))
        x1 = relu(net["down2"](pool(x0)))
        z = relu(net["bottom"](pool(x1)))
        u = relu(net["conv2"](torch.cat([x1, net["up2"](z)], dim=1)))
        u = relu(net["conv1"](torch.cat([x0, net["up1"](u)], dim=1)))
        last = lambda t: t.permute(0, 2, 3, 1)  # noqa: E731
        return {"X0": last(x0), "X1": last(x1), "Z": last(z), "Y": last(net["head"](u))}

    boxes = {"L_1": "down1", "L_2": "down2", "L_3": "bottom", "L_5": "conv2", "L_7": "conv1"}
    parameters = {f"{box}.weight": From(f"{layer}.weight", "co ci i j -> co i j ci") for box, layer in boxes.items()}
    parameters.update({f"{box}.bias": From(f"{layer}.bias") for box, layer in boxes.items()})
    parameters.update({
        "L_4.weight": From("up2.weight", "d b p q -> b p q d"), "L_4.bias": From("up2.bias", "b -> b p q"),
        "L_6.weight": From("up1.weight", "b a p q -> a p q b"), "L_6.bias": From("up1.bias", "a -> a p q"),
        "L_8.weight": From("head.weight", "o a 1 1 -> o a"), "L_8.bias": From("head.bias"),
    })
    return Reference(forward, net, parameters, name="a UNet of torch.nn.Conv2d, MaxPool2d, ConvTranspose2d and torch.cat")
