"""Write an imported :class:`~.graph.Program` as ``.ncd`` text.

Axes get names by role (:mod:`.naming`), tensors short names that are reused once
their old value is dead (``H = relu(H)``), learned boxes labels after their module's
path, and statements of one submodule a section titled with its path; each statement is
spelled by :mod:`.statement`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import ops
from ..chars import quotable
from ..limits import MAX_STRING
from ..pytorch.patterns import identifier
from .graph import Program, Stmt
from .axisnames import axis_names as name_axes, declared_order
from .components import candidate_runs, find_components, find_twins
from .fused import fuse_rearranges
from .naming import Names, label, param_name
from .parameters import stored_as, target
from .repeats import find_folds
from .rewrites import fold_scales, hoist_shared
from .siblings import siblings_together
from .statement import axes_text, split_later, statement
from .tensornames import input_name, stream_of, tensor_hint

KEEPS_NAME = {"rope", "mask", "alibi", "dropout"}  # a tensor they change keeps its name (Q = rope(Q: y k))
BOX_LETTER = {"layerscale": "\\gamma", "bias": "E", "learned": "E", "relbias": "E", "prelu": "PReLU"}  # a learned box drawn with a symbol of its own, as the language labels it by default
UNLABELLED = {"topk": "bias_e"}  # the language's name for the parameters of a learned box drawn with its own words


def _letter(fn: str) -> str | None:
    """The letter of a learned box's label, from how the registry draws its kind: N for a norm, E for a
    lookup, L for a map acting on axes; None for a box drawn with its own words (a top-k gate's "top2")."""
    kind = ops.named(fn)
    if fn in BOX_LETTER:
        return BOX_LETTER[fn]
    return "N" if kind.glyph == "norm" else "E" if kind.hold == "lookup" else "L" if kind.hold == "acts" else None


@dataclass
class Written:
    """The .ncd text, and what the pairing needs: axis names and sizes, the learned parameters
    (diagram name -> (module parameter, einops pattern, index)), and the tensors' names."""

    text: str
    axis_names: dict[int, str]
    sizes: dict[str, int]
    parameters: dict[str, tuple] = field(default_factory=dict)
    input_names: list[str] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)


