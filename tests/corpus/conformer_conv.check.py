"""conformer_conv.ncd against the Conformer convolution module written in torch.nn as torchaudio's
_ConvolutionModule is: LayerNorm, Conv1d(d, 2d, 1), GLU(dim=1), depthwise Conv1d(d, d, 31, padding=15,
groups=d), BatchNorm1d (training mode: batch statistics), SiLU, Conv1d(d, d, 1), Dropout, plus residual."""
from torch import nn

from ncd_render.pytorch.check import From, Reference, recording


def reference(sizes):
    d = sizes["d"]
    m = nn.ModuleDict({"ln": nn.LayerNorm(d),
                       "seq": nn.Sequential(nn.Conv1d(d, 2 * d, 1), nn.GLU(dim=1),
                                            nn.Conv1d(d, d, 31, padding=15, groups=d), nn.BatchNorm1d(d),
                                            nn.SiLU(), nn.Conv1d(d, d, 1), nn.Dropout(0.1))})

    def forward(X):  # [batch t d]
        m.train()
        m["seq"][-1].eval()
        shape = X.shape
        x = X.reshape(-1, shape[-2], d)
        with recording(G=m["seq"][1], D=m["seq"][3]) as seen:
            y = m["seq"](m["ln"](x).transpose(1, 2)).transpose(1, 2)
        return {"G": seen["G"].transpose(1, 2).reshape(shape), "X": (x + y).reshape(shape)}

    parameters = {"LN.weight": From("ln.weight"), "LN.bias": From("ln.bias"),
                  "L_pw1.weight": From("seq.0.weight", "d2 d 1 -> d2 d"), "L_pw1.bias": From("seq.0.bias"),
                  "L_dw.weight": From("seq.2.weight", "d 1 i -> d i"), "L_dw.bias": From("seq.2.bias"),
                  "BN.weight": From("seq.3.weight"), "BN.bias": From("seq.3.bias"),
                  "L_pw2.weight": From("seq.5.weight", "d_out d 1 -> d_out d"), "L_pw2.bias": From("seq.5.bias")}
    return Reference(forward, m, parameters, name="Conformer ConvolutionModule in torch.nn")
