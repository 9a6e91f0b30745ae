"""Write a diagram out as readable PyTorch source (``ncd compile``).

The source is an ``nn.Module`` class: ``__init__`` declares a parameter dict
per learned box, named after the box, and ``forward`` follows the diagram
statement by statement, sections as comments, using einops. A repeated block
is a class of its own (``repeat 3 "Residual block"`` -> ``ResidualBlock``,
with its boxes and a ``forward`` taking what the block reads and returning
what goes round); the diagram's class holds a list of its repetitions and
calls them in a loop, ``X = layer(X)``, as one writes a stack of layers, so
``state_dict()`` matches :func:`~ncd_render.pytorch.compile.compile_diagram`'s
(``residual_block.0.BN_1.weight``). Boxes that take more than one torch
call use functions copied from :mod:`.functional` into the file. Inputs may
carry leading batch dimensions (``...`` in the patterns).

>>> from ncd_render.parse import parse
>>> from ncd_render.ir import build
>>> d = build(parse('title "Tiny"\\naxis m = 4\\naxis o = 2\\ninput X[m]\\nH = linear(X: m -> o) with bias as L_1\\n'
...                 'Y = softmax(H: o)\\noutput Y\\n'))
>>> print(generate(d).split("    def forward")[1].strip())
(self, X):
        H = nn.functional.linear(X, self.L_1.weight, self.L_1.bias)
        Y = torch.softmax(H, dim=-1)  # over o
        return Y
"""
from __future__ import annotations

import ast
import keyword
import re
import unicodedata
from pathlib import Path

from .. import ops
from ..chars import docstring_safe, readable
from ..errors import NcdError
from ..ir import Diagram, Op
from ..opaque import refuse
from .budget import require_runs
from .patterns import MODULE_ATTRIBUTES, Patterns, identifier
from .structure import Repeat, expanded, plan, roots

FUNCTIONAL = Path(__file__).with_name("functional.py")


IMPORTED = ("nn", "torch", "einsum", "rearrange", "itertools", "math")  # names a generated module binds at its top


def generate(diagram: Diagram, class_name: str | None = None) -> str:
    """PyTorch source for ``diagram`` (components are written out expanded)."""
    refuse(diagram, "ncd compile")
    require_runs(diagram)  # the module builds every repetition's boxes: 2**40 of them never finished constructing
    return _Writer(diagram, class_name).source()


def class_name_for(diagram: Diagram) -> str:
    """``Multi-head attention`` -> ``MultiHeadAttention`` (the file name when there is no title)."""
    text = diagram.title or Path(diagram.source.source.path).stem
    words = re.findall(r"[A-Za-z0-9]+", text)
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Diagram"
    return name if name[0].isalpha() else "Diagram" + name


def helper_names() -> set[str]:
    """The names of the functions :mod:`.functional` lends generated files."""
    return {node.name for node in ast.parse(FUNCTIONAL.read_text(encoding="utf-8")).body if isinstance(node, ast.FunctionDef)}


def helper_sources(names: set[str]) -> list[str]:
    """The source of the :mod:`.functional` functions ``names``, in file order (read, not imported: no torch here)."""
    text = FUNCTIONAL.read_text(encoding="utf-8")
    return [ast.get_source_segment(text, node) for node in ast.parse(text).body
            if isinstance(node, ast.FunctionDef) and node.name in names]


