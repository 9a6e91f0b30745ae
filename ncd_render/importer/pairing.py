"""What an imported diagram's pairing (``OUT.check.py``) calls: rebuild the module, and
restore the training flags that matter (batch norm's) after ``ncd check`` sets eval mode.

A module pickled by :meth:`~ncd_render.importer.Imported.write` (``OUT.module.pt``) names its
classes by module (``model.MLP``): unpickling imports them, from the pairing's folder, the
folders their files were in when it was written, and the working folder. A class defined in
``__main__`` (a script, a notebook) can be found by no other process.
"""
from __future__ import annotations

import contextlib
import os
import pickle
import site
import sys
import sysconfig
import types
from pathlib import Path

import torch
from torch import nn

from ..errors import NcdError
from .capture import load_function

MAIN_HINT = ("define the class in a file (model.py, beside the .ncd file) and import it from there before "
             "from_module(...).write(), or write(path, source='FILE.py:FUNC') with a function returning (module, example_inputs)")


class PickleWarning(UserWarning):
    """The pickled module cannot be loaded by ``ncd check``: a class of it is defined in ``__main__``."""


def load_module(source: str, pairing_file: str, folders: list[str] = ()) -> nn.Module:
    """The module ``FILE.py:FUNC`` returns (FILE relative to the pairing), or a pickled one (``FILE.pt``);
    ``folders`` (relative to the pairing) hold the modules that define its classes."""
    base = Path(pairing_file).resolve().parent
    if not source.endswith(".pt"):
        file, _, function = source.rpartition(":")
        module, _ = load_function(f"{base / file}:{function}")
        return module
    searched = list(dict.fromkeys([base, *((base / f).resolve() for f in folders), Path.cwd()]))
    with _importable(searched):
        try:
            return torch.load(base / source, weights_only=False, pickle_module=_UNPICKLING)
        except _MainClass as error:
            raise NcdError(f"cannot unpickle {source}: the module's class {error} was defined in __main__ (the script or "
                           "notebook that wrote it), where no other process can find it", hint=MAIN_HINT) from None
        except ModuleNotFoundError as error:
            raise NcdError(f"cannot unpickle {source}: it needs module '{error.name}', found in none of "
                           f"{', '.join(map(str, searched))} and Python's path",
                           hint=f"put {error.name.split('.')[0]}.py (the module that defines the model's classes) beside "
                                "the .ncd file, or add its folder to PYTHONPATH") from None


def training_flags(module: nn.Module) -> list:
    """(submodule, training) for the batch norms in training mode: their batch statistics are what was imported."""
    return [(m, True) for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training]


def class_folders(module: nn.Module, pairing: Path) -> list[str]:
    """The folders (relative to ``pairing``'s) to import ``module``'s classes from, other than Python's own
    and installed packages'; a :class:`PickleWarning` where a class is ``__main__``'s."""
    classes = {type(m) for m in module.modules()}
    main = sorted(c.__qualname__ for c in classes if c.__module__ == "__main__")
    if main:
        import warnings

        warnings.warn(PickleWarning(f"{', '.join(main)} {'is' if len(main) == 1 else 'are'} defined in __main__ (this script "
                                    f"or notebook): ncd check cannot unpickle {pairing.name.removesuffix('.check.py')}"
                                    f".module.pt in another process; {MAIN_HINT}"), stacklevel=3)
    installed = {str(Path(p).resolve()) for p in [*site.getsitepackages(), site.getusersitepackages(),
                                                   *sysconfig.get_paths().values()]}
    folders = []
    for c in classes:
        file = getattr(sys.modules.get(c.__module__), "__file__", None)
        if c.__module__ == "__main__" or not file:
            continue
        root = Path(file).resolve().parents[c.__module__.count(".")]  # the folder of its top package
        if str(root) not in installed:
            folders.append(os.path.relpath(root, pairing.resolve().parent))
    return sorted(set(folders))


class _MainClass(Exception):
    """A class of ``__main__`` met while unpickling (its name)."""


class _Unpickler(pickle.Unpickler):
    """Unpickling that stops at a class of ``__main__`` (where ``Can't get attribute 'MLP'`` said nothing of why)."""

    def find_class(self, module: str, name: str):
        if module == "__main__":
            raise _MainClass(name)
        return super().find_class(module, name)


_UNPICKLING = types.ModuleType("pickle")  # (torch.load takes a module: its Unpickler and load)
_UNPICKLING.Unpickler, _UNPICKLING.load = _Unpickler, pickle.load


@contextlib.contextmanager
def _importable(folders: list[Path]):
    """``folders`` (those not there already) first on ``sys.path`` while the body runs."""
    added = [str(f) for f in folders if str(f) not in sys.path and f.is_dir()]
    sys.path[:0] = added
    try:
        yield
    finally:
        for folder in added:
            sys.path.remove(folder)
