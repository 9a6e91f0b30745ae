"""Lay a diagram out: a pure function from the IR to a :class:`~ncd_render.scene.Scene`."""
from .engine import is_wiring, layout

__all__ = ["layout", "is_wiring"]
