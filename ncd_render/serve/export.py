"""``ncd html``: the browser view as one file, with every view it can show computed now.

It holds the figure as drawn and, for each component, the figure with that one
component expanded or collapsed; the cost on every bundled profile at every dtype
(at the chosen dtype for the figures with a component changed); the fusion plan
of ``ncd cost --suggest`` at the chosen profile and dtype. Axis sizes are the ones
given; changing them needs ``ncd serve``.

>>> data = views("axis m = 4\\ninput X[m]\\nY = relu(X)\\noutput Y\\n", "demo.ncd", "a100-80gb", "bf16")
>>> list(data["figures"]), sorted(data["figures"][""]["costs"])[:2]
([''], ['a100-40gb|bf16', 'a100-40gb|fp16'])
"""
from __future__ import annotations

from html import escape

from ..cost import DTYPE_BYTES, bundled, dtype_bytes, load_profile
from ..ir import Diagram
from .costdata import advice
from .page import standalone
from .view import cost_view, figure_view, settable

MAX_COMPONENTS = 64  # components whose other state the file holds; past this, only the figure as drawn
MAX_VIEW_OPS = 4_000  # ops laid out for those figures in all, the figure as drawn's op count each: a file of 1,500
# statements and 64 calls was 65 full figures and their costs (89 s, 3.4 GB, a 466 MB page); a long one holds fewer


def views(text: str, name: str, hw: str, dtype: str, sizes: dict[str, int] | None = None, **style) -> dict:
    """Every view the file holds; NcdError for a mistake in the diagram, the profile or the dtype."""
    load_profile(hw)
    dtype_bytes(dtype)
    base, diagram = figure_view(text, name, sizes, **style)
    profiles = list(dict.fromkeys([*bundled(), hw]))
    figures = {"": {"view": base, "costs": {f"{p}|{d}": cost_view(diagram, p, d, name) for p in profiles for d in DTYPE_BYTES}}}
    for key in list(base["components"])[:min(MAX_COMPONENTS, MAX_VIEW_OPS // max(1, len(diagram.ops)))]:
        line, column = map(int, key.split(":"))
        other, diagram = figure_view(text, name, sizes, frozenset({(line, column)}), **style)
        figures[key] = {"view": other, "costs": {f"{p}|{dtype}": cost_view(diagram, p, dtype, name) for p in profiles}}
    for figure in figures.values():
        figure["view"]["profiles"] = profiles
    return {"figures": figures, "hw": hw, "dtype": dtype, "advice": {"key": f"{hw}|{dtype}", "notes": advice(text, name, hw, dtype, sizes)}}


def html(text: str, name: str, hw: str = "a100-80gb", dtype: str = "bf16", sizes: dict[str, int] | None = None, **style) -> str:
    """The self-contained page for ``text`` (shown as file ``name``); ``style``: theme and layout."""
    data = views(text, name, hw, dtype, sizes, **style)
    return standalone(data, data["figures"][""]["view"]["title"] or name)


def notebook_frame(diagram: Diagram, theme: str = "paper", layout: str = "paper", height: int = 640) -> str:
    """The page in a sandboxed frame (scripts, but no access to the notebook): a figure's rich display in Jupyter.
    Axis sizes are the diagram's; components start as the file's ``depth`` line draws them."""
    source = diagram.source.source
    sizes = {a: diagram.axes[a].size for a in settable(diagram.source.statements) if diagram.axes[a].size is not None}
    page = html(source.text, source.path, sizes=sizes, theme=theme, layout=layout)
    return (f'<iframe sandbox="allow-scripts" title="{escape(diagram.title or source.path)}" '
            f'style="width:100%;height:{int(height)}px;border:1px solid #ddd" srcdoc="{escape(page)}"></iframe>')
