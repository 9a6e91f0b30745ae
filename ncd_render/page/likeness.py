"""When two runs of statements are written alike: the same statements but for the names of their
tensors, their labels and where they stand in the file (a model's layers, written out one by one),
taking in tensors of the same shapes from the same places and handing on the same ones.
:mod:`.strands` cuts runs written alike in the same places, weighing the first only.

>>> from ncd_render.parse import parse
>>> layer = 'A = relu(X) as F_{k}\\nB = tanh(A)\\nX = X + B\\n'
>>> p = parse('axis m = 4\\ninput X[m]\\n' + ''.join(layer.replace('k', str(k)) for k in range(3)) + 'output X\\n')
>>> s = list(p.statements)
>>> first, second, third = (likeness(p, s[2:k], s[k:k + 3], s[k + 3:-1], None) for k in (2, 5, 8))
>>> second == third, first == second  # the first reads X from the file's inputs, the others from a layer
(True, False)
"""
from __future__ import annotations

from dataclasses import fields, is_dataclass

from ..parse import Call, Input, Name, Output, Program, Scale
from .chunks import free_reads, read_later, shapes_after, writes_of

LEFT_OUT = frozenset({"span", "label", "title", "number"})  # fields that do not change a run's drawing's room much


def likeness(program: Program, before: list, steps: list, later: list, depth: int | None) -> tuple:
    """What two runs of plain statements ``steps`` (``before`` them and ``later``, the program's other
    statements) written alike share: their statements with each tensor named by its place in first use
    and labels left out; the shapes of the tensors they read that were made before, and whether the
    file's inputs or earlier statements made them; which of their tensors are read later."""
    names: dict[str, int] = {}
    tensors = set(free_reads(steps)) | {n for s in steps for n in writes_of(s)}

    def named(name: str) -> int:
        return names.setdefault(name, len(names))

    def form(node):
        if isinstance(node, Name):
            return named(node.name)
        if isinstance(node, tuple):
            return tuple(form(n) for n in node)
        if isinstance(node, Scale) and node.axis in tensors:  # X * G: G is a tensor
            return ("scale", named(node.axis), node.exponent, node.divide)
        if isinstance(node, Call):
            return ("call", node.fn.name, form(node.args), form(node.spec), form(node.options), form(node.scale))
        if is_dataclass(node):
            return (type(node).__name__,) + tuple(form(getattr(node, f.name)) for f in fields(node) if f.name not in LEFT_OUT)
        return node

    written = tuple(form(s) for s in steps)
    declared = [t.name for s in program.statements if isinstance(s, Input) for t in s.tensors]
    remade = {n for s in before for n in writes_of(s)}
    reads = [n for n in free_reads(steps) if n in remade or n in declared]
    shapes = shapes_after(program, before, reads, depth)
    taken = tuple((named(n), shapes[n], n in remade, None if n in remade else declared.index(n)) for n in reads)
    final = {n.name for s in program.statements if isinstance(s, Output) for n in s.names}
    wanted = read_later([later], final)
    handed = frozenset(named(n) for s in steps for n in writes_of(s) if n in wanted)
    return written, taken, handed
