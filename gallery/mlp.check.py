"""gallery/mlp.ncd against the PyTorch tutorial's MNIST classifier.

The tutorial's network is nn.Flatten then an nn.Sequential of Linear(784, 512),
ReLU, Linear(512, 512), ReLU, Linear(512, 10); it turns the logits into class
probabilities with nn.Softmax(dim=1). nn.Linear's weight is [out, in], the
diagram's layout, and Flatten orders pixels row by row, as (r c) does.
"""
from torch import nn

from ncd_render.pytorch.check import From, Reference, recording


def reference(sizes):
    r, c, m, o = sizes["r"], sizes["c"], sizes["m"], sizes["o"]
    model = nn.Sequential(nn.Flatten(), nn.Linear(r * c, m), nn.ReLU(), nn.Linear(m, m), nn.ReLU(), nn.Linear(m, o))

    def forward(X):
        with recording(F=model[0]) as seen:
            logits = model(X)
        return {"F": seen["F"], "Z": logits, "Y": nn.Softmax(dim=1)(logits)}

    parameters = {f"L_{n}.{p}": From(f"{i}.{p}") for n, i in [(1, 1), (2, 3), (3, 5)] for p in ("weight", "bias")}
    return Reference(forward, model, parameters, name="the PyTorch tutorial's nn.Sequential MLP")
