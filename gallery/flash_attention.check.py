"""gallery/flash_attention.ncd against torch.nn.functional.scaled_dot_product_attention:
fusing the core into one kernel changes the cost, not the result."""
from torch.nn import functional

from ncd_render.pytorch.check import Reference


def reference(sizes):
    return Reference(lambda Q, K, V: functional.scaled_dot_product_attention(Q, K, V),
                     name="torch.nn.functional.scaled_dot_product_attention")