def write(prog: Program, title: str, renames: dict[str, str] | None = None, note: str = "",
          composite: set[str] = frozenset(), classes: dict[str, str] | None = None) -> Written:
    """``composite``: the module paths of submodules with submodules (sections); ``classes``: their
    class names (repetitions of one class may fold into a ``repeat`` block, :mod:`.repeats`)."""
    atoms = prog.atoms
    fold_scales(prog)
    uses = _last_uses(prog)
    outputs = [v for v, _ in prog.outputs]
    prog.stmts = [s for s in prog.stmts if s.out in uses or s.out in outputs]  # a packed projection's unused whole
    hoist_shared(prog)
    common = _common_prefix([s.module for s in prog.stmts])
    prog.stmts = siblings_together(prog.stmts, lambda s: _innermost(s.module, composite))
    uses = _last_uses(prog)  # (where each value is last read, in the order written)
    sections = [_section(s.module, composite, common) for s in prog.stmts]
    folds = find_folds(prog, sections, classes or {})  # before naming axes: it makes the repetitions' axes one
    runs = candidate_runs(prog, folds, sections, composite)
    twins = find_twins(prog, runs, sections, classes or {}, uses)  # (and a twin's atoms its original's)
    first_of = {s: (fold, n) for fold in folds for n, s in enumerate(fold.reps[0])}
    later_of = {s: (fold, r, n) for fold in folds for r, rep in enumerate(fold.reps[1:], 1) for n, s in enumerate(rep)}
    fold_boxes = []
    axis_names = name_axes(prog, renames or {})
    sizes = {axis_names[a]: atoms.size(a) for a in axis_names}

    leaves = atoms.leaves_of

    def names(atom_list):
        return " ".join(axis_names[a] for a in leaves(atom_list))

    note, title = quotable(note, MAX_STRING), quotable(title, MAX_STRING)  # (names Python allows, the language may not)
    lines = [f"# Imported by ncd import{': ' + note if note else ''}", f'title "{title}"', ""]
    for a in declared_order(axis_names, atoms):
        atom = atoms.atom(a)
        base = atom.renamed_from is not None and atoms.find(atom.renamed_from) in axis_names and atoms.find(atom.renamed_from) != a
        size = axis_names[atoms.find(atom.renamed_from)] if base else str(atom.size)
        lines.append(f"axis {axis_names[a]} = {size}" + (" width" if atom.width else ""))
    lines.append("")
    tensor = {}
    bound: dict[str, int] = {}
    taken_tensors = Names(set(axis_names.values()))

    def name_for(vid, hint, at):
        old = bound.get(hint)
        if hint and (old is None or uses.get(old, -1) <= at):
            bound[hint] = vid
            taken_tensors.taken.add(hint)
            return hint
        base = hint or "T"
        n = 2
        while f"{base}{n}" in bound and uses.get(bound[f"{base}{n}"], -1) > at:
            n += 1
        bound[f"{base}{n}"] = vid
        return f"{base}{n}"

    inputs = []
    for vid, dims, arg in prog.inputs:
        name = name_for(vid, input_name(arg), -1)
        tensor[vid] = name
        inputs.append(f"{name}[{names(prog.values[vid].atoms)}]" + _dtype(prog.values[vid].dtype))
    lines.append("input " + ", ".join(inputs))
    stream = stream_of(prog, [vid for vid, _, _ in prog.inputs if tensor[vid] == "X"])
    defined_at = len(lines) - 1  # the components' blocks go before the inputs
    order = {vid: leaves(prog.values[vid].atoms) for vid, _, _ in prog.inputs}
    labels: set[str] = set()
    parameters = {}
    components = find_components(prog, runs, sections, classes or {}, uses, set(axis_names.values()) | taken_tensors.taken, twins)
    inside = {s: c for c in components.values() for s in c.stmts}
    blocks: list[str] = []
    headers: dict[str, list] = {}  # each block's parameters' layouts
    calls: dict[str, int] = {}  # how many times each block with a twin is called so far
    section = None
    body = []

    def letter_and_path(at: int) -> tuple[str, str] | None:
        """The letter and module path of statement ``at``'s label, if it is a learned box with one."""
        stmt = prog.stmts[at]
        letter = _letter(stmt.fn) if stmt.params else None
        if letter is None:
            return None
        fold, path = first_of.get(at, (None, None))[0], stmt.label or stmt.module or stmt.fn
        return letter, fold.relative(path, sections[at]) if fold is not None else path

    def peers_of(stmts) -> dict[str, list[str]]:
        """The module paths of the learned boxes among ``stmts`` that are written, by letter: the labels they
        must be told apart from."""
        out: dict[str, list[str]] = {}
        for at in stmts:
            got = letter_and_path(at) if prog.stmts[at].out in uses or prog.stmts[at].out in outputs else None
            if got is not None:
                out.setdefault(got[0], []).append(got[1])
        return out

    main_peers = peers_of(at for at in range(len(prog.stmts)) if at not in inside and at not in later_of)

    def emit(at: int, stmt: Stmt, indent: str, out: list[str], prefix: str = "", taken_labels: set[str] = labels,
             suffix: str = "", peers: dict[str, list[str]] = main_peers) -> None:
        """Write statement ``at`` into ``out``; ``prefix``: its component's, before its learned boxes' names, whose
        labels need only differ from the others' in it (``taken_labels``, ``peers``); ``suffix``: after them, in a block's
        second call and later (``_2``), as the language names each call's boxes."""
        fold, n = first_of.get(at, (None, None))
        args = [tensor[a] for a in stmt.args]

        def rearranged(k: int, suffix: str, layout: str) -> None:
            """Operand ``k`` rearranged first, into ``layout``, under its name and ``suffix``."""
            name = name_for(-1 - at, args[k] + suffix, at)
            out.append(f"{indent}{name} = rearrange({args[k]}: {axes_text(order[stmt.args[k]], axis_names)} -> {layout})")
            args[k] = name

        laid = [order[a] for a in stmt.args]  # the operands' layouts as written: a concatenation's result's
        for k, joined in enumerate(stmt.axes.get("on", []) if "to" in stmt.axes else []):
            group = leaves([joined])  # a concatenation joins one axis: several flattened together are grouped first
            if len(group) > 1:
                rest = [x for x in order[stmt.args[k]] if x not in group]
                at_first = order[stmt.args[k]].index(group[0])
                before, after = rest[:at_first], rest[at_first:]
                other, theirs = order[stmt.args[1 - k]], leaves([stmt.axes["on"][1 - k]])
                if len(theirs) == 1 and sorted(rest) == sorted(x for x in other if x != theirs[0]):  # laid out as the other operand
                    before, after = other[:other.index(theirs[0])], other[other.index(theirs[0]) + 1:]
                rearranged(k, "g", _grouped_text(before + group + after, [group], axis_names))
                laid[k] = before + group + after
        acted = split_later(stmt, leaves, before=True)
        if acted:  # a ★ of axes a view split (MobileViT's patches, a pixel shuffle's), a rotary of pairs a view lays out again:
            rearranged(0, "g", _grouped_text(_gathered(order[stmt.args[0]], acted), acted, axis_names))  # grouped first
        wanted = _second_order(stmt, order, leaves)
        if wanted is not None and order[stmt.args[1]] != wanted:  # the second operand laid out as the first
            rearranged(1, "t", axes_text(wanted, axis_names))
        order[stmt.out] = (stmt.fn == "concat" and _joined_layout(stmt, laid, leaves)) or leaves(prog.values[stmt.out].atoms)
        hint = ("Y" if len(prog.outputs) == 1 else f"Y{outputs.index(stmt.out) + 1}") if stmt.out in outputs else \
            args[0] + "x" if "from" in stmt.axes else args[0] if stmt.fn in KEEPS_NAME else tensor_hint(stmt, prog, stream)
        going_round = [a for a, c in fold.carried.items() if c == n] if fold is not None else []
        if going_round:  # the value the next repetition reads takes the name of the one the block read
            name = tensor[going_round[0]]
            bound[name] = stmt.out
        else:
            name = name_for(stmt.out, hint, at)
        tensor[stmt.out] = name
        text = statement(stmt, args, order, names, axis_names, atoms)
        groups = split_later(stmt, leaves)
        if groups:  # axes made whole (a ★'s rows, a concatenation's joined axis): split after it, as a later view split them
            whole = name_for(-1 - len(prog.stmts) - at, name + "g", at)
            out.append(f"{indent}{whole} = {text}")
            text = f"rearrange({whole}: {_grouped_text(order[stmt.out], groups, axis_names)} -> {axes_text(order[stmt.out], axis_names)})"
        if stmt.params:  # a norm without weights is no learned box
            labelled = letter_and_path(at)
            box = UNLABELLED[stmt.fn] if labelled is None else label(*labelled, taken_labels, peers[labelled[0]])
            for kind, param in stmt.params.items():
                if fold is not None:
                    fold_boxes.append((fold, n, prefix + param_name(box) + suffix, kind))
                else:
                    parameters[f"{prefix}{param_name(box)}{suffix}.{kind}"] = stored_as(param, target(stmt, kind, order, atoms, prog), axis_names, atoms)
            text += f" as {box}" if labelled is not None else ""
        out.append(f"{indent}{name} = {text}")

    for at, stmt in enumerate(prog.stmts):
        component = inside.get(at)
        if stmt.out not in uses and stmt.out not in outputs and (component is None or at != component.stmts[0]):
            continue  # made but never used (a packed projection imported part by part); a component is called still
        if at in later_of:  # a later repetition: written once, as the first; its values take the first's names
            fold, r, n = later_of[at]
            order[stmt.out] = leaves(prog.values[stmt.out].atoms)
            tensor[stmt.out] = tensor[prog.stmts[fold.reps[0][n]].out]
            if at == fold.reps[-1][-1]:  # after the block a name holds its last repetition's value
                for s0, s in zip(fold.reps[0], fold.reps[-1]):
                    bound[tensor[prog.stmts[s0].out]] = prog.stmts[s].out
            continue
        fold, n = first_of.get(at, (None, None))
        group = fold if fold is not None else sections[at]
        if group != section:
            if section:
                body.append("end")
            if fold is not None:
                body.append(f'repeat {len(fold.reps)} "{quotable(fold.title, MAX_STRING)}"')
            elif group:  # a title is set like a label: an underscore would start a subscript
                body.append(f'section "{quotable(group.replace("_", " "), MAX_STRING)}"')
            section = group
        indent = "  " if section else ""
        if component is None:
            emit(at, stmt, indent, body)
        elif at == component.stmts[0] and _calls_twin(component, headers, order):  # its twin's block, called again
            twin = component.twin
            name = twin.name
            calls[name] = calls.get(name, 1) + 1
            peers = peers_of(component.stmts)
            for s in component.stmts:  # (written nowhere: this names its values and pairs its boxes' parameters)
                if prog.stmts[s].out in uses or prog.stmts[s].out in outputs:
                    emit(s, prog.stmts[s], "  ", [], twin.prefix, set(), f"_{calls[name]}", peers)
            body.append(f"{indent}{tensor[component.output]} = {name}({', '.join(tensor[a] for a in component.inputs)})")
        elif at == component.stmts[0]:  # written once, as a block; called here
            params = [tensor[a] for a in component.inputs]
            headers[component.name] = [order[a] for a in component.inputs]
            blocks.append(f"block {component.name}(" + ", ".join(
                f"{p}[{axes_text(order[a], axis_names)}]" + _dtype(prog.values[a].dtype)
                for p, a in zip(params, component.inputs)) + ")")
            own_labels: set[str] = set()
            peers = peers_of(component.stmts)
            for s in component.stmts:
                if prog.stmts[s].out in uses or prog.stmts[s].out in outputs:
                    emit(s, prog.stmts[s], "  ", blocks, component.prefix, own_labels, peers=peers)
            blocks += [f"  return {tensor[component.output]}", "end", ""]
            body.append(f"{indent}{tensor[component.output]} = {component.name}({', '.join(params)})")
    if section:
        body.append("end")
    lines[defined_at:defined_at] = blocks
    if blocks:  # a whole model: its layers drawn with a box per component, each component's body on a page beside
        lines.insert(2, "depth 0")
    lines += body
    taken = {key.split(".")[0] for key in parameters}
    block_names = {}
    for fold, n, box, kind in fold_boxes:  # each repetition's boxes read its own module's parameters
        if id(fold) not in block_names:  # (named once: each name tried is taken)
            block_names[id(fold)] = identifier(fold.title.lower(), taken)
        block = block_names[id(fold)]
        for r, rep in enumerate(fold.reps):
            stmt = prog.stmts[rep[n]]
            parameters[f"{block}.{r}.{param_name(box)}.{kind}"] = stored_as(stmt.params[kind], target(stmt, kind, order, atoms, prog),
                                                                         axis_names, atoms)
    lines.append("output " + ", ".join(tensor[v] for v, _ in prog.outputs))
    lines = fuse_rearranges(lines)
    lines.append("")
    lines.append("# ncd check runs the diagram at the sizes of the example inputs")
    numbered = [a for a in axis_names if atoms.atom(a).renamed_from is None or atoms.find(atoms.atom(a).renamed_from) not in axis_names
                or atoms.find(atoms.atom(a).renamed_from) == a]
    lines.append("check " + ", ".join(f"{axis_names[a]}={atoms.size(a)}" for a in numbered))
    return Written("\n".join(lines) + "\n", axis_names, sizes, parameters,
                   [tensor[v] for v, _, _ in prog.inputs], [tensor[v] for v, _ in prog.outputs])


