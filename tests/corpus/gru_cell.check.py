"""tests/corpus/gru_cell.ncd against torch.nn.GRUCell: its stacked weights and biases (reset, update,
new, in that order) cut into the diagram's six maps by rows."""
from torch import nn

from ncd_render.pytorch.check import From, Reference


def reference(sizes):
    d, h = sizes["d"], sizes["h"]
    cell = nn.GRUCell(d, h)

    def forward(X, H):  # X [batch b d], H [batch b h]: GRUCell takes one batch axis
        return cell(X.reshape(-1, d), H.reshape(-1, h)).reshape(H.shape)

    parameters = {}
    for k, gate in enumerate("rzn"):
        rows = (k * h, (k + 1) * h)
        for box, side in ((f"W_{gate}", "ih"), (f"U_{gate}", "hh")):
            parameters[f"{box}.weight"] = From(f"weight_{side}", rows=rows)
            parameters[f"{box}.bias"] = From(f"bias_{side}", rows=rows)
    return Reference(forward, cell, parameters, name="torch.nn.GRUCell")
