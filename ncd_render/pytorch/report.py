"""The result of ``ncd check``: every wire compared, and a report that says where
the diagram and its reference part; torch-free.

A wire passes when ``max |diagram - reference| <= tol * max |reference|``,
with ``tol`` from :data:`TOLERANCE` for the dtype it was computed in.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import ops
from ..ir import Diagram, Op

TOLERANCE = {"float64": 1e-9, "float32": 1e-4}


@dataclass
class Comparison:
    """One wire compared in one dtype."""

    dtype: str
    wire: str
    output: bool
    max_abs: float
    max_rel: float
    op: Op
    factor: float | None = None  # the diagram is this multiple of the reference
    exact: bool = False  # integer ids (an argmax's): equal or not, whatever the dtype
    alike: str = ""  # the values not finite on both sides, in the same places ("12 -inf", a masked score's), if any
    nothing_finite: bool = False  # every value was such: nothing was compared (it fails)
    nan_alone: tuple[int, int] = (0, 0)  # NaN on the diagram's side alone, and on the reference's alone
    nan_alike: int = 0  # values NaN on both sides (not compared), of ...
    values: int = 0  # ... the wire's values, all dtypes' batch elements counted
    flat: float | None = None  # where it agrees, the one value the reference gives everywhere compared (no test of it)

    @property
    def tolerance(self) -> float:
        return 0.0 if self.exact else TOLERANCE[self.dtype]

    @property
    def passed(self) -> bool:
        return self.max_rel <= self.tolerance


NEAR = 10  # a float32-only pass by more than 1/NEAR of the tolerance gets a note (rounding is about 1e-6, 1/100 of it)


@dataclass
class Report:
    path: str
    reference: str
    sizes: dict[str, int]
    batch: int
    comparisons: list[Comparison]
    origin: str = ""  # where the sizes come from: "the file's check line", "the declared sizes", ...
    diagram: Diagram | None = field(default=None, repr=False)  # the diagram checked (components expanded)
    batch_norms: dict[str, bool] = field(default_factory=dict)  # the reference's batch norms (class 'name') -> ran in training mode
    unsteady: bool = False  # the reference, run twice on the same inputs, gave other results
    narrower: bool = True  # the reference, run in float64, made float32 numbers (or less) as it ran
    seed: int = 0  # the seed of the random inputs and parameters compared
    others: dict[int, dict[str, float]] = field(default_factory=dict)  # seeds also tried -> the wires each left flat

    @property
    def passed(self) -> bool:
        """Every wire compared agrees, at least one was, and none is one value everywhere (where nothing tells a
        mistake from none: squared-ReLU scores that came out negative everywhere are 0 whatever their scale).

        >>> flat = Comparison("float64", "A", False, 0.0, 0.0, None, flat=0.0)
        >>> Report("d.ncd", "r", {}, 2, [flat]).passed, Report("d.ncd", "r", {}, 2, [flat, flat]).flat()
        (False, {'A': 0.0})
        """
        return bool(self.comparisons) and all(c.passed for c in self.comparisons) and not self.flat()

    def flat(self) -> dict[str, float]:
        """The wires that agree and are one value everywhere, in every dtype compared, with that value."""
        wires: dict[str, list[Comparison]] = {}
        for c in self.comparisons:
            wires.setdefault(c.wire, []).append(c)
        return {wire: found[0].flat for wire, found in wires.items() if all(c.flat is not None for c in found)}

    def first_failure(self) -> Comparison | None:
        failed = [c for c in self.comparisons if not c.passed]
        return min(failed, key=lambda c: (c.op.id, c.dtype != "float64")) if failed else None

    def __str__(self) -> str:
        sizes = " ".join(f"{a}={n}" for a, n in self.sizes.items())
        lines = [f"{self.path} vs {self.reference}",
                 f"sizes {sizes}, batch {self.batch}, seed {self.seed}; a wire passes when max|diagram - reference| <= tol * "
                 "max|reference|"]
        if self.origin:
            lines.insert(2, f"these are {self.origin}")
        flat = self.flat()
        if self.others and not flat:
            lines.append(self.reseeded())
        if not self.comparisons:
            return "\n".join(lines + ["FAIL: nothing was compared"])
        idle = self.idle()
        width = max(len(c.wire) for c in self.comparisons) + 9
        for c in self.comparisons:
            label = f"{c.wire} ({'output' if c.output else 'wire'})"
            verdict = "FAIL" if not c.passed else f"UNTESTED: {c.flat:.3g} everywhere" if c.wire in flat else "ok"
            lines.append(f"  {c.dtype:8} {label:{width}} max abs {c.max_abs:.2e}  max rel {c.max_rel:.2e}  "
                         f"tol {c.tolerance:.0e}  {verdict}" + (f"  ({c.alike} alike)" if c.alike else ""))
        first = self.first_failure()
        if first is None and flat:
            return "\n".join(lines + self.untested(flat) + idle)
        if first is None:
            return "\n".join(lines + [f"ok: the diagram agrees with {self.reference}"] + self.near_tolerance()
                             + self.mostly_undefined() + idle)
        bad_outputs = sorted({c.wire for c in self.comparisons if c.output and not c.passed})
        lines.append(f"FAIL: {'output(s) ' + ', '.join(bad_outputs) if bad_outputs else 'intermediate wires'} "
                     f"disagree with {self.reference}")
        span = first.op.span
        where = f"{span.source.path}:{span.line}:{span.column}" if span else "(no source position)"
        lines.append(f"the first wire that disagrees is {first.wire} ({first.dtype}, max rel error {first.max_rel:.2e}), made at {where}:")
        if span:
            lines.append(span.excerpt())
        if first.factor is not None:
            lines.append(f"it is {first.factor:.6g} times the reference: is a scale factor wrong?")
        before = sorted({c.wire for c in self.comparisons if c.op.id < first.op.id and c.passed and c.wire not in flat})
        lines.append("wires made before it that agree: " + (", ".join(before) if before else "none compared"))
        if first.output and not any(not c.output for c in self.comparisons):
            lines.append("note: only outputs were compared, so the mistake may be in any statement before this one; a "
                         "reference that returns a dict with more of the diagram's tensors by name narrows it down")
        for hint in (self.random_reference(), self.batch_statistics(first), self.single_precision(first), self.undefined(first),
                     self.one_sided_nan(first)):
            if hint:
                lines.append(hint)
        return "\n".join(lines + idle)

    def reseeded(self) -> str:
        """Why the seed compared is not the one asked for: that one left a wire one value everywhere.

        >>> Report("d.ncd", "r", {}, 2, [], seed=5, others={3: {"A": 0.0}, 4: {"A": 0.0}}).reseeded()[:51]
        'seed 5, not 3: seeds 3 and 4 left A at 0 everywhere'
        """
        them = "it" if len({w for left in self.others.values() for w in left}) == 1 else "them"
        return (f"seed {self.seed}, not {min(self.others)}: {_left(self.others)}, where no mistake in {them} can show, so "
                f"ncd check went on to the next seed (--seed {self.seed} gives these inputs and weights again)")

    def untested(self, flat: dict[str, float]) -> list[str]:
        """The verdict where every wire agrees but some are one value everywhere at every seed tried.

        >>> Report("d.ncd", "r", {}, 2, [], others={1: {"A": 0.0}, 2: {"A": 0.0}}).untested({"A": 0.0})[0]
        'FAIL: ncd check could not test A: at seed 0 it is 0 everywhere on both sides, where no mistake in it can show, and so it is at seeds 1 and 2'
        """
        one = len(flat) == 1
        them, are = ("it", "it is") if one else ("them", "they are")
        said = f"{are} {next(iter(flat.values())):.3g}" if one else _listed([f"{w} is {v:.3g}" for w, v in flat.items()])
        tail = ", and no other seed was tried (--seed N tries one)"
        if self.others:
            alike = all(_rounded(left) == _rounded(flat) for left in self.others.values())
            tail = f", and so {are} at {_seeds(sorted(self.others))}" if alike else f"; {_left(self.others)}"
        return [f"FAIL: ncd check could not test {_listed(list(flat))}: at seed {self.seed} {said} everywhere on both sides, "
                f"where no mistake in {them} can show{tail}",
                "hint: a wire that is one value everywhere on random inputs and weights is often a ReLU, clamp or mask whose "
                "input fell on one side of it everywhere (squared-ReLU attention's scores, all negative), or a softmax or "
                "norm over an axis of size 1: check at other sizes (--sizes AXIS=N,...) or seeds (--seed N)"
                + ("" if any(c.output for c in self.comparisons if c.wire in flat) else "; a wire that is one value by "
                   "design tells nothing: leave it out of what the reference returns")
                + " (docs/pytorch.md, 'Wires that are one value everywhere')"]

    def idle(self) -> list[str]:
        """A note for each option that makes no difference at the sizes checked (its registry entry's ``idle``: a
        window as long as the keys), so a wrong one passes: a new user's window=2 passed at the sizes chosen for it."""
        notes = []
        for op, why in ops.idle(self.diagram) if self.diagram is not None else ():
            where = f"{op.span.source.path}:{op.span.line}" if op.span else op.name
            notes.append(f"note: {where}: {why}, so a wrong value passes at these sizes: check at larger ones "
                         "(a check line, or --sizes AXIS=N,...)")
        return notes

    def near_tolerance(self) -> list[str]:
        """A note where the check ran in float32 alone and a wire agreed by more than a tenth of its tolerance: far
        above float32's rounding, where a small mistake (a GELU's tanh form for its exact one, a missing epsilon)
        hides on a residual stream; float64 would tell them apart."""
        if any(c.dtype == "float64" for c in self.comparisons):
            return []
        close = [c for c in self.comparisons if c.dtype == "float32" and c.passed and c.max_rel > c.tolerance / NEAR]
        if not close:
            return []
        worst = max(close, key=lambda c: c.max_rel)
        return [f"note: checked in float32 alone, {worst.wire} agrees by {worst.max_rel:.1e} of its {worst.tolerance:.0e} "
                "tolerance, far above float32's rounding: a small mistake (a GELU's tanh form, a missing epsilon) would "
                "agree as well; a reference that can run in float64 tells them apart"]

    def mostly_undefined(self) -> list[str]:
        """A note where more than half a wire's values are NaN on both sides: they agree, but only the rest were compared.

        >>> c = Comparison("float64", "D", True, 0.0, 0.0, None, alike="6 NaN", nan_alike=6, values=8)
        >>> Report("d.ncd", "r", {}, 2, [c]).mostly_undefined()[0].split(":")[1]
        ' D is NaN on both sides at 6 of its 8 values (2 compared)'
        """
        worst: dict[str, Comparison] = {}
        for c in self.comparisons:
            if 2 * c.nan_alike > c.values and (c.wire not in worst or c.nan_alike > worst[c.wire].nan_alike):
                worst[c.wire] = c
        if not worst:
            return []
        said = "; ".join(f"{c.wire} is NaN on both sides at {c.nan_alike} of its {c.values} values ({c.values - c.nan_alike} "
                         "compared)" for c in list(worst.values())[:3]) + ("; ..." if len(worst) > 3 else "")
        return [f"note:{' ' + said}: a mistake hidden under the NaN would pass unseen. ncd check feeds normal random inputs, "
                "of either sign, and a square root, rsqrt or log of something that goes negative is NaN (docs/pytorch.md, "
                "'Values that are NaN on both sides')"]

    def batch_statistics(self, first: Comparison) -> str | None:
        """A hint when the first wire to disagree is a batch norm's, or comes after one (a squeeze-excitation's gate
        exposed, the norm's own wire not), and the reference's batch norms ran in the other mode: ncd check puts the
        reference module in eval mode, where they use their running statistics."""
        norm = next(iter(self._batch_norms_before(first.op)), None)
        if norm is None or not self.batch_norms:
            return None
        running = bool(norm.params.get("running"))
        other = sorted(name for name, training in self.batch_norms.items() if training == running)
        if not other:
            return None
        ours = "this one" if norm is first.op or norm.span is None else f"line {norm.span.line}'s batchnorm, before this wire,"
        if running:
            return (f"hint: the reference's {', '.join(other)} ran in training mode, with the batch's statistics, "
                    f"but {ours} is written 'with running' (its stored statistics): drop 'with running', or leave the "
                    "reference in eval mode")
        return (f"hint: the reference's {', '.join(other)} ran in eval mode, with its running statistics (ncd check "
                f"puts the reference module in eval mode), but {ours} uses the batch's statistics: call "
                ".train() on the module in the reference's forward (as gallery/resnet.check.py does), or write "
                "'batchnorm(...) with running' for eval mode")

    def _batch_norms_before(self, op) -> list:
        """The batch norms ``op`` is computed from, itself first if it is one, then the rest in program order."""
        if self.diagram is None:
            return [op] if op.params.get("fn") == "batchnorm" else []
        seen, stack = {op.id}, [op]
        while stack:
            for v in stack.pop().inputs:
                maker = self.diagram.producer(v)
                if maker.id not in seen:
                    seen.add(maker.id)
                    stack.append(maker)
        norms = [o for o in self.diagram.ops if o.id in seen and o.params.get("fn") == "batchnorm"]
        return sorted(norms, key=lambda o: (o is not op, o.id))

    def random_reference(self) -> str | None:
        """A hint when the reference is not a function of its inputs: run twice, it gave other results."""
        if not self.unsteady:
            return None
        return ("hint: the reference gave other results when run again on the same inputs: a dropout (or another random "
                "operation) is on in it. ncd check puts the module in eval mode; a module set to .train() in the forward, "
                "or F.dropout(..., training=True), stays random: leave dropout out of the reference")

    @staticmethod
    def undefined(first: Comparison) -> str | None:
        """A hint when the wire is NaN on both sides, everywhere: nothing finite was left to compare."""
        if not first.nothing_finite or "NaN" not in first.alike:
            return None
        return ("hint: both sides give NaN in the same places and nothing finite is left to compare: ncd check feeds "
                "normal random inputs, of either sign, which may lie outside what the model is defined on (a square "
                "root or rsqrt of a sum that goes negative, the log of a negative number)")

    @staticmethod
    def one_sided_nan(first: Comparison) -> str | None:
        """A hint when one side alone gives NaN somewhere (a softmax over a row that a mask hides whole is NaN).

        >>> c = Comparison("float64", "O", True, float("inf"), float("inf"), None, nan_alone=(0, 12))
        >>> Report.one_sided_nan(c).split(": a softmax")[0]
        'hint: the reference gives NaN at 12 elements of O where the diagram gives numbers'
        """
        ours, theirs = first.nan_alone
        if not ours and not theirs:
            return None
        side, other, n = ("the diagram", "the reference", ours) if ours >= theirs else ("the reference", "the diagram", theirs)
        return (f"hint: {side} gives NaN at {n} elements of {first.wire} where {other} gives numbers: a softmax over a row "
                "that a mask hides whole is NaN (is a mask's `with keep` the wrong way round, or its flags over the wrong "
                "axes?), as is a root or log of a negative number")

    def single_precision(self, first: Comparison) -> str | None:
        """A hint when only float64 fails, within float32's tolerance, and the reference made float32 numbers as it ran:
        by about float32's rounding, to check it in float32; by more (a tenth of that tolerance, far above rounding), to
        look for a small mistake first. A T5 layer with a GELU's exact form for its tanh one was told to check in float32,
        where it would have passed."""
        if first.dtype != "float64" or first.max_rel > TOLERANCE["float32"] or not self.narrower:
            return None  # (a reference that runs in float64 throughout: the difference is the diagram's, however small)
        single = [c for c in self.comparisons if c.dtype == "float32"]
        if single and not all(c.passed for c in single):
            return None
        if first.max_rel > TOLERANCE["float32"] / NEAR:
            return (f"hint: {'float32 agrees, but ' if single else ''}a float64 error of {first.max_rel:.1e} is far above "
                    "float32's rounding (about 1e-6): look for a small mistake first (a GELU's tanh form for its exact "
                    "one, a missing epsilon); checked in float32 alone it would pass")
        return (f"hint: {'float32 agrees, and ' if single else ''}a float64 error of {first.max_rel:.1e} is the size of float32's rounding: does "
                f"{self.reference.split(' (')[0]} compute in float32 whatever it is given? If so, return "
                f"Reference(..., dtypes=(\"float32\",)) to check it in float32 only")


