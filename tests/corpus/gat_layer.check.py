"""gat_layer.ncd against a dense GAT layer written in torch (as the pyGAT reference code computes it)."""
import torch
from torch import nn
from torch.nn import functional as F
from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    m, h, f = sizes["m"], sizes["h"], sizes["f"]
    mods = nn.ModuleDict({"W": nn.Linear(m, h * f, bias=False)})
    mods.a_src = nn.Parameter(torch.randn(h, f))
    mods.a_dst = nn.Parameter(torch.randn(h, f))

    def forward(X, M):  # X [b y m], M [b y x] True = no edge
        b, n, _ = X.shape
        Wh = mods["W"](X).view(b, n, h, f)
        e_dst = (Wh * mods.a_dst).sum(-1)       # b y h
        e_src = (Wh * mods.a_src).sum(-1)       # b x h
        e = e_dst.unsqueeze(2) + e_src.unsqueeze(1)   # b y x h
        e = F.leaky_relu(e, 0.2).masked_fill(M.unsqueeze(-1), float("-inf"))
        att = e.softmax(2)
        out = torch.einsum("byxh,bxhf->byfh", att, Wh)
        return {"O": F.elu(out), "P": att.permute(0, 1, 3, 2)}

    parameters = {"W.weight": From("W.weight", "(h f) m -> f h m"),
                  "a_l.weight": From("a_dst"), "a_r.weight": From("a_src")}
    return Reference(forward, mods, parameters, name="dense GAT layer in torch")
