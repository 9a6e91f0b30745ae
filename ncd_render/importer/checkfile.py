"""Write ``OUT.check.py``: the pairing of an imported diagram with the module it came from.

The pairing rebuilds the module the way the import got it (``FILE.py:FUNC`` again, or a
pickled copy for :func:`ncd_render.from_module`), runs it once per batch element at the
example inputs' shapes (or on the whole batch, merged into its own batch dimension,
when it holds batch norm in training mode), and maps every learned box to the module
parameter it was imported from.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..chars import docstring_safe, readable

TEMPLATE = '''"""{ncd} against {what_doc}, written by ncd import.

Each batch element of ncd check's inputs is laid out as the module's example input
({how}); the module's outputs are laid out as the diagram's. Every learned box of the
diagram reads the module parameter it was imported from.
"""
import einops
import torch
from torch.utils import _pytree as pytree

from ncd_render.importer.pairing import load_module, training_flags
from ncd_render.pytorch.check import From, Reference

SIZES = {sizes!r}
INPUTS = {inputs!r}     # diagram layout -> module layout, per input
OUTPUTS = {outputs!r}   # module layout -> diagram layout, by diagram name
MERGE_BATCH = {merge!r}
PARAMETERS = {{
{parameters}
}}


def reference(sizes):
    wrong = {{a: n for a, n in sizes.items() if SIZES.get(a, n) != n}}
    if wrong:
        raise ValueError(f"the module was imported at {{SIZES}}; it cannot run at {{wrong}}")
    module = load_module({source!r}, __file__, {folders!r})
    flags = training_flags(module)

    def forward(*xs):
        for sub, training in flags:
            sub.train(training)
        args = [einops.rearrange(x, p, **_sizes(p)) for x, p in zip(xs, INPUTS)]
        if MERGE_BATCH:
            out = module(*(a.flatten(0, 1) for a in args))
            flat = [o.unflatten(0, (len(xs[0]), -1)) for o in pytree.tree_leaves(out)]
        else:
            runs = [pytree.tree_leaves(module(*(a[i] for a in args))) for i in range(len(xs[0]))]
            flat = [torch.stack(list(outs)) for outs in zip(*runs)]
        return {{name: einops.rearrange(o, p, **_sizes(p)) for (name, p), o in zip(OUTPUTS, flat)}}

    return Reference(forward, module, {{k: From(p, pattern, index=index, shift=shift, rows=rows) for k, (p, pattern, index, shift, rows) in PARAMETERS.items()}},
                     name={what!r}, dtypes={dtypes!r})


def _sizes(pattern):
    left = pattern.split("->")[0]
    return {{a: n for a, n in SIZES.items() if f"({{a}} " in left or f" {{a}})" in left or f" {{a}} " in left}}
'''


def write_check(ncd_name: str, written, inputs, outputs, source: str, what: str, merge: bool,
                float32: bool, folders: list[str] = ()) -> str:
    """The pairing's text; ``folders``: where a pickled module's classes are imported from (:mod:`.pairing`)."""
    parameters = "\n".join(f"    {k!r}: {v!r}," for k, v in written.parameters.items())
    how = "all at once, merged into its batch dimension" if merge else "one element at a time"
    return TEMPLATE.format(ncd=docstring_safe(readable(ncd_name)), what=what, what_doc=docstring_safe(readable(what)), how=how, sizes=written.sizes, inputs=inputs, outputs=outputs,
                           merge=merge, parameters=parameters, source=source, folders=list(folders),
                           dtypes=("float32",) if float32 else ("float64", "float32"))


def relative_source(spec: str, check_path: Path) -> str:
    """``FILE.py:FUNC`` with FILE relative to the pairing's folder (so the two move together)."""
    file, _, function = spec.rpartition(":")
    try:
        file = os.path.relpath(Path(file).resolve(), check_path.resolve().parent)
    except ValueError:
        file = str(Path(file).resolve())
    return f"{file}:{function}"
