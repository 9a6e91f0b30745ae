"""How each copy branches off, chosen by the crossings each choice commits to: the layout's
crossing-minimisation phase, run before the stages that place anything.

Each trial is an :func:`.order.order` sweep whose columns are counted as :func:`.report.crossings`
counts them, so a trial that has crossed more than the best so far is swept no further.

>>> from ncd_render.api import load_text
>>> d = load_text("axis y = 4 width\\naxis x = 4 width\\naxis k = 2\\ninput Q[y k], K[x k]\\n"
...               "S = einsum(Q, K: y k, x k -> y x)\\noutput S\\n").diagram
>>> crossing_report(d)
(1, 1)
"""
from __future__ import annotations

import itertools
import math

from ..ir import Diagram
from . import order
from .compact import compact
from .copies import joined_first
from .model import EXHAUSTIVE
from .renames import spread_renames
from .scalars import scalars_on_wires
from .through import pulled_out, through_axes
from .report import column_crossings, column_drawable, column_inversions, crossings, lower_bound, output_inversions, strand_starts

INF = float("inf")
PLAIN = order.NONE_CHOSEN  # every copy branches off where used, below its source
SIDES = ("below", "above")
MOST_PAIRS = 72  # two copies' changes tried at once, at most, each time no one change crosses fewer (8 copies' first pairs)
MOST_LOWS = 6  # ops of several operands whose result's place is tried low in a round, at most (beyond it none is)
THROUGH_SAVES = 3  # an axis every tensor has is drawn once, passing the whole figure, where that crosses at least this
# many times fewer, and half as often (a copy of an MLP's [y m] crosses once: its y stays in X, as labelled)
LOW_OPS = 24  # the most ops a figure (or a page's row) may have for results to be tried low: a block, not a model


def choose_copies(diagram: Diagram, budget: int = 40_000) -> tuple[frozenset, frozenset, frozenset]:
    """How each copy branches off: where used or all at once; below its source or above it,
    its wires together as the source's are (never nested between the source's wires: that
    tears a residual stream apart around its sublayer, and leaves its sum floating between
    dots far apart, where the paper keeps the stream whole and the branch beside it). With
    few copies every choice is tried; otherwise,
    from the best choice that treats every copy alike, passes of one-copy changes, each
    kept only when it scores better, until a pass changes nothing. Then, among choices as
    good, one-copy changes that stand more boxes side by side, and more outputs, in the order
    the file writes them, top to bottom (Q, K, V, as the paper draws them). The search stops after
    about ``budget`` op visits (each trial visits every op once), so the choice never
    depends on the machine's speed. An order where a sum's other operand runs partly
    between its wires is never chosen. Returns (eager, above, low)."""
    return choose_order(diagram, budget)[0]


def choose_order(diagram: Diagram, budget: int = 40_000):
    """:func:`choose_copies`' choice and the order it scored (kept, so the layout need not sweep it again). Where
    that order crosses wires, each op of several operands whose result is all new wires (an einsum, a
    concatenation) in turn puts its result where its operands' lowest wires were, not their topmost, and the copies
    are chosen again around it: kept where that crosses fewer (attention's output beside the values it read, not
    the queries: XCiT's, a Set Transformer's pooling)."""
    best = _choose(diagram, budget, landings(diagram))
    if len(diagram.ops) > LOW_OPS:  # (each try is a whole search: in small figures only)
        return best[:2]
    lows = frozenset(op.id for op in diagram.ops if len(op.inputs) > 1 and order.takes_place(op))  # (einsums, concatenations)
    for _ in range(2):  # the best of the ops placed low one more at a time, twice at most
        if not best[2][0]:
            break
        untried = sorted(lows - best[0][2])
        if not untried or len(untried) > MOST_LOWS:
            break
        tries = [_choose(diagram, budget, best[0][2] | {op_id}) for op_id in untried]
        better = min(tries, key=lambda t: t[2], default=None)
        if better is None or better[2][0] >= best[2][0]:  # only for fewer crossings (a tie keeps every result high)
            break
        best = better
    return best[:2]


def landings(diagram: Diagram) -> frozenset:
    """The transposes that bring the wire drawn once into its place in an output (:func:`.through.pulled_out`): their
    results take the place of the output's own wires, not the wire's, above everything."""
    return frozenset(op.id for op in diagram.ops if op.kind == "rearrange" and op.params["transpose"] and len(op.inputs) > 1)


