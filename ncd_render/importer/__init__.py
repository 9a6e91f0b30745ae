"""``ncd import``: from an nn.Module to a diagram and its pairing.

>>> import torch
>>> from torch import nn
>>> imported = from_module(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), torch.randn(2, 4))
>>> [line for line in imported.text.splitlines() if line.startswith(("input", "H = ", "Y = "))]
['input X[y m]', 'H = linear(X: m -> f) with bias as L_{0}', 'Y = relu(H)']

Modules: :mod:`.capture` (torch.export), :mod:`.axes` (dimension provenance),
:mod:`.mapping` and :mod:`.patterns` (aten operations to statements), :mod:`.writer`
(DSL text), :mod:`.checkfile` (the pairing). torch is imported only here, never on
the render path.
"""
from __future__ import annotations

import os

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import NcdError


@dataclass
class Imported:
    """An imported diagram: its text, its pairing's text (once written), and the warnings."""

    text: str
    written: object
    program: object
    title: str
    warnings: list[str] = field(default_factory=list)
    module: object = None

    def pairing(self, ncd_path: Path, source: str, folders: list[str] = ()) -> str:
        """The text of the pairing for the diagram at ``ncd_path``, rebuilding the module from ``source`` (a pickle's
        classes imported from ``folders`` too)."""
        from .checkfile import write_check

        names, atoms = self.written.axis_names, self.program.atoms
        inputs = [_pattern(atoms.leaves_of(self.program.values[vid].atoms), dims, names, atoms, True)
                  for vid, dims, _ in self.program.inputs]
        outputs = [(name, _pattern(atoms.leaves_of(self.program.values[vid].atoms), dims, names, atoms, False))
                   for name, (vid, dims) in zip(self.written.output_names, self.program.outputs)]
        return write_check(ncd_path.name, self.written, inputs, outputs, source, self.title,
                           bool(getattr(self.program, "batchnorm", False)), bool(getattr(self.program, "float32", False)),
                           folders)

    def write(self, path: str | Path, source: str | None = None) -> list[Path]:
        """Write ``path`` (.ncd) and its pairing beside it; without ``source`` (``FILE.py:FUNC``) the module is pickled
        (a :class:`~.pairing.PickleWarning` where a class of it is defined in ``__main__``, which ncd check cannot load)."""
        import io

        import torch

        from ..output import check_writable, write_atomic
        from .checkfile import relative_source
        from .pairing import class_folders

        path = Path(path)
        check = path.with_name(path.name.removesuffix(".ncd") + ".check.py")
        files, folders = {path: self.text.encode()}, []
        if source is None:
            pickled = path.with_name(path.name.removesuffix(".ncd") + ".module.pt")
            folders, buffer = class_folders(self.module, check), io.BytesIO()
            torch.save(self.module, buffer)
            source, files[pickled] = pickled.name, buffer.getvalue()
        else:
            source = relative_source(source, check)
        files[check] = self.pairing(path, source, folders).encode()
        for target in files:  # (all refused before any is written)
            check_writable(target)
        for target, data in files.items():
            write_atomic(str(target), data)
        return [path, check] + [target for target in files if target not in (path, check)]


def from_module(module, *inputs, title: str | None = None, axes: dict[str, str] | None = None) -> Imported:
    """Import ``module`` run on ``inputs`` as a diagram (see the module docstring)."""
    from .capture import capture, checked_result
    from .mapping import build_program
    from .masks import window_warning
    from .writer import write

    module, inputs = checked_result((module, tuple(inputs)), "from_module")
    cap = capture(module, inputs, type(module).__name__)
    program = build_program(cap)
    window = window_warning(module, program)
    if window:
        program.warnings.append(window)
    title = title or type(module).__name__
    composite = {name for name, sub in module.named_modules() if name and any(True for _ in sub.children())} | program.sections
    classes = {name: type(sub).__name__ for name, sub in module.named_modules() if name}
    try:
        written = write(program, title, axes, note=f"{type(module).__module__}.{type(module).__name__}, captured with {cap.how}",
                        composite=composite, classes=classes)
    except (ArithmeticError, AttributeError, IndexError, KeyError, TypeError, ValueError) as error:  # (never a traceback)
        raise NcdError(f"ncd import failed writing the diagram (a bug in the importer): {type(error).__name__}: {error}",
                       hint="report it with the model file; the module's operations were all followed") from None
    _validate(written.text)
    return Imported(written.text, written, program, title, list(program.warnings), module)


def import_file(spec: str, output: str | Path, axes: dict[str, str] | None = None) -> Imported:
    """``ncd import FILE.py:FUNC -o OUTPUT``: import, then write the diagram and its pairing."""
    from .capture import load_function

    here = os.getcwd()
    try:  # the module's code may change the working folder: OUTPUT and FILE are paths from this one
        module, inputs = load_function(spec)
        imported = from_module(module, *inputs, title=type(module).__name__, axes=axes)
    finally:
        os.chdir(here)
    imported.write(output, spec)
    return imported


def _pattern(diagram_order, dims, names, atoms, to_module: bool) -> str:
    """The einops pattern between the diagram's layout of a tensor and the module's."""
    groups = []
    for d in dims:
        leaves = [atoms.find(x) for x in atoms.leaves(d)]
        groups.append("()" if not leaves else names[leaves[0]] if len(leaves) == 1 else "(" + " ".join(names[x] for x in leaves) + ")")
    if sorted(atoms.leaves_of(dims)) != sorted(diagram_order):
        raise NcdError("a module input or output repeats values along a dimension (an expand), which the pairing cannot lay out")
    diagram = "batch " + " ".join(names[a] for a in diagram_order)
    module = "batch " + " ".join(groups)
    return f"{diagram} -> {module}" if to_module else f"{module} -> {diagram}"


def _validate(text: str) -> None:
    """The written diagram must read back as a file does (screened for characters and lengths) and build: a mistake
    here is the importer's, said as such."""
    from ..ir import build
    from ..sources import program_from_text

    try:
        build(program_from_text(text, "imported.ncd"))
    except NcdError as error:
        raise NcdError(f"ncd import wrote a diagram that does not build (a bug in the importer):\n{error}\n--- the diagram:\n{text}") from None


__all__ = ["Imported", "from_module", "import_file"]
