"""What to fuse (``ncd cost --suggest``): which runs of adjacent statements can run as
one kernel, and the plan that saves most time.

A candidate is a run of consecutive statements (lines) of one section, outside any
fused section, of two to ``MAX_RUN`` statements that make kernels. It is legal when
the diagram still builds and costs with the run wrapped in a ``fused`` section: the
streaming and tiling rules of :mod:`.fused` decide what may be split, and shared
memory what fits (a run that cannot be tiled to fit is refused by the planner).
Each legal run is costed on the whole diagram (so L2 reuse and fixed costs count);
the best set of non-overlapping runs is chosen by weighted interval scheduling, and
the plan is costed once more as a whole. Each costing visits every op, so a search runs
at most ``SEARCH_OPS`` op visits: on a long diagram, the runs whose kernels take the
most time are tried first, as many as that allows (all of them on a block's diagram).

>>> from ncd_render.cost import load_profile
>>> text = open("gallery/sdpa.ncd").read()
>>> plan = suggest(text, "sdpa.ncd", load_profile("a100-80gb"), "bf16", {"y": 4096, "x": 4096})
>>> [(s.first, s.last) for s in plan.runs]  # FlashAttention: the whole attention core as one kernel
[(10, 12)]
"""
from __future__ import annotations


from ..errors import NcdError
from ..ir import build
from ..ops import of as kind_of
from ..records import record
from ..sources import program_from_text
from .model import Report, analyse, fused_section

MAX_RUN = 8          # statements in one candidate kernel
MAX_CANDIDATES = 400  # whole-diagram analyses one search may run
SEARCH_OPS = 40_000   # op visits one search may make, all analyses together (a chain of 500 statements took 145 s)
MIN_TRIES = 8         # runs tried however long the diagram
MIN_SAVING = 0.01     # a run must save this share of its time to be worth a kernel of its own


@record
class Run:
    """Lines ``first``-``last`` as one kernel: HBM bytes and time of those lines before and after."""

    first: int
    last: int
    bytes_before: float
    bytes_after: float
    time_before: float
    time_after: float

    @property
    def saving(self) -> float:
        return self.time_before - self.time_after


@record
class Suggestion:
    runs: tuple[Run, ...]
    time_before: float
    time_after: float
    text: str  # the source with the runs wrapped in fused sections
    tried: int = 0  # the runs costed
    possible: int = 0  # the runs that could have been: more than tried where the search was cut short