def _calls_twin(component, headers: dict[str, list], order) -> bool:
    """Whether ``component`` calls its twin's block: it has one, written already, whose parameters are laid out as
    its inputs are."""
    twin = component.twin
    bound = component.binding  # its parameters' atoms that the call binds to its twin's
    return twin is not None and headers.get(twin.name) == [[bound.get(x, x) for x in order[a]] for a in component.inputs]


def _second_order(stmt: Stmt, order, leaves):
    """The layout a sum, product or concatenation needs its second operand in: the first's (with the
    second's own joined axis for a concatenation, its own axes last for an outer sum), or None for other statements."""
    if ops.get(stmt.fn).glyph == "join" or stmt.fn == "mask" and len(stmt.args) == 2:
        # a sum or product, or a mask by a tensor: the second's axes in the first's order (an outer sum's own after)
        theirs, mine = order[stmt.args[1]], set(order[stmt.args[0]])
        shared = [x for x in order[stmt.args[0]] if x in set(theirs)]
        return list(theirs) if [x for x in theirs if x in mine] == shared else shared + [x for x in theirs if x not in mine]
    if "on" in stmt.axes and "to" in stmt.axes and len(stmt.axes["on"]) == 2:  # a concatenation of two
        a, b = (leaves([x]) for x in stmt.axes["on"])
        if len(a) != 1 or len(b) != 1:
            return None
        wanted = [b[0] if x == a[0] else x for x in order[stmt.args[0]]]
        return wanted if sorted(wanted) == sorted(order[stmt.args[1]]) else None
    return None


