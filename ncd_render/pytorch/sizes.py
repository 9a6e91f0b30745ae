"""The axis sizes ``ncd check`` runs a diagram at; torch-free.

Declared sizes are for drawing and costing (4,096 tokens, 14,336 expert
units): run as they are, a check would take minutes and tens of GB. So by
default a check runs small:

1. at the file's ``check`` line (``check y=5, x=6, m=12, h=3``), when it has one;
2. at the declared sizes when they are small already (a check at them takes at
   most ``CHEAP_FLOPS`` and ``CHEAP_BYTES``);
3. otherwise at small sizes chosen here: each axis declared with a number is
   brought down to the smallest size from 2 to 16 (different from the others
   where possible, so that mixed-up axes show) with which the diagram still
   builds: derived axes (``axis k = m / h``) follow, and the checks on
   convolutions, concatenations and routing still hold, and no option that
   matters at the declared sizes stops mattering (a causal mask's window stays
   shorter than its keys, so a wrong window fails). An axis that cannot
   shrink alone keeps its declared size.

``--sizes`` overrides come on top; ``--declared-sizes`` runs at the declared sizes.

>>> from ncd_render.parse import parse
>>> program = parse("axis y = 4096\\naxis m = 4096\\naxis h = 32\\naxis k = m / h\\ninput X[y m]\\nY = linear(X: m -> k h)\\noutput Y\\n")
>>> check_sizes(program)
({'y': 2, 'm': 8, 'h': 4}, 'small sizes chosen by ncd check (--declared-sizes to check at the declared ones)')
>>> check_sizes(program, {"y": 8}, declared=True)
({'y': 8}, 'the declared sizes, y as --sizes gives it')
"""
from __future__ import annotations

from typing import Mapping

from .. import ops
from .. import parse as ast
from ..errors import NcdError, did_you_mean
from ..limits import MAX_SIZE
from ..syntax import size_names
from ..ir import build
from ..lint import check_line_free, check_line_mistake
from .budget import estimate
from .patterns import Patterns
from .structure import expanded

SMALLEST, LARGEST = 2, 16  # the sizes an axis is tried at, smallest first
CHEAP_FLOPS, CHEAP_BYTES = 10 ** 9, 2 ** 28  # a check this small runs at the declared sizes (about a second)


def check_sizes(program: ast.Program, overrides: Mapping[str, int] | None = None, declared: bool = False) -> tuple[dict[str, int], str]:
    """The sizes to build ``program`` with for a check, and a phrase saying where they come from."""
    overrides = dict(overrides or {})
    axes = [s.name for s in program.statements if isinstance(s, ast.AxisDecl)]
    free = {s.name for s in _free(program)}
    derived = {s.name: s for s in program.statements if isinstance(s, ast.AxisDecl) and s.name not in free}
    for name in overrides:  # (an unknown one failed the build, and the hint then said it builds at its declared sizes)
        if name not in axes:
            raise NcdError(f"--sizes sets unknown axis '{name}'", hint=did_you_mean(name, axes) or "axes: " + ", ".join(axes))
        if name in derived:  # (the build said so, and the hint then said to check at larger sizes)
            size = derived[name].size.span
            raise NcdError(f"cannot set the size of axis '{name}': it is derived "
                           f"({size.source.line(size.line)[size.column - 1:size.end_column - 1]})", derived[name].span,
                           f"--sizes sets the axes it is computed from instead: {', '.join(size_names(derived[name].size))}")
    if overrides and {s.name for s in _free(program)} <= overrides.keys():  # (they were "the declared sizes, small enough to check as they are")
        return overrides, "the sizes --sizes gives"
    given = f", {', '.join(overrides)} as --sizes gives {'it' if len(overrides) == 1 else 'them'}" if overrides else ""
    if declared:
        return overrides, "the declared sizes" + given
    line = program.check_sizes
    if line is not None:
        mistake = check_line_mistake(program)
        if mistake is not None:
            raise mistake
        return {**check_line_free(program), **overrides}, f"the sizes of the file's check line (line {line.span.line}){given}; --declared-sizes checks at the declared ones"
    if _cheap(program, overrides):
        return overrides, "the declared sizes, small enough to check as they are" + given
    return small_sizes(program, overrides), "small sizes chosen by ncd check (--declared-sizes to check at the declared ones)" + given


def _cheap(program: ast.Program, overrides: dict[str, int]) -> bool:
    try:
        diagram = expanded(build(program, sizes=overrides))
        Patterns(diagram).check()
        cost = estimate(diagram, batch=2)
    except NcdError:
        return False
    return cost.total_flops <= CHEAP_FLOPS and cost.bytes <= CHEAP_BYTES


