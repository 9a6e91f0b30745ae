"""Parameters that were never initialised (``torch.empty``, as transformers builds a bare module) hold NaN,
infinities or huge values; the recognisers that compare a pattern's values with the module's (a mixture of experts'
routing, a norm, a rotary table) then find nothing, so the import says so before anything else.

>>> import torch
>>> from torch import nn
>>> layer = nn.Linear(2, 2)
>>> uninitialised_warning(layer) is None
True
>>> with torch.no_grad():
...     _ = layer.weight.fill_(float("nan"))
>>> uninitialised_warning(layer).split(":")[0]
"the module's parameter weight holds NaN, infinities or values beyond ±1,000,000"
"""
from __future__ import annotations

import torch

LARGEST = 10 ** 6  # beyond any initialisation or training (a never-initialised tensor holds what memory held: 1e37)
NAMED = 3  # parameters named in the warning; the rest counted


def uninitialised_warning(module: torch.nn.Module) -> str | None:
    """A warning naming ``module``'s parameters that look never initialised, or None when none does (buffers are not
    looked at: a mask of -inf is one on purpose)."""
    unset = [name for name, p in module.named_parameters() if p.is_floating_point() and not _plausible(p.detach())]
    if not unset:
        return None
    named = ", ".join(unset[:NAMED]) + (f" and {len(unset) - NAMED} more" if len(unset) > NAMED else "")
    which = f"parameter {named} holds" if len(unset) == 1 else f"parameters {named} hold"
    return (f"the module's {which} NaN, infinities or values beyond ±{LARGEST:,}: never initialised (made with "
            "torch.empty, as transformers builds a module alone)? The import recognises a mixture of experts' routing, "
            "norms and rotary tables by running them on these values, and misses them here; initialise the parameters "
            "first (torch.nn.init.normal_(p, std=0.02) for each, or model.apply(model._init_weights) for a transformers "
            "model), then import again")


def _plausible(values: torch.Tensor) -> bool:
    """Finite, and no larger than any initialisation gives."""
    return bool(torch.isfinite(values).all()) and (values.numel() == 0 or float(values.abs().max()) <= LARGEST)