def _gathered(made: list, groups: list[list]) -> list:
    """``made`` with each group's atoms brought together, in the group's order, where its first to come stands
    (a pixel shuffle's [c g k h w] as [c (h g) (w k)])."""
    of = {x: tuple(g) for g in groups for x in g}
    out, placed = [], set()
    for x in made:
        group = of.get(x)
        if group is None:
            out.append(x)
        elif group not in placed:
            placed.add(group)
            out.extend(group)
    return out


def _grouped_text(made: list, groups: list[list], axis_names) -> str:
    """The layout ``made`` with each of ``groups`` (a run of its atoms) written as one group: ``y (h k)``."""
    words, at = [], 0
    starts = {group[0]: group for group in groups}
    while at < len(made):
        group = starts.get(made[at])
        if group is not None and made[at:at + len(group)] == group:
            words.append(f"({axes_text(group, axis_names)})")
            at += len(group)
        else:
            words.append(axis_names[made[at]])
            at += 1
    return " ".join(words)


def _joined_layout(stmt: Stmt, laid: list[list], leaves) -> list:
    """A concatenation's result as the language lays it out: the layout (``laid``, as written) of the first operand of
    the most axes among those that name their joined axis, that axis replaced by the one they make; empty when none
    holds it."""
    joined = [leaves([x]) for x in stmt.axes["on"]]
    named = [k for k, group in enumerate(joined) if group and group[0] in laid[k]]
    if not named:  # (nothing to replace: the layout its atoms say)
        return []
    k = max(named, key=lambda k: len(laid[k]) - len(joined[k]))  # (a group is one axis of the language's)
    at = laid[k].index(joined[k][0])
    return laid[k][:at] + leaves(stmt.axes["to"]) + laid[k][at + len(joined[k]):]


