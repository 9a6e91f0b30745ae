"""The importer's own small program: statements over atoms, before axes and tensors have names.

:mod:`.mapping` turns captured aten nodes into :class:`Stmt` s; :mod:`.writer`
names axes and tensors and writes them as DSL text.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Param:
    """A module parameter (or buffer) as a learned box reads it: ``dims`` are the atoms of
    its dimensions as stored; ``fixed`` maps a leaf atom to the one index of it taken (a
    packed q/k/v projection's part); ``shift`` is added to the stored values (Gemma's ``1 + weight``)."""

    name: str
    dims: list[int]
    fixed: dict[int, int] = field(default_factory=dict)
    # a run of several parts (q/k/v rows split [E, 2E]): atom of the run -> (parts atom, first part, part atom)
    runs: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    shift: float = 0.0
    rows: int | tuple[int, int] | None = None  # only these rows of the stored first dim: the first n, or (start, stop)
    inputs_first: bool = False  # stored [in, out, ...] (a transposed convolution's): of one axis stored twice, the first is the input


@dataclass
class Stmt:
    """One DSL statement: ``fn`` over the DSL values ``args``, making value ``out``.

    ``axes`` holds the atoms it acts on (per kind, see the writer), ``options`` the
    ``with`` options, ``params`` the learned tensors by parameter kind."""

    fn: str
    out: int
    args: list[int]
    axes: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    params: dict[str, Param] = field(default_factory=dict)
    label: str = ""
    module: str = ""
    scale: float | None = None


@dataclass
class Value:
    """A DSL tensor: its atoms in order (as first made), and its dtype."""

    atoms: list[int]
    dtype: str = "real"
    hint: str = ""          # a name suggestion: 'Q', 'S', an input's argument name


@dataclass
class Program:
    """What the writer needs: the atoms, the DSL values, the statements, the inputs and outputs."""

    atoms: object
    values: list[Value] = field(default_factory=list)
    stmts: list[Stmt] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sections: set[str] = field(default_factory=set)  # module paths the importer made up, each a section (an RNN's time steps)

    def value(self, atoms: list[int], dtype: str = "real", hint: str = "") -> int:
        self.values.append(Value(list(atoms), dtype, hint))
        return len(self.values) - 1
