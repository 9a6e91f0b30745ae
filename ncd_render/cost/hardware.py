"""Hardware profiles: the GPU figures the cost model needs, read from TOML files.

Bundled profiles live in ``profiles/`` beside this module; ``--hw`` also takes
the path of a user's own file with the same fields (docs/cost.md).

>>> hw = load_profile("a100-80gb")
>>> hw.name, hw.shared_memory_bytes, hw.hbm_bandwidth
('A100 SXM4 80GB', 167936, 2039000000000.0)
>>> hw.matmul_rate("bf16") / 1e12  # 312 TFLOP/s derated by 0.85
265.2
>>> dtype_bytes("int4")
0.5
"""
from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from ..checks import number, plain_text
from ..errors import NcdError, did_you_mean
from ..limits import decode_utf8, read_limited
from ..records import record
from .chip import Chip, parse_chip

DTYPE_BYTES = MappingProxyType({"fp32": 4, "tf32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1, "int4": 0.5})

_FIELDS = {  # TOML key -> (type, unit multiplier to SI)
    "name": (str, None), "hbm_bandwidth_gbs": ((int, float), 1e9), "shared_memory_kib": (int, 1024),
    "launch_overhead_us": ((int, float), 1e-6), "vector_tflops": ((int, float), 1e12), "derate": ((int, float), 1),
    "peak_tflops": (dict, None),
}
#: what a number of the profile may be, in its own unit: every GPU made, and room for many more (a bandwidth of
#: 1e-300 GB/s, positive and finite, made kernel times infinite, and the JSON report could not hold them)
RANGES = {"hbm_bandwidth_gbs": (0.001, 1e7), "shared_memory_kib": (1, 1 << 20), "launch_overhead_us": (0.0, 1e6),
          "vector_tflops": (1e-6, 1e6), "derate": (0.0, 1.0), "peak_tflops": (1e-6, 1e7)}
OPTIONAL = ("chip", "efficiency")  # together: the efficiency model (chip.py); without them, the plain roofline


@record
class Profile:
    """One GPU. Rates are in FLOP/s and bytes/s, sizes in bytes, times in seconds."""

    key: str
    name: str
    hbm_bandwidth: float
    shared_memory_bytes: int
    launch_overhead: float
    vector_peak: float
    derate: float
    matmul_peaks: Mapping[str, float]
    chip: Chip | None = None

    def matmul_rate(self, dtype: str) -> float:
        """Sustained matmul FLOP/s at ``dtype``: the dense tensor-core peak times ``derate``."""
        if dtype not in self.matmul_peaks:
            raise NcdError(f"hardware profile '{self.key}' gives no matmul peak for {dtype}",
                           hint="add it under [peak_tflops]; given: " + ", ".join(self.matmul_peaks))
        return self.matmul_peaks[dtype] * self.derate

    def vector_rate(self) -> float:
        """Sustained FLOP/s of element-wise work (CUDA cores), derated like the matmul peak."""
        return self.vector_peak * self.derate


def dtype_bytes(dtype: str) -> float:
    """Bytes per value at ``dtype``; NcdError for an unknown dtype."""
    if dtype not in DTYPE_BYTES:
        raise NcdError(f"unknown dtype '{dtype}'", hint=did_you_mean(dtype, DTYPE_BYTES) or "dtypes: " + ", ".join(DTYPE_BYTES))
    return DTYPE_BYTES[dtype]


def bundled() -> list[str]:
    """Names of the profiles that ship with ncd-render."""
    folder = resources.files(__package__) / "profiles"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_profile(spec: str) -> Profile:
    """A bundled profile by name (``a100-80gb``) or a profile file by path (``my.toml``)."""
    if spec.endswith(".toml") or "/" in spec:
        return _profile(Path(spec).stem, read_limited(spec, "hardware profile"), spec)
    if spec not in bundled():
        raise NcdError(f"unknown hardware profile '{spec}'",
                       hint=(did_you_mean(spec, bundled()) or "profiles: " + ", ".join(bundled())) + " (or give the path of a .toml profile)")
    return _profile(spec, (resources.files(__package__) / "profiles" / f"{spec}.toml").read_bytes(), spec)


def _profile(key: str, data: bytes, where: str) -> Profile:
    text = decode_utf8(data, where, "the hardware profile")
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise NcdError(f"not a valid TOML file: {error}", path=where) from None
    missing = [k for k in _FIELDS if k not in table]
    if missing:
        raise NcdError(f"hardware profile lacks {', '.join(missing)}", path=where, hint="copy a bundled profile (docs/cost.md) and edit it")
    for k in table:
        if k not in _FIELDS and k not in OPTIONAL:
            raise NcdError(f"hardware profile has an unknown field '{k}'", path=where, hint=did_you_mean(k, _FIELDS))
    v = {}
    for k, (kind, unit) in _FIELDS.items():
        if unit:
            low, high = RANGES[k]
            v[k] = number(table[k], f"hardware profile field '{k}'", low, high, above=True, path=where) * unit
            if kind is int and not isinstance(table[k], int):
                raise NcdError(f"hardware profile field '{k}' must be a whole number, not {table[k]!r:.40}", path=where)
            continue
        if not isinstance(table[k], kind):
            raise NcdError(f"hardware profile field '{k}' must be a {kind.__name__}, not {table[k]!r:.40}", path=where)
        v[k] = table[k]
    plain_text(v["name"], "hardware profile field 'name'", limit=200, path=where)
    peaks = {}
    for dtype, tflops in v["peak_tflops"].items():
        dtype_bytes(dtype)
        peaks[dtype] = number(tflops, f"peak_tflops.{dtype}", *RANGES["peak_tflops"], above=True, path=where) * 1e12
    given = [k for k in OPTIONAL if k in table]
    if len(given) == 1:
        raise NcdError(f"hardware profile gives [{given[0]}] without [{OPTIONAL[1 - OPTIONAL.index(given[0])]}]", path=where,
                       hint="the efficiency model needs both tables (docs/cost.md); leave both out for the plain roofline")
    chip = parse_chip(table["chip"], table["efficiency"], where) if given else None
    return Profile(key, v["name"], v["hbm_bandwidth_gbs"], int(v["shared_memory_kib"]), v["launch_overhead_us"],
                   v["vector_tflops"], v["derate"], MappingProxyType(peaks), chip)
