"""tests/corpus/vae_reparameterisation.ncd against a VAE encoder's head written in torch.nn: two
nn.Linear maps for the mean and the log-variance, and mu + exp(logvar / 2) * eps."""
import torch
from torch import nn

from ncd_render.pytorch.check import Reference


def reference(sizes):
    head = nn.ModuleDict({"mu": nn.Linear(sizes["m"], sizes["z"]), "logvar": nn.Linear(sizes["m"], sizes["z"])})

    def forward(H, E):  # H [batch b m], E [batch b z]
        mu, logvar = head["mu"](H), head["logvar"](H)
        return mu + torch.exp(logvar / 2) * E, mu, logvar

    parameters = {"W_mu.weight": "mu.weight", "W_mu.bias": "mu.bias",
                  "W_sigma.weight": "logvar.weight", "W_sigma.bias": "logvar.bias"}
    return Reference(forward, head, parameters, name="a VAE encoder's head in torch.nn")
