"""gallery/sdpa.ncd against torch.nn.functional.scaled_dot_product_attention
(its default scale is 1/sqrt of the query depth k)."""
from torch.nn import functional

from ncd_render.pytorch.check import Reference


def reference(sizes):
    return Reference(lambda Q, K, V: functional.scaled_dot_product_attention(Q, K, V),
                     name="torch.nn.functional.scaled_dot_product_attention")