def _choose(diagram: Diagram, budget: int, low: frozenset):
    """(the choice, its order, its score) that :func:`choose_order` makes with the ops in ``low`` placing their results
    low."""
    scored = {}  # the order of the best choice so far (order() is pure: the same choice gives the same order)
    swept = {}  # choice -> (its score, what its columns crossed), or (None, a cap they crossed more than)
    starts = strand_starts(diagram)

    def score(choice, cap: float = INF) -> tuple[float, int] | None:
        """(crossings, boxes and outputs out of reading order) of ``choice``'s order, or
        None once its sweep has crossed more than ``cap`` (every column's count is at least 0): a choice
        that cannot win is swept no further. A choice tried before is not swept again (each search's
        phases and passes meet the same choices) where what its sweep found answers for this ``cap``."""
        known = swept.get(choice)
        if known is not None and (known[0] is not None or cap <= known[1]):
            n, crossed = known
            return None if n is None or crossed > cap else n
        seen = [0]

        def tally(column, wires) -> bool:
            seen[0] += column_crossings(column, wires) if column_drawable(column) else INF
            return seen[0] > cap

        trial = order.order(diagram, choice, tally)
        if trial is None:
            swept[choice] = (None, cap)
            return None
        disorder = sum(column_inversions(column, starts) for column in trial.columns) + output_inversions(trial, diagram)
        n = seen[0] + sum(placed.crossed for placed in trial.final_gap), disorder
        swept[choice] = (n, seen[0])
        if not scored or n < scored["n"]:
            scored.update(n=n, choice=choice, order=trial)
        return n

    trials = max(8, budget // max(1, len(diagram.ops)))
    floor = lower_bound(diagram)  # no order crosses fewer: one that crosses as few ends the search for fewer crossings
    states, sources = _states(diagram)
    copies = list(states)
    best = PLAIN[:2] + (low,)
    if math.prod(states.values()) <= EXHAUSTIVE:  # few copies: try every choice (the first found of the best wins)
        fewest = score(best)
        candidates = (_choice(dict(zip(copies, combo)), sources, low) for combo in itertools.product(*(range(states[c]) for c in copies)))
    else:  # many copies: start from the best of the uniform choices (every copy the same way, as far as it may)
        candidates = None
        # above first (each made only if tried: where the plain order crosses no more than the lower bound, none is)
        uniforms = (_choice({c: k if k < states[c] else k % 2 for c in copies}, sources, low) for k in (2, 3, 1))
        fewest = score(best)
        trials -= 1  # (the plain order and the first uniform count as one trial)
        for k, uniform in enumerate(uniforms):
            if fewest[0] <= floor:
                break
            trials -= bool(k)
            n = score(uniform, fewest[0])
            if n is not None and n[0] < fewest[0]:
                best, fewest = uniform, n
    # first the fewest crossings ...
    while fewest[0] > floor and trials > 0:
        improved = False
        for trial in candidates or _nearby(best, states, sources):
            if fewest[0] <= floor or trials <= 0:
                break
            trials -= 1
            n = score(trial, fewest[0])
            if n is not None and n[0] < fewest[0]:
                best, fewest, improved = trial, n, True
                if candidates is None:
                    break  # look again around the new best
        if candidates is not None or not improved:
            break
    # ... then, crossing as few, one copy changed at a time, the fewest boxes out of reading order
    while fewest[1] and trials > 0:
        for trial in _one_copy_changes(best, states, sources):
            if trials <= 0:
                break
            trials -= 1
            n = score(trial, fewest[0])
            if n is not None and n[0] == fewest[0] and n[1] < fewest[1]:
                best, fewest = trial, n
                break  # look again around the new best
        else:
            break
    return best, scored["order"] if scored["choice"] == best else order.order(diagram, best), fewest


def choose_drawing(diagram: Diagram, through: tuple[str, ...] | None = None):
    """The diagram to draw, with :func:`choose_order`'s choice and order for it: ``diagram`` as built, or with
    its renamed copies spread over their source's branches (:mod:`.renames`) where that crosses fewer; and with
    the axes every tensor has drawn once, passing the whole figure (:mod:`.through`): ``through`` (a page's part
    draws those the whole figure draws so, where it has them; none if empty), or, if None, those that lead every
    input where that crosses :data:`THROUGH_SAVES` fewer and half as often."""
    chosen, ordered = choose_order(diagram)
    spread = spread_renames(diagram)
    if spread is not diagram and crossings(ordered):
        other = choose_order(spread)
        if crossings(other[1]) < crossings(ordered):
            diagram, chosen, ordered = spread, *other
    if through:
        if set(through) <= set(through_axes(diagram)):
            pulled = pulled_out(diagram, through, landed=False)  # (the next part goes on with it)
            return (pulled, *choose_order(pulled))
        return diagram, chosen, ordered
    axes = through_axes(diagram) if through is None and crossings(ordered) >= THROUGH_SAVES else ()
    if axes:
        pulled = pulled_out(diagram, axes)
        other = choose_order(pulled)
        if crossings(other[1]) <= min(crossings(ordered) - THROUGH_SAVES, crossings(ordered) / 2):
            return (pulled, *other)
    return diagram, chosen, ordered


def _states(diagram: Diagram) -> tuple[dict[int, int], frozenset]:
    """(how many states each copy and free source may take, the free sources)."""
    states = {op.id: 2 * len(SIDES) for op in diagram.ops if op.kind == "copy"}  # (where used or at once) x each side
    # a tensor no input feeds starts beside the tensor it meets (order.source_place); one that meets none
    # as it starts (its first use is a copy, or takes nothing else) may start below every wire, or above
    sources = frozenset(op.id for op in diagram.ops if not op.inputs and op.kind != "input" and _free(diagram, op))
    states.update(dict.fromkeys(sources, 2))
    return states, sources


def _choice(states: dict[int, int], sources: frozenset = frozenset(), low: frozenset = frozenset()) -> tuple[frozenset, ...]:
    """(eager, above, low) from each copy's state: bit 0 eager, state // 2 its side (:data:`SIDES`); and from
    each source's (in ``sources``): 1 if its wires start above every wire (it joins ``above``), else 0; ``low`` as given."""
    if sources:
        states = {c: 2 * k if c in sources else k for c, k in states.items()}
    return frozenset(c for c, k in states.items() if k & 1), frozenset(c for c, k in states.items() if k // 2 == 1), low


def _one_copy_changes(choice: tuple[frozenset, ...], states: dict[int, int], sources: frozenset = frozenset()):
    """Every choice that differs from ``choice`` in one copy's (or source's) state (``states``: copy or source ->
    how many it may take)."""
    now = _now(choice, states, sources)
    for c, most in states.items():
        for k in range(most):
            if k != now[c]:
                yield _choice({**now, c: k}, sources, choice[2])


def _nearby(choice: tuple[frozenset, ...], states: dict[int, int], sources: frozenset):
    """Every choice one copy's change from ``choice``, then every choice two copies' changes from it: where no one
    change crosses fewer, two may (Mixtral's normed tensor: its branch to W_Q where used, the one to W_K and W_V
    at once, both below it, reading Q, K, V top to bottom, crosses two fewer; either change alone crosses more)."""
    yield from _one_copy_changes(choice, states, sources)
    now = _now(choice, states, sources)
    pairs = ((a, b) for a, b in itertools.combinations(states, 2))
    yield from itertools.islice((_choice({**now, a: ka, b: kb}, sources, choice[2]) for a, b in pairs
                                 for ka, kb in itertools.product(range(states[a]), range(states[b])) if ka != now[a] and kb != now[b]),
                                MOST_PAIRS)


def _now(choice: tuple[frozenset, ...], states: dict[int, int], sources: frozenset) -> dict[int, int]:
    """Each copy's (and source's) state in ``choice``, as :func:`_choice` reads it."""
    eager, above, _ = choice
    return {c: (c in above) if c in sources else (c in eager) + 2 * (c in above) for c in states}


def _free(diagram: Diagram, op) -> bool:
    """Whether a source's wires may start above every wire or below: it meets no other tensor as it starts (or only
    tensors made after it, which start beside it: two learned vectors whose product is a scalar gate), or a bar joins
    it first (ViT's class token, which belongs above the patches it is joined to)."""
    user = diagram.consumer(op.outputs[0])
    if user is None or user.kind == "copy" or len(user.inputs) < 2 or joined_first(diagram, op):
        return True
    at = {o.id: k for k, o in enumerate(diagram.ops)}
    return all(at[diagram.producer(v).id] > at[op.id] for v in user.inputs if v != op.outputs[0])


def crossing_report(diagram: Diagram) -> tuple[int, int]:
    """(crossings the layout of ``diagram`` leaves, the lower bound); as drawn, its convolutions compact where it asks
    and a tensor of no axes on a wire of one (CLIP's temperature: without it, the report failed on a KeyError), and
    its batch drawn once where it is (:mod:`.through`: the bound of the diagram drawn, not of the one written, which
    the GRU cell's 3 crossings fell below, 6)."""
    drawn, _, ordered = choose_drawing(scalars_on_wires(compact(diagram)))
    return crossings(ordered), lower_bound(drawn)  # the order the choice was scored by
