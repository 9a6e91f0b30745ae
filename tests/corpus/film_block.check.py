"""film_block.ncd against FiLM's ResBlock written in torch.nn (as the authors' code does):
Conv2d 1x1 + ReLU, Conv2d 3x3, BatchNorm2d(affine=False) in training mode, gamma * x + beta from
two nn.Linear of z, ReLU, residual."""
import torch
from torch import nn

from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    c, d, s = sizes["c"], sizes["d"], sizes["s"]
    m = nn.ModuleDict({"conv1": nn.Conv2d(c, d, 1), "conv2": nn.Conv2d(d, d, 3, padding=1),
                       "bn": nn.BatchNorm2d(d, affine=False), "gamma": nn.Linear(s, d), "beta": nn.Linear(s, d)})

    def forward(X, Z):  # X [batch h w c], Z [batch s]
        m.train()
        x = X.permute(0, 3, 1, 2)
        r = torch.relu(m["conv1"](x))
        hh = m["bn"](m["conv2"](r))
        g, b = m["gamma"](Z)[:, :, None, None], m["beta"](Z)[:, :, None, None]
        y = r + torch.relu(g * hh + b)
        return {"Y": y.permute(0, 2, 3, 1)}

    parameters = {"W_gamma.weight": From("gamma.weight"), "W_gamma.bias": From("gamma.bias"),
                  "W_beta.weight": From("beta.weight"), "W_beta.bias": From("beta.bias"),
                  "L_1.weight": From("conv1.weight", "d c 1 1 -> d c"), "L_1.bias": From("conv1.bias"),
                  "L_2.weight": From("conv2.weight", "d_out d i j -> d_out i j d"), "L_2.bias": From("conv2.bias")}
    return Reference(forward, m, parameters, name="FiLM ResBlock in torch.nn")
