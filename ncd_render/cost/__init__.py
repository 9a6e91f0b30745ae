"""The IO cost side branch of the IR: FLOPs, HBM traffic and roofline time per
kernel on a GPU profile, with fused sections planned by the Napkin model.
docs/cost.md states the model's assumptions.

>>> from ncd_render.parse import parse
>>> from ncd_render.ir import build
>>> d = build(parse('''axis y = 8
... axis m = 8
... axis f = 8
... input X[y m]
... section "MLP" fused
...   H = linear(X: m -> f) as L_1
...   H = relu(H)
... end
... output H'''), sizes=parse_sizes("y=65536,m=1024,f=4096"))
>>> [(k.name, k.kind, [p.name for p in k.parts]) for k in analyse(d, load_profile("h100-sxm"), "fp8").kernels]
[('MLP', 'fused', ['L_1', 'elementwise2 (H)'])]
"""
from __future__ import annotations

from ..errors import NcdError
from ..limits import whole
from .badges import Badge, badges
from .hardware import DTYPE_BYTES, Profile, bundled, dtype_bytes, load_profile
from .model import Kernel, Report, analyse
from .roofline import check_plot_path, plot_roofline
from .table import format_report

__all__ = ["Badge", "DTYPE_BYTES", "Kernel", "Profile", "Report", "analyse", "badges", "bundled", "check_plot_path",
           "dtype_bytes", "format_report", "load_profile", "parse_sizes", "plot_roofline"]


def parse_sizes(text: str | None) -> dict[str, int]:
    """``"y=4096,x=4096"`` -> ``{"y": 4096, "x": 4096}`` (the ``--sizes`` option).

    >>> parse_sizes("y=4096, x=2**12")
    Traceback (most recent call last):
    ...
    ncd_render.errors.NcdError: --sizes: 'x=2**12' is not AXIS=N with N a whole number
    hint: for example --sizes y=4096,x=4096
    >>> parse_sizes("m=" + "9" * 5000)
    Traceback (most recent call last):
    ...
    ncd_render.errors.NcdError: --sizes m: an axis size of 9999999999999... (5000 digits) is too large
    hint: an axis size is at most 1,099,511,627,776 (2^40)
    """
    sizes: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        name, _, number = (s.strip() for s in item.partition("="))
        if not name.isidentifier() or not (number.isascii() and number.isdigit()):  # (not '²': int() refuses it)
            raise NcdError(f"--sizes: '{item}' is not AXIS=N with N a whole number", hint="for example --sizes y=4096,x=4096")
        if name in sizes:
            raise NcdError(f"--sizes gives axis '{name}' twice")
        try:  # checked before converting: 5000 digits are not a size
            sizes[name] = whole(number, None, "an axis size")
        except NcdError as error:
            raise NcdError(f"--sizes {name}: {error.message}", hint=error.hint) from None
    return sizes
