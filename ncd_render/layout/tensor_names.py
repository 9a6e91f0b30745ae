"""Which tensor each wire carries where, named as the file names it: for a page's row breaks
(:mod:`ncd_render.page`), which name the tensors a row hands on and takes in."""
from __future__ import annotations

from collections import defaultdict

from ..scene import Text
from .columns import name_label
from .model import Style


def tensor_runs(style: Style, columns: list, xs: list, wires: dict, final, x_end: float, dx: float) -> dict[int, tuple]:
    """For ``Scene.wire_names``: each wire's (x from, x to, its tensor's name) runs in the gaps between
    the columns, where a page's row break may cut it (x moved by ``dx``). The name is a Text at the
    origin, one per tensor, None for a tensor without one (a component's result)."""
    runs: dict[int, list] = defaultdict(list)
    texts: dict[int, Text | None] = {}

    def add(w: int, x0: float, x1: float, value: int) -> None:
        text = texts.get(value, False)
        if text is False:
            named = statement_result(style.diagram, value)
            text = texts[value] = None if named is None else style.placed_text(name_label(style, named), 0, 0, "label.name")
        run = runs[w]
        if run and run[-1][2] is text:
            run[-1] = (run[-1][0], x1 + dx, text)
        else:
            run.append((x0 + dx, x1 + dx, text))

    x = min((w.x0 for w in wires.values()), default=0)
    for column, at in zip(columns, xs):
        values = {**column.gap_in.values, **column.before.values}
        for w, value in values.items():
            add(w, x, at.x0, value)
        x = at.x1
    for w, value in final.values.items():
        add(w, x, x_end, value)
    return {w: tuple(run) for w, run in runs.items()}


def statement_result(d, value: int) -> int | None:
    """``value``, where it has a name, else the named result of the statement that makes it on the way there
    (``N = sum(N: k) * 0.5``: the sum, before its scale, is N too, where a page's row is cut between them: it went on
    to the next row unnamed); None where it has none (a component's result).

    >>> from ncd_render.api import load_text
    >>> d = load_text("axis y = 4\\naxis k = 3\\ninput K[y k]\\nN = sum(K: k) * 0.5\\noutput N\\n").diagram
    >>> [(d.values[v].name, d.values[statement_result(d, v)].name) for v in d.values]
    [('K', 'K'), ('', 'N'), ('N', 'N')]
    """
    for _ in range(8):  # (a statement's ops: a call, its scale, its bias)
        if d.values[value].name:
            return value
        user, op = d.consumer(value), d.producer(value)
        if user is None or user.span is None or op.span is None or user.span.line != op.span.line or len(user.outputs) != 1:
            return None
        value = user.outputs[0]
    return None
