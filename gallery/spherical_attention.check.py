"""gallery/spherical_attention.ncd against plain torch: the scores normalised to unit L2
norm over the keys (torch.nn.functional.normalize), then contracted with the values."""
from torch.nn import functional

from ncd_render.pytorch.check import Reference


def reference(sizes):
    return Reference(lambda Q, K, V: functional.normalize(Q @ K.transpose(-1, -2), p=2, dim=-1) @ V,
                     name="torch.nn.functional.normalize(Q K^T, p=2, dim=-1) V")
