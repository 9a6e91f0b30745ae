"""One wire of the diagram against the reference's (:func:`comparison`), within its dtype's tolerance, and whether
the reference run again gave a wire again (:func:`same`)."""
from __future__ import annotations

import math

import torch

from ..ir import Op
from .report import Comparison


def same(again, first) -> bool:
    """Whether a second run of the reference gave ``first`` again, NaN where it gave NaN (a whole softmax row masked
    is NaN every time: no sign of a dropout left on).

    >>> nan = float("nan")
    >>> same(torch.tensor([1.0, nan]), torch.tensor([1.0, nan])), same(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 3.0]))
    (True, False)
    """
    if not first.is_floating_point():
        return torch.equal(again, first)
    return again.shape == first.shape and bool(((again == first) | (again.isnan() & first.isnan())).all())


def comparison(dtype: str, wire: str, output: bool, mine: torch.Tensor, theirs: torch.Tensor, op: Op,
               exact: bool = False) -> Comparison:
    """``mine`` against ``theirs``, within ``dtype``'s tolerance; ``exact``, integer ids, only where they are equal.
    Values that are not finite on both sides and the same there (a masked score's -inf, the NaN of a root of a
    negative number) agree, and are counted; one side's alone fails the wire. Where it agrees and the reference's
    values compared are one value, to within the tolerance, the comparison holds it (``flat``): nothing there could
    tell a mistake from none.

    >>> from ncd_render.ir import Op
    >>> zeros, op = torch.zeros(2, 3, dtype=torch.float64), Op(0, "relu", (), ())
    >>> comparison("float64", "A", False, zeros, zeros, op).flat, comparison("float64", "A", False, zeros + 1, zeros + 1, op).flat
    (0.0, 1.0)
    >>> comparison("float64", "A", False, zeros.exp().cumsum(1), zeros.exp().cumsum(1), op).flat is None
    True
    """
    lowest = -1e9  # a mask written with a huge negative number (-1e9, transformers' torch.finfo(dtype).min) is -inf's
    same = ((~torch.isfinite(theirs) | ~torch.isfinite(mine)) & ((mine == theirs) | (mine.isnan() & theirs.isnan()))) \
        | (mine.isneginf() & (theirs <= lowest)) | (theirs.isneginf() & (mine <= lowest))
    alike, nan_alone = "", (int((mine.isnan() & ~theirs.isnan()).sum()), int((theirs.isnan() & ~mine.isnan()).sum()))
    nan_alike = int((theirs.isnan() & same).sum())
    if same.any():
        low = (theirs <= lowest) | theirs.isneginf()
        kinds = [(int(n), name) for n, name in (((low & same).sum(), "-inf"), (((theirs == math.inf) & same).sum(), "inf"),
                                                 (nan_alike, "NaN")) if n]
        alike = ", ".join(f"{n} {name}" for n, name in kinds)
        mine, theirs = mine.masked_fill(same, 0.0), theirs.masked_fill(same, 0.0)
    finite = theirs[torch.isfinite(theirs)]
    scale = finite.abs().max().item() if finite.numel() else 0.0  # (an infinity on one side alone fails by max_abs)
    max_abs = (mine - theirs).abs().max().item() if theirs.numel() else 0.0
    nothing_finite = bool(same.numel()) and bool(same.all())
    if math.isnan(max_abs) or nothing_finite:  # a NaN on one side alone; no finite value to compare
        max_abs = math.inf
    max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else math.inf)
    comparison = Comparison(dtype, wire, output, max_abs, max_rel, op, exact=exact, alike=alike, nothing_finite=nothing_finite,
                            nan_alone=nan_alone, nan_alike=nan_alike, values=same.numel())
    kept = theirs[~same]  # (finite where it passed)
    if comparison.passed and kept.numel() and (kept.max() - kept.min()).item() <= comparison.tolerance * scale:
        comparison.flat = kept.mean().item() + 0.0  # (one value everywhere within the tolerance; -0.0 as 0.0)
    if exact:
        return comparison
    power = (theirs * theirs).sum().item()
    if not comparison.passed and power > 0 and math.isfinite(max_abs):
        factor = (mine * theirs).sum().item() / power
        if (mine - factor * theirs).abs().max().item() <= comparison.tolerance * scale * max(1.0, abs(factor)):
            comparison.factor = factor
    return comparison
