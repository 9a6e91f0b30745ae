"""What an imported diagram's pairing (``OUT.check.py``) calls: rebuild the module, and
restore the training flags that matter (batch norm's) after ``ncd check`` sets eval mode.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .capture import load_function


def load_module(source: str, pairing_file: str) -> nn.Module:
    """The module ``FILE.py:FUNC`` returns (FILE relative to the pairing), or a pickled one (``FILE.pt``)."""
    base = Path(pairing_file).resolve().parent
    if source.endswith(".pt"):
        return torch.load(base / source, weights_only=False)
    file, _, function = source.rpartition(":")
    module, _ = load_function(f"{base / file}:{function}")
    return module


def training_flags(module: nn.Module) -> list:
    """(submodule, training) for the batch norms in training mode: their batch statistics are what was imported."""
    return [(m, True) for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training]
