"""``ncd html``: the browser view as one file, with every view it can show computed now.

It holds the figure as drawn and, for each component, the figure with that one
component expanded or collapsed; the cost on every bundled profile at every dtype
(at the chosen dtype for the figures with a component changed). Axis sizes are
the ones given; changing them needs ``ncd serve``.

>>> data = views("axis m = 4\\ninput X[m]\\nY = relu(X)\\noutput Y\\n", "demo.ncd", "a100-80gb", "bf16")
>>> list(data["figures"]), sorted(data["figures"][""]["costs"])[:2]
([''], ['a100-40gb|bf16', 'a100-40gb|fp16'])
"""
from __future__ import annotations

from ..cost import DTYPE_BYTES, bundled, dtype_bytes, load_profile
from .page import standalone
from .view import cost_view, figure_view

MAX_COMPONENTS = 64  # components whose other state the file holds; past this, only the figure as drawn


def views(text: str, name: str, hw: str, dtype: str, sizes: dict[str, int] | None = None) -> dict:
    """Every view the file holds; NcdError for a mistake in the diagram, the profile or the dtype."""
    load_profile(hw)
    dtype_bytes(dtype)
    base, diagram = figure_view(text, name, sizes)
    profiles = list(dict.fromkeys([*bundled(), hw]))
    figures = {"": {"view": base, "costs": {f"{p}|{d}": cost_view(diagram, p, d) for p in profiles for d in DTYPE_BYTES}}}
    for key in list(base["components"])[:MAX_COMPONENTS]:
        line, column = map(int, key.split(":"))
        other, diagram = figure_view(text, name, sizes, frozenset({(line, column)}))
        figures[key] = {"view": other, "costs": {f"{p}|{dtype}": cost_view(diagram, p, dtype) for p in profiles}}
    for figure in figures.values():
        figure["view"]["profiles"] = profiles
    return {"figures": figures, "hw": hw, "dtype": dtype}


def html(text: str, name: str, hw: str = "a100-80gb", dtype: str = "bf16", sizes: dict[str, int] | None = None) -> str:
    """The self-contained page for ``text`` (shown as file ``name``)."""
    data = views(text, name, hw, dtype, sizes)
    return standalone(data, data["figures"][""]["view"]["title"] or name)