class _Writer:
    def __init__(self, diagram: Diagram, class_name: str | None):
        self.d = expanded(diagram)
        self.p = Patterns(self.d)
        self.p.check()
        self.plan = plan(self.p)
        self.class_name = class_name or class_name_for(self.d)
        read = unicodedata.normalize("NFKC", self.class_name)  # as Python reads it: the fullwidth ｎｎ is nn
        if not self.class_name.isidentifier() or keyword.iskeyword(read):
            raise NcdError(f"'{self.class_name}' cannot name a python class", hint="use letters, digits and _, e.g. MultiHeadAttention")
        if read in IMPORTED or read in helper_names():
            raise NcdError(f"'{self.class_name}' is a name the generated module imports: the class would hide it",
                           hint="choose another, e.g. MultiHeadAttention")
        self.var: dict[int, str] = {}      # value -> python variable
        self.inline: dict[int, tuple[str, int, str]] = {}  # unnamed value -> (expression, precedence, comment)
        self.holder: dict[str, int] = {}  # python variable -> root value it holds
        self.root = roots(self.d)
        self.helpers: set[str] = set()    # functions of .functional the source uses
        self.owner = "self"               # what holds the boxes (op source rules read it)
        self.loop_of: dict[int, tuple[int, ...]] = {}  # op index -> the repeated blocks around it
        self.last_use: dict[int, int] = {}
        for i, op in enumerate(self.d.ops):
            last = i == len(self.d.ops) - 1  # the output op: what it takes lives to the end
            for v in op.inputs:
                self.last_use[self.root[v]] = len(self.d.ops) if last else i
            if "source" in op.params:  # a load: the saved value must live until it is loaded
                self.last_use[op.params["source"]] = max(self.last_use.get(op.params["source"], i), i)
        self.carried: dict[int, tuple[int, int]] = {}  # leaving value -> (entering root, its last use in the block)
        self.loop_name = "layer"
        self.follow_loops(self.plan, ())
        self.block_class: dict[int, str] = {}  # repeated block (its section) -> the name of its class
        self.name_blocks(self.plan, {self.class_name, *IMPORTED, *helper_names()})
        # no variable takes a name the module binds: `unfold = unfold(...)` called the tensor (TypeError)
        self.reserved = {self.class_name, *IMPORTED, *helper_names(), *self.block_class.values()}
        self.blocks: list[list[str]] = []  # the block classes' source, each written as its loop is
        learned: dict[str, str] = {}  # each learned box's name as Python reads it (NFKC: the fullwidth Ｗ is W)
        for op in self.d.ops:
            if not self.p.parameters(op):
                continue
            read = unicodedata.normalize("NFKC", op.name)
            if not op.name.isidentifier() or keyword.iskeyword(read) or read in MODULE_ATTRIBUTES or read.startswith("_"):
                raise NcdError(f"a learned box cannot be called '{op.name}' in PyTorch", op.span, "give it another label with 'as NAME'")
            if learned.setdefault(read, op.name) != op.name:  # (the second replaced the first: W - Ｗ was always 0)
                raise NcdError(f"learned boxes '{learned[read]}' and '{op.name}' are one name in Python, which reads them alike",
                               op.span, "give one of them another label with 'as NAME'")

    def follow_loops(self, items, around: tuple[int, ...]) -> None:
        """Note the blocks around each op, and keep every value a loop reads from before it
        alive to the loop's end (the next repetition reads it again)."""
        for item in items:
            if not isinstance(item, Repeat):
                self.loop_of[item] = around
                continue
            for leaving, entering in item.feeds.items():
                old = self.root[entering[0]]
                reads = [i for i in range(item.start, item.stop) for v in self.d.ops[i].inputs if self.root[v] == old]
                self.carried[leaving] = (old, max(reads))
            made_before = {v for op in self.d.ops[:item.start] for v in op.outputs}
            for op in self.d.ops[item.start:item.stop]:
                for v in op.inputs:
                    if v in made_before:
                        self.last_use[self.root[v]] = max(self.last_use[self.root[v]], item.stop)
            self.follow_loops(item.body, around + (item.section,))

    def name_blocks(self, items, taken: set[str]) -> None:
        """A class name per repeated block, from its title (``Residual block`` -> ``ResidualBlock``)."""
        for item in items:
            if isinstance(item, Repeat):
                words = re.findall(r"[A-Za-z0-9]+", self.d.sections[item.section].title)
                base = "".join(w[:1].upper() + w[1:] for w in words) or "Block"
                self.block_class[item.section] = identifier(base if base[0].isalpha() else "Block" + base, taken)
                self.name_blocks(item.body, taken)

    # -- the file ------------------------------------------------------------
    def source(self) -> str:
        init, forward = self.init_lines(self.plan), self.forward_lines()
        blocks = [line for block in self.blocks for line in ["", "", *block]]
        body = "\n".join(init + forward + blocks)
        helpers = helper_sources(self.helpers)
        imports = ["import itertools"] if any("itertools." in h for h in helpers) else []
        imports += ["import torch"] if "torch." in body + "".join(helpers) else []
        used = [n for n in ("einsum", "rearrange") if re.search(rf"\b{n}\(", body)]
        imports += [f"from einops import {', '.join(used)}"] if used else []
        imports += ["from torch import nn"]
        path = self.d.source.source.path
        functions = [line for h in helpers for line in ["", "", h]]
        return "\n".join([f'"""{docstring_safe(self.d.title or self.class_name)}: PyTorch generated by '
                          f'`ncd compile {docstring_safe(readable(str(path)))}`."""',
                          *imports, *functions, *blocks, "", "", f"class {self.class_name}(nn.Module):", *self.docstring(), *init,
                          *forward]) + "\n"

    def docstring(self) -> list[str]:
        def signature(vids):
            return ", ".join(f"{self.d.values[v].name} [{self.p.spec(self.d.values[v].axes, groups=True)}]" for v in vids)

        used = [a for a in self.d.axes if len(self.d.axes[a].parts) == 1 and any(a in self.d.axes[b].parts
                for v in self.d.values.values() for b in v.axes)]
        sizes = ", ".join(f"{a}={self.p.size(a)}" for a in used)
        return ['    """' + docstring_safe(self.d.title or self.class_name) + ".", "",
                f"    forward({signature(self.d.inputs)}) -> {signature(self.d.outputs)}",
                f"    with {sizes}; '...' is any number of leading batch dimensions.",
                *(["    Weights are [output axes, input axes], like nn.Linear's [out, in]."]
                  if any("in_axes" in op.params for op in self.d.ops) else []), '    """', ""]

    # -- __init__ ------------------------------------------------------------
    def init_lines(self, items) -> list[str]:
        """``__init__`` of a class running ``items``: a parameter dict per learned box, a list of
        its repetitions per repeated block (none when there is neither)."""
        learned = [self.d.ops[i] for i in items if not isinstance(i, Repeat) and self.p.parameters(self.d.ops[i])]
        if not learned and not any(isinstance(i, Repeat) for i in items):
            return []
        needed = {part for op in learned for axes in self.p.parameters(op).values() for a in axes for part in self.d.axes[a].parts}
        names = [a for a in self.d.axes if a in needed]
        sizes = [f"        {', '.join(self.p.ids[a] for a in names)} = {', '.join(str(self.p.size(a)) for a in names)}"] if names else []
        return ["    def __init__(self):", "        super().__init__()", *sizes, *self.boxes(items), ""]

    def boxes(self, items) -> list[str]:
        lines = []
        for item in items:
            if isinstance(item, Repeat):
                lines.append(f"        self.{item.name} = nn.ModuleList({self.block_class[item.section]}() for _ in range({item.times}))")
                continue
            op = self.d.ops[item]
            layout = self.p.parameters(op)
            if not layout:
                continue
            lines.append(f"        self.{op.name} = nn.ParameterDict({{")
            for param, axes in layout.items():
                lines.append(f'            "{param}": nn.Parameter({self.initial(op, param, axes)}),')
            lines.append("        })")
        return lines

    def dims(self, axes) -> str:
        return ", ".join(" * ".join(self.p.ids[part] for part in self.d.axes[a].parts) for a in axes)

    def initial(self, op: Op, param: str, axes) -> str:
        start = ops.of(op).need("initial")(op, param)
        shape = self.dims(axes) or "()"  # (of no axes, one number: torch.zeros() with no size is a TypeError)
        if start == "fan_in":
            fan_in = self.dims(op.params["in_axes"]).replace(", ", " * ")
            return f"torch.randn({shape}) / {fan_in if fan_in.isidentifier() else f'({fan_in})'} ** 0.5"
        if isinstance(start, tuple):  # (of no axes, one number: nn.PReLU()'s one slope)
            return f"torch.full(({self.dims(axes)},), {start[1]!r})" if axes else f"torch.full((), {start[1]!r})"
        return f"torch.{start}({shape})"

    # -- forward -------------------------------------------------------------
    def forward_lines(self) -> list[str]:
        args = [self.assign(v, None) for v in self.d.inputs]
        lines = [f"    def forward(self, {', '.join(args)}):"]
        taken = {identifier(v.name or "t", set()) for v in self.d.values.values()}
        self.loop_name = identifier("layer", taken)
        lines += self.block(self.plan, "        ", ())
        outs = ", ".join(self.var[v] for v in self.d.outputs)
        return lines + [f"        return {outs}"]

    def block(self, items, indent: str, path: tuple[int, ...]) -> list[str]:
        """The statements of ``items``, section titles as comments (a blank line where the section
        changes), repeated blocks as loops."""
        lines = []
        for item in items:
            repeat = isinstance(item, Repeat)
            if not repeat and self.silent(self.d.ops[item]):
                continue
            item_path = self.d.section_path(item.section if repeat else self.d.ops[item].section)
            if item_path != path:
                if lines and lines[-1]:
                    lines.append("")
                lines += [f"{indent}# {self.d.sections[s].title}" for s in item_path if s not in path and not (repeat and s == item.section)]
                path = item_path
            lines += self.loop(item, indent, path) if repeat else [indent + line for line in self.statement(item, self.d.ops[item])]
        return lines

    def loop(self, item: Repeat, indent: str, path: tuple[int, ...]) -> list[str]:
        """``for layer in self.NAME: X = layer(X)``, writing the block's class (:meth:`block_source`)."""
        made = {v for op in self.d.ops[item.start:item.stop] for v in op.outputs}
        reads = {}  # variable -> the value it holds, for what the block reads from before it, in order
        for op in self.d.ops[item.start:item.stop]:
            for v in (*op.inputs, op.params.get("source")):
                if v is not None and v not in made:
                    reads.setdefault(self.var[v], v)
        after = {self.root.get(v, v) for op in self.d.ops[item.stop:] for v in (*op.inputs, op.params.get("source"))}
        hands_on = [*item.feeds, *(v for v in sorted(made & after) if v not in item.feeds)]  # what goes round, what is read after
        holder = self.holder
        self.holder = {name: holder[name] for name in reads if name in holder}  # its forward's names are its own
        body = self.block(item.body, "        ", path)
        returns = {self.var[v]: v for v in hands_on}
        self.holder = holder
        self.blocks.append(self.block_source(item, reads, returns, body))
        targets = []
        for v in hands_on:  # what goes round is rebound to the variable the block read; the rest get a free one
            if v in item.feeds:
                name = self.var[v] = self.var[self.carried[v][0]]
                self.holder[name] = self.root[v]
            else:
                name = self.assign(v, item.start)
            targets.append(name)
        for v in made:  # the block's copies of what it hands on are the same object, under the caller's name
            if self.root[v] != v and self.root[v] in hands_on:
                self.var[v] = self.var[self.root[v]]
        call = f"{self.loop_name}({', '.join(reads)})"
        section = self.d.sections[item.section]
        return [f"{indent}for {self.loop_name} in self.{item.name}:  # {section.title or 'repeated'} ×{item.times}",
                f"{indent}    {', '.join(targets)} = {call}" if targets else f"{indent}    {call}"]

    def block_source(self, item: Repeat, reads: dict[str, int], returns: dict[str, int], body: list[str]) -> list[str]:
        """The class of one repetition of a repeated block: its boxes, and a ``forward`` from what
        the block reads to what it hands on."""
        def signature(named):
            return ", ".join(f"{n} [{self.p.spec(self.d.values[v].axes, groups=True)}]" for n, v in named.items())

        title = self.d.sections[item.section].title or "A repeated block"
        return [f"class {self.block_class[item.section]}(nn.Module):",
                f'    """{docstring_safe(title)}, one of {item.times} in a row: forward({signature(reads)}) -> {signature(returns)}."""', "",
                *self.init_lines(item.body), f"    def forward(self, {', '.join(reads)}):", *body,
                *([f"        return {', '.join(returns)}"] if returns else [])]

    def assign(self, vid: int, at: int | None) -> str:
        """A free python variable for value ``vid``: its name, unless that name still holds a live value;
        a value a repeated block hands round takes the variable of the one it replaces."""
        if vid in self.carried and self.carried[vid][1] <= at:
            name = self.var[self.carried[vid][0]]
        else:
            base = identifier(self.d.values[vid].name or "t", set(self.reserved))
            name, n = base, 1
            while name in self.holder and self.last_use.get(self.holder[name], -1) > (at if at is not None else -1):
                n += 1
                name = f"{base}_{n}"
        self.holder[name] = self.root[vid]
        self.var[vid] = name
        return name

    def silent(self, op: Op) -> bool:
        """Inputs, outputs, deletes and copies write nothing (a copy names its outputs as it goes)."""
        if not ops.of(op).free:
            return False
        pre, expr, _, _ = self.expression(op, None)
        return not pre and expr is None

    def statement(self, i: int, op: Op) -> list[str]:
        """The lines of one box; an unnamed value used by the very next box is written inside that box's line."""
        if ops.of(op).free:
            pre, expr, _, _ = self.expression(op, None)
            if expr is None:  # a save: a comment
                return pre
        if len(op.outputs) > 1:  # a split: its parts named at once
            targets = [self.assign(v, i) for v in op.outputs]
            pre, expr, _, comment = self.expression(op, None)
            return pre + [f"{', '.join(targets)} = {expr}" + (f"  # {comment}" if comment else "")]
        (out,) = op.outputs
        inlined = [self.inline[v][2] for v in op.inputs if v in self.inline]
        if not self.d.values[out].name and self.inlines_into_next(i):
            pre, expr, precedence, comment = self.expression(op, None)
            if not pre:
                self.inline[out] = (expr, precedence, "; ".join(c for c in inlined + [comment] if c))
                return []
        target = self.assign(out, i)
        pre, expr, _, comment = self.expression(op, target)
        comment = "; ".join(c for c in inlined + [comment] if c)
        return pre + [f"{target} = {expr}" + (f"  # {comment}" if comment else "")]

    def inlines_into_next(self, i: int) -> bool:
        """Whether op i's output is used by the next box written, once, as a plain argument, in the same loop."""
        if len(self.d.ops[i].outputs) != 1:
            return False
        (out,) = self.d.ops[i].outputs
        j = next((j for j in range(i + 1, len(self.d.ops)) if not self.quiet(self.d.ops[j])), None)
        if j is None or out not in self.d.ops[j].inputs or self.loop_of.get(j) != self.loop_of[i]:
            return False
        nxt = self.d.ops[j]
        return not ops.of(nxt).free and not ops.of(nxt).reads_twice_of(nxt)  # outputs and saves name what they take

    @staticmethod
    def quiet(op: Op) -> bool:
        """Copies, deletes, saves, loads and the output: nothing between two boxes (an output or a
        save that takes the value then leaves no next box to write it into)."""
        return ops.of(op).free

    def arg(self, vid: int, precedence: int = 0) -> str:
        if vid in self.inline:
            text, p, _ = self.inline[vid]
            return f"({text})" if p < precedence else text
        return self.var[vid]

    def dims_of(self, op: Op, acted, which: str = "inputs") -> tuple[int, ...]:
        (axes,) = self.p.values(op, which)[:1]
        return self.p.dims(axes, acted)

    def expression(self, op: Op, target: str | None) -> tuple[list[str], str, int, str]:
        """(lines before, expression, its precedence, comment) for one box, as its kind writes it;
        ``target`` names its result."""
        return ops.of(op).need("source")(op, self, target)

    def call(self, function: str, args: list[str], options: dict, defaults: dict | None = None) -> str:
        """``function(a, b, key=value, ...)``, leaving out options at their defaults."""
        given = [f"{k}={v!r}" for k, v in options.items() if (defaults or {}).get(k, object()) != v]
        return f"{function}({', '.join(args + given)})"