def _free(program: ast.Program) -> list:
    """The axes declared with a number, or with none: those a check may size (the others follow from them)."""
    return [s for s in program.statements if isinstance(s, ast.AxisDecl) and (s.size is None or isinstance(s.size, ast.SizeInt))]


def small_sizes(program: ast.Program, overrides: Mapping[str, int] | None = None) -> dict[str, int]:
    """Small sizes for the axes declared with a number (or none), as described above."""
    overrides = dict(overrides or {})
    free = _free(program)
    sizes = {s.name: overrides.get(s.name, s.size.value if s.size is not None else LARGEST) for s in free}
    sizes.update(overrides)
    start = _built(program, sizes)
    if start is None:
        return overrides  # the diagram does not build as declared: the check reports why
    floor = {name: min(SMALLEST, axis.size) for name, axis in start.axes.items() if axis.size is not None}
    idle = _idle(start)
    for _ in range(2):  # a second pass: an axis may shrink once those it divides have
        changed = False
        for s in free:
            if s.name in overrides:
                continue
            taken = {n for name, n in sizes.items() if name != s.name}
            rank = lambda n: (n in taken, n)  # noqa: E731  (smaller is better: sizes no other axis has first)
            for n in sorted((n for n in range(SMALLEST, min(sizes[s.name] - 1, LARGEST) + 1) if rank(n) < rank(sizes[s.name])), key=rank):
                trial = {**sizes, s.name: n}
                built = _built(program, trial)
                # no derived axis drops to 1, no option stops mattering
                if built is not None and all(built.axes[a].size >= n for a, n in floor.items()) and _idle(built) <= idle:
                    sizes, changed = trial, True
                    break
        if not changed:
            break
    return sizes


def built_at(program: ast.Program, chosen: dict[str, int], sizes: Mapping[str, int] | None):
    """``program`` built at the sizes a check runs at, ``chosen``; where it does not build at them but does at its
    declared sizes, the hint names the sizes given and where from, and says to check at larger ones only where
    larger ones build (a pad or a window longer than the check line's axis), not where no size helps but other ones
    (m / h with m=13, h=3, a convolution's output axis set apart from its input's)."""
    try:
        return build(program, sizes=chosen)
    except NcdError as error:
        given = [("--sizes", dict(sizes or {}))]
        if program.check_sizes is not None:
            line = {name: n for name, n in program.check_sizes.sizes if name not in given[0][1]}
            given.insert(0, (f"the check line (line {program.check_sizes.span.line})", line))
        told = [f"{', '.join(f'{name}={chosen[name]}' for name in axes if name in chosen)} from {who}" for who, axes in given
                if any(name in chosen for name in axes)]
        if not told or not _builds(program, {}):
            raise
        larger = _larger(program, chosen, {name for _, axes in given for name in axes if name in chosen})
        advice = (f"at {', '.join(f'{a}={n}' for a, n in larger.items())} it builds: check it at larger ones" if larger else
                  "it builds at its declared sizes: change the sizes given as the error asks, or use --declared-sizes")
        raise NcdError(error.message, error.span, (f"{error.hint}; " if error.hint else "") + "ncd check builds it at "
                       + " and ".join(told) + ", and " + advice, path=error.path) from None


def _larger(program: ast.Program, chosen: dict[str, int], given: set[str]) -> dict[str, int] | None:
    """The sizes ``given`` made 2, 4 or 8 times larger, together, at the first at which ``program`` builds, or None:
    sizes too small for an option (a pad, a window) build so; a relation between axes that the sizes given break (a
    division that is not whole, an output axis a convolution does not give) still breaks."""
    for factor in (2, 4, 8):
        trial = {name: n * factor if name in given else n for name, n in chosen.items()}
        if max(trial.values()) <= MAX_SIZE and _builds(program, trial):
            return {name: trial[name] for name in chosen if name in given}
    return None


def _builds(program: ast.Program, sizes: dict[str, int]) -> bool:
    try:
        build(program, sizes=sizes)
    except NcdError:
        return False
    return True


def _idle(diagram) -> set[int]:
    """The ops of ``diagram`` (components expanded) with an option that makes no difference at its sizes (their
    registry entries' ``idle``)."""
    if not any(ops.of(op).idle or op.kind == "call" for op in diagram.ops):
        return set()
    return {op.id for op, _ in ops.idle(expanded(diagram))}


def _built(program: ast.Program, sizes: dict[str, int]):
    """The diagram at these sizes if it builds and could run, else None."""
    try:
        diagram = build(program, sizes=sizes)
        Patterns(diagram).check()
    except NcdError:
        return None
    return diagram
