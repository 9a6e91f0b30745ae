"""gallery/attention_scores.ncd against Q K^T / sqrt(k), one matmul per head.

Written with torch.matmul and permutes only, so it shares nothing with the
einops code the diagram compiles to.
"""
import math

import torch

from ncd_render.pytorch.check import Reference


def reference(sizes):
    def forward(Q, K):  # Q [batch y k h], K [batch x k h]
        heads = [torch.matmul(Q[..., i], K[..., i].transpose(-2, -1)) / math.sqrt(sizes["k"]) for i in range(sizes["h"])]
        return torch.stack(heads, dim=-1)  # [batch y x h]

    return Reference(forward, name="per-head torch.matmul(Q, K^T) / sqrt(k)")