def _listed(words: list[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _rounded(flat: dict[str, float]) -> dict[str, str]:
    """Each wire's one value as a report says it."""
    return {wire: f"{value:.3g}" for wire, value in flat.items()}


def _seeds(seeds: list[int]) -> str:
    """Seeds in a sentence, a run of three or more as one.

    >>> _seeds([3]), _seeds([3, 4]), _seeds([1, 2, 3, 4]), _seeds([1, 3, 4])
    ('seed 3', 'seeds 3 and 4', 'seeds 1 to 4', 'seeds 1, 3 and 4')
    """
    if len(seeds) == 1:
        return f"seed {seeds[0]}"
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"seeds {seeds[0]} to {seeds[-1]}"
    return "seeds " + _listed([str(n) for n in seeds])


def _left(others: dict[int, dict[str, float]]) -> str:
    """What each seed left one value everywhere, seeds that left the same grouped.

    >>> _left({3: {"A": 0.0}, 4: {"A": 0.0, "P": 1.0}})
    'seed 3 left A at 0 everywhere on both sides; seed 4 left A at 0 and P at 1 everywhere on both sides'
    """
    groups: dict[tuple, list[int]] = {}
    for seed, flat in sorted(others.items()):
        groups.setdefault(tuple(_rounded(flat).items()), []).append(seed)
    return "; ".join(f"{_seeds(seeds)} left {_listed([f'{w} at {v}' for w, v in flat])} everywhere on both sides"
                     for flat, seeds in groups.items())
