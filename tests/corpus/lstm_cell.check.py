"""lstm_cell.ncd against torch.nn.LSTMCell: weight_ih is W, weight_hh is U (gates i, f, g, o stacked)."""
from torch import nn

from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    d, h = sizes["d"], sizes["h"]
    cell = nn.LSTMCell(d, h)

    def forward(X, H, C):
        hn, cn = cell(X.reshape(-1, d), (H.reshape(-1, h), C.reshape(-1, h)))
        return {"Hn": hn.reshape(H.shape), "Cn": cn.reshape(C.shape)}

    parameters = {"W.weight": From("weight_ih"), "W.bias": From("bias_ih"),
                  "U.weight": From("weight_hh"), "U.bias": From("bias_hh")}
    return Reference(forward, cell, parameters, name="torch.nn.LSTMCell")
