"""tests/corpus/vector_quantiser.ncd against the VectorQuantizer of the VQ-VAE notebooks (distances from one
nn.Embedding's table, torch.argmin, the table looked up by the indices): both E and E_q are its weight."""
import torch
from torch import nn

from ncd_render.pytorch.check import Reference


class VectorQuantizer(nn.Module):
    def __init__(self, codes: int, depth: int):
        super().__init__()
        self._embedding = nn.Embedding(codes, depth)

    def forward(self, Z):
        flat = Z.reshape(-1, Z.shape[-1])
        distances = (torch.sum(flat ** 2, dim=1, keepdim=True) + torch.sum(self._embedding.weight ** 2, dim=1)
                     - 2 * torch.matmul(flat, self._embedding.weight.t()))
        indices = torch.argmin(distances, dim=1)
        return {"Q": self._embedding(indices).reshape(Z.shape), "I": indices.reshape(Z.shape[:-1])}


def reference(sizes):
    quantiser = VectorQuantizer(sizes["e"], sizes["d"])
    return Reference(quantiser, quantiser, {"E.weight": "_embedding.weight", "E_q.weight": "_embedding.weight"},
                     name="VQ-VAE's VectorQuantizer")