def suggest(text: str, name: str, profile, dtype: str, sizes: dict | None = None) -> Suggestion:
    """The best set of runs to fuse in the .ncd source ``text``."""
    base = _cost(text, name, profile, dtype, sizes)
    possible = _possible(text, _statements(base[1]))
    budget = min(MAX_CANDIDATES, max(MIN_TRIES, SEARCH_OPS // max(1, len(base[1].ops))))
    spent = _time_by_line(*base)
    ranked = sorted(possible, key=lambda run: (-sum(spent.get(line, 0.0) for line in range(run[0], run[1] + 1)), run))
    candidates = []
    for first, last in sorted(ranked[:budget]):  # (in line order, as found before: the same plan whatever the ranking's ties)
        run = _try(text, name, profile, dtype, sizes, base, first, last)
        if run is not None and run.saving > MIN_SAVING * run.time_before:
            candidates.append(run)
    chosen = _schedule(candidates)
    fused = _wrap(text, [(r.first, r.last) for r in chosen])
    after = _cost(fused, name, profile, dtype, sizes)[0].time if chosen else base[0].time
    return Suggestion(tuple(chosen), base[0].time, after, fused, min(budget, len(possible)), len(possible))


def _possible(text: str, statements) -> list[tuple[int, int]]:
    """(first line, last line) of every run that may be one kernel: 2 to MAX_RUN statements of one section, in a row
    (only blank lines and comments between them), with at least two boxes that make kernels."""
    runs = []
    joined = _only_statements(text.splitlines(), statements)  # (each gap once: a 1 MiB file split per run took minutes)
    for i in range(len(statements)):
        for j in range(i + 1, min(len(statements), i + MAX_RUN)):
            if statements[j][1] != statements[i][1] or not joined[j - 1]:
                break
            if sum(s[2] for s in statements[i:j + 1]) >= 2:
                runs.append((statements[i][0], statements[j][3]))
    return runs


def _time_by_line(report: Report, diagram) -> dict[int, float]:
    """The time of each kernel, by the line its first op is written on."""
    spent: dict[int, float] = {}
    for k in report.kernels:
        spans = [diagram.ops[i].span for i in k.ops if diagram.ops[i].span is not None]
        if spans:
            spent[spans[0].line] = spent.get(spans[0].line, 0.0) + k.time
    return spent


def _cost(text, name, profile, dtype, sizes) -> tuple[Report, object]:
    diagram = build(program_from_text(text, name), sizes=sizes)
    return analyse(diagram, profile, dtype), diagram


def _statements(diagram) -> list[tuple[int, int | None, int, int]]:
    """(first line, section, kernel boxes, last line) of every statement outside fused sections, in line order."""
    by_line: dict[int, list] = {}
    for op in diagram.ops:
        if op.span is None or kind_of(op).declares or fused_section(diagram, op) is not None:
            continue
        by_line.setdefault(op.span.line, []).append(op)
    return [(line, ops[0].section, sum(not kind_of(op).free for op in ops), max(op.span.end_line for op in ops))
            for line, ops in sorted(by_line.items())]


def _only_statements(rows: list[str], run) -> list[bool]:
    """True for each gap between the run's statements that holds only blank lines and comments (``rows``: the file's lines)."""
    gaps = []
    for (_, _, _, end), (start, _, _, _) in zip(run, run[1:]):
        gaps.append(all(not r.strip() or r.strip().startswith("#") for r in rows[end:start - 1]))
    return gaps


def _try(text, name, profile, dtype, sizes, base, first: int, last: int) -> Run | None:
    wrapped = _wrap(text, [(first, last)])
    try:
        report, diagram = _cost(wrapped, name, profile, dtype, sizes)
    except NcdError:  # not legal as one kernel, or it does not fit
        return None
    kernel = next((k for k in report.kernels if k.kind == "fused" and k.name == _title(first, last)), None)
    if kernel is None:
        return None
    old_report, old_diagram = base
    inside = [k for k in old_report.kernels if k.ops and all(first <= old_diagram.ops[i].span.line <= last for i in k.ops
                                                             if old_diagram.ops[i].span is not None)]
    return Run(first, last, sum(k.hbm_bytes for k in inside), kernel.hbm_bytes, sum(k.time for k in inside), kernel.time)


def _title(first: int, last: int) -> str:
    return f"fused lines {first}-{last}"


def _wrap(text: str, runs: list[tuple[int, int]]) -> str:
    """``text`` with each run of lines wrapped in a fused section, indented as its first line."""
    rows = text.splitlines()
    for first, last in sorted(runs, reverse=True):
        indent = rows[first - 1][: len(rows[first - 1]) - len(rows[first - 1].lstrip())]
        body = [("  " + r if r.strip() else r) for r in rows[first - 1:last]]
        rows[first - 1:last] = [f'{indent}section "{_title(first, last)}" fused', *body, f"{indent}end"]
    return "\n".join(rows) + "\n"


def _schedule(runs: list[Run]) -> list[Run]:
    """The non-overlapping runs with the largest total saving (weighted interval scheduling)."""
    runs = sorted(runs, key=lambda r: r.last)
    best = [(0.0, [])]
    for i, run in enumerate(runs):
        before = max((k for k in range(i) if runs[k].last < run.first), default=-1)
        take = best[before + 1][0] + run.saving, best[before + 1][1] + [run]
        best.append(max(best[-1], take, key=lambda t: t[0]))
    return sorted(best[-1][1], key=lambda r: r.first)