def _last_uses(prog: Program) -> dict[int, int]:
    uses = {}
    for i, stmt in enumerate(prog.stmts):
        for a in stmt.args:
            uses[a] = i
    for v, _ in prog.outputs:
        uses[v] = len(prog.stmts) + 1
    return uses


def _common_prefix(paths) -> int:
    """How many leading parts of the module paths every statement shares (a wrapper around one block)."""
    split = [[p for p in path.split(".") if p] for path in paths]
    n = 0
    while split and all(len(s) > n and s[n] == split[0][n] for s in split):
        n += 1
    return n


def _section(module: str, composite, skip: int = 0) -> str:
    """The section of a statement: the outermost layer of a list of layers that ran it (``model.layers.3``: a
    whole model's decoder layers, each a section, fold into one repeat block); else the outermost submodule
    with submodules of its own that ran it, below the ones that ran every statement."""
    parts = [p for p in module.split(".") if p]
    for n in range(skip + 1, len(parts)):
        if parts[n].isdigit() and ".".join(parts[:n + 1]) in composite:
            return ".".join(parts[:n + 1])
    for n in range(skip + 1, len(parts) + 1):  # (a list of layers is no section: each layer is one, above)
        path = ".".join(parts[:n])
        if path in composite:
            return path
    return ""


def _innermost(module: str, composite) -> str:
    """The innermost submodule with submodules of its own that ran a statement (its section or its component), or ""."""
    parts = module.split(".")
    return next((".".join(parts[:n]) for n in range(len(parts), 0, -1) if ".".join(parts[:n]) in composite), "")


def _dtype(dtype: str) -> str:
    """What follows a tensor's axes where it is declared: its data's kind, unless real numbers."""
    return "" if dtype == "real" else f" {dtype}"
