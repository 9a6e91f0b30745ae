"""Check a diagram against an independent implementation (``ncd check``).

A *pairing* is a Python file, by default ``NAME.check.py`` beside
``NAME.ncd``, defining ``reference(sizes) -> Reference``: ``sizes`` maps the
diagram's axes to their sizes, and the :class:`Reference` says how to run the
implementation and where each learned box of the diagram finds its weights
in it. ``check`` then

1. fills the reference's parameters with random values and copies them into
   the diagram (reshaped as each :class:`From` says: :mod:`.weights`);
2. runs both on the same random inputs (:mod:`.inputs`), with one leading
   batch dimension, in float64 and float32;
3. compares every output, and every intermediate wire the reference exposes,
   in max abs and max rel error (``max |diagram - reference| / max |reference|``):
   a wire passes when its rel error is within the dtype's tolerance.

When they disagree the report names the first disagreeing wire in diagram
order and shows the statement that makes it. Mistakes in the pairing (a
missing parameter, a shape that does not fit, a reference that raises) are
:class:`~ncd_render.errors.NcdError`.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import re
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import torch
from torch import nn
from torch.utils import _pytree as pytree
from torch.utils._python_dispatch import TorchDispatchMode

from ..errors import NcdError, did_you_mean, plural, python_syntax_error
from ..ir import Diagram
from ..opaque import refuse
from ..sources import program_from_file
from .compile import DiagramModule, compile_diagram
from .compare import comparison, same
from .inputs import fed, random_inputs, vocabularies, without_values
from .budget import LONG_FLOPS, MAX_FLOPS, Estimate, require
from .guard import ProcessExit, watched
from .patterns import Patterns, shape_text
from .report import TOLERANCE, Comparison, Report
from .sizes import built_at, check_sizes
from .structure import expanded
from .weights import From, copy_parameters, fan_ins, randomize

__all__ = ["From", "Reference", "recording", "load_factory", "check_file", "check", "Comparison", "Report", "TOLERANCE"]

@dataclass
class Reference:
    """An implementation to check a diagram against.

    ``forward`` takes the diagram's inputs (in declaration order, or by name
    where its parameters are named as they are; each with a leading batch dimension) and returns its outputs: a tensor, a tuple, or a
    dict from diagram tensor names to tensors, which may also hold
    intermediate wires (named as in the diagram; a name assigned several times
    means its last value). Tensors are in the diagram's layout, batch first.
    ``module`` holds the parameters that ``parameters`` maps to the diagram's
    (keys such as ``"L_Q.weight"``, or ``"encoder_layer.3.N_1.weight"`` in a
    repeated block). ``dtypes`` are those it computes in faithfully (some
    implementations compute in float32 whatever they are given).
    """

    forward: Callable
    module: nn.Module | None = None
    parameters: Mapping[str, From | str] = field(default_factory=dict)  # a plain name: From(name)
    name: str = "the reference"
    dtypes: tuple[str, ...] = ("float64", "float32")


def _sources(parameters) -> dict[str, From]:
    """A Reference's ``parameters``, each a :class:`From`; a plain name is ``From(name)``."""
    out = {}
    for name, source in dict(parameters).items():
        if isinstance(source, str):
            source = From(source)
        if not isinstance(name, str) or not isinstance(source, From):
            raise NcdError(f"the reference maps {name!r} to {source!r}: parameters must map a diagram parameter's name to "
                           "a reference parameter's name or a From(...)", hint='for example {"L_Q.weight": "q_proj.weight"}')
        out[name] = source
    return out


@contextmanager
def recording(**modules: nn.Module):
    """Record submodules' outputs during a forward pass, under diagram tensor names.

    >>> layer = nn.Sequential(nn.Flatten(), nn.ReLU())
    >>> with recording(F=layer[0]) as seen:
    ...     _ = layer(torch.ones(2, 3, 4))
    >>> seen["F"].shape
    torch.Size([2, 12])
    """
    seen: dict[str, torch.Tensor] = {}
    hooks = [m.register_forward_hook(lambda _m, _i, out, name=name: seen.__setitem__(name, out)) for name, m in modules.items()]
    try:
        yield seen
    finally:
        for hook in hooks:
            hook.remove()


# ----------------------------------------------------------------------------
# Finding the pairing


def load_factory(diagram_path: str | Path, spec: str | None = None) -> tuple[Callable, str]:
    """The ``reference`` factory for a diagram, and where it came from.

    ``spec`` is ``FILE.py[:NAME]`` or ``MODULE[:NAME]``; by default the file
    ``NAME.check.py`` beside ``NAME.ncd``, function ``reference``.
    """
    if spec is None:
        path = Path(diagram_path)
        target, attr = str(path.with_name(path.name.removesuffix(".ncd") + ".check.py")), "reference"
        if not Path(target).is_file():
            raise NcdError(f"no reference to check {diagram_path} against", path=str(diagram_path),
                           hint=f"write {target} defining reference(sizes), or pass --reference FILE.py:FUNCTION")
    else:
        target, _, attr = spec.partition(":")
        attr = attr or "reference"
    try:
        if target.endswith(".py"):
            if not Path(target).is_file():
                raise NcdError(f"reference file '{target}' does not exist")
            module_spec = importlib.util.spec_from_file_location("ncd_pairing_" + re.sub(r"\W", "_", Path(target).stem), target)
            module = importlib.util.module_from_spec(module_spec)
            with watched():
                module_spec.loader.exec_module(module)
        else:
            with watched():
                module = importlib.import_module(target)
    except NcdError:
        raise
    except (Exception, SystemExit) as error:  # (a syntax error where it is, with a caret, as a diagram's)
        what = _failed("it", error) if isinstance(error, SystemExit) else f"{type(error).__name__}: {error}"
        raise python_syntax_error(error, target, "the reference") or \
            NcdError(f"cannot load the reference {target}: {what}", hint=_where(error)) from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise NcdError(f"{target} defines no function '{attr}'", hint="define reference(sizes) returning a Reference")
    return factory, f"{target}:{attr}"


def _failed(who: str, error: BaseException) -> str:
    """What went wrong in the pairing's code: an exception, or a sys.exit() (which must not end ncd check as if it agreed)."""
    if isinstance(error, SystemExit):
        how = "os._exit" if isinstance(error, ProcessExit) else "sys.exit"
        return f"{who} called {how}({error.code!r}) instead of returning, so nothing was compared"
    return f"{who} raised {type(error).__name__}: {error}"


def _where(error: BaseException) -> str | None:
    """Where the error was raised: the last line of the traceback outside torch's own code and this module's (which
    watches the reference run), the line of the reference or model that called what failed; for transformers not
    installed (the gallery's ViT, Mixtral and DeepSeek-V3 pairings build its models), how to install it."""
    if isinstance(error, ModuleNotFoundError) and (error.name or "").partition(".")[0] == "transformers":
        return f"this pairing builds its reference with transformers: pip install {TRANSFORMERS} (the [test] extra has it)"
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.startswith(_TORCH) and f.filename != __file__]
    return f"raised at {frames[-1].filename}:{frames[-1].lineno}" if frames else None


_TORCH = str(Path(torch.__file__).parent) + os.sep
TRANSFORMERS = "transformers==5.23.0"  # as pyproject's [test] extra pins it: the version the gallery's pairings are tested with


# ----------------------------------------------------------------------------
# Checking


def check_file(path: str | Path, reference: str | None = None, sizes: Mapping[str, int] | None = None, *,
               declared: bool = False, progress: Callable[[str], None] | None = None, **options) -> Report:
    """Check the diagram in ``path`` against its pairing (see :func:`load_factory`).

    It runs at the file's ``check`` line, or at small sizes chosen to fit the diagram
    (:mod:`.sizes`); ``declared`` runs it at its declared sizes; ``sizes`` overrides either."""
    program = program_from_file(path)
    chosen, origin = check_sizes(program, sizes, declared)
    diagram = built_at(program, chosen, sizes)
    refuse(diagram, "ncd check")
    _affordable(expanded(diagram), options.get("batch", 2), options.get("dtypes"), declared)  # before the pairing imports anything
    factory, where = load_factory(path, reference)
    return check(diagram, factory, source=where, origin=origin, progress=progress, **options)


FURTHER_SEEDS = 4  # where a wire is one value everywhere (:meth:`Report.flat`), the seeds after the one asked for tried


def check(diagram: Diagram, factory: Callable, *, batch: int = 2, seed: int = 0,
          dtypes: tuple[str, ...] | None = None, source: str = "", origin: str = "",
          progress: Callable[[str], None] | None = None, further_seeds: int = FURTHER_SEEDS) -> Report:
    """Compare ``diagram`` with ``factory(sizes)`` (a :class:`Reference`) on random inputs,
    in ``dtypes`` (default: the reference's). ``progress`` hears what a long check is doing.

    Where every wire agrees but some wire is one value everywhere on both sides (squared-ReLU attention whose
    random scores all came out negative: 0), no mistake in it could show, so the check runs again at the next
    seeds, up to ``further_seeds`` of them (as many as keep the whole within MAX_FLOPS), and reports the first
    where every wire varies or one disagrees; where none does, it reports ``seed``'s run, which fails
    (:attr:`Report.passed`). ``Report.others`` says what each other seed tried left one value."""
    diagram = expanded(diagram)
    patterns = Patterns(diagram)
    cost = _affordable(diagram, batch, dtypes)
    say = progress if progress is not None and cost.total_flops > LONG_FLOPS else (lambda _: None)
    say(f"checking at these sizes takes {cost}; this may take a while")
    vocabulary = vocabularies(diagram, patterns)

    def run(at: int) -> Report:
        return _run(diagram, patterns, vocabulary, factory, at, batch, dtypes, source, origin, say)

    further = min(further_seeds, int(MAX_FLOPS // max(cost.total_flops, 1)) - 1)  # (each run costs the same)
    runs = [run(seed)]
    while _unsettled(runs[-1]) and len(runs) <= further:
        say(f"seed {runs[-1].seed} left {', '.join(runs[-1].flat())} one value everywhere, where no mistake can show: "
            f"trying seed {seed + len(runs)}")
        runs.append(run(seed + len(runs)))
    chosen = runs[0] if _unsettled(runs[-1]) else runs[-1]
    chosen.others = {r.seed: r.flat() for r in runs if r is not chosen}
    return chosen


def _unsettled(report: Report) -> bool:
    """Whether another seed may tell more: every wire agrees, but some wire is one value everywhere."""
    return bool(report.flat()) and report.first_failure() is None


def _run(diagram: Diagram, patterns: Patterns, vocabulary: dict[int, int], factory: Callable, seed: int, batch: int,
         dtypes: tuple[str, ...] | None, source: str, origin: str, say: Callable[[str], None]) -> Report:
    """The reference made, its parameters and the inputs drawn at ``seed``, and both run and compared in each dtype."""
    clock = time.perf_counter()
    sizes = {a: axis.size for a, axis in diagram.axes.items() if len(axis.parts) == 1}
    torch.manual_seed(seed)
    try:
        with watched():
            ref = factory(dict(sizes))
    except NcdError:  # (the pairing's own clear error: a pickled module that cannot load)
        raise
    except (Exception, SystemExit) as error:
        raise NcdError(_failed("the reference factory", error), hint=_where(error)) from None
    if not isinstance(ref, Reference):
        raise NcdError(f"the reference factory returned {type(ref).__name__}, not a Reference", hint="return Reference(forward, module, parameters)")
    parameters = _sources(ref.parameters)
    generator = torch.Generator().manual_seed(seed)
    model = compile_diagram(diagram).double().eval()
    if ref.module is not None:
        ref.module.double().eval()
        randomize(ref.module, generator, fan_ins(model, parameters))
    copy_parameters(model, parameters, ref.module)
    inputs = random_inputs(diagram, vocabulary, batch, generator)
    dtypes = dtypes or ref.dtypes
    if not dtypes or set(dtypes) - set(TOLERANCE):
        raise NcdError(f"cannot check in dtypes {', '.join(dtypes) or '(none)'}", hint="choose from " + ", ".join(TOLERANCE))
    say(f"built the diagram and {ref.name} ({time.perf_counter() - clock:.0f} s)")
    comparisons, modes, unsteady, narrower = [], {}, False, False
    for dtype in dtypes:
        kind = getattr(torch, dtype)
        model.to(kind)
        if ref.module is not None:
            ref.module.to(kind)
        compared, changed, narrow = _compare(diagram, patterns, model, ref, [x.to(kind) if x.is_floating_point() else x for x in inputs], dtype)
        comparisons, unsteady, narrower = comparisons + compared, unsteady or changed, narrower or narrow and dtype == "float64"
        modes.update(_batch_norm_modes(ref.module))
        say(f"ran both in {dtype} ({time.perf_counter() - clock:.0f} s)")
    name = ref.name + (f" ({source})" if source else "")
    return Report(diagram.source.source.path, name, sizes, batch, comparisons, origin, diagram, modes, unsteady, narrower,
                  seed=seed)


def _affordable(diagram: Diagram, batch: int, dtypes, declared: bool = False) -> Estimate:
    """What checking the (expanded) diagram takes; an error when it could run but ncd check will not, its advice
    naming --declared-sizes only where it was given (``declared``)."""
    Patterns(diagram).check()
    return require(diagram, batch, dtypes or ("float64", "float32"), "check at smaller sizes: "
                   + ("drop --declared-sizes, or give smaller ones" if declared else "give smaller ones") + " with --sizes AXIS=N,...")


def _compare(diagram: Diagram, patterns: Patterns, model: DiagramModule, ref: Reference, inputs, dtype: str
             ) -> tuple[list[Comparison], bool, bool]:
    """Each wire the reference gives against the diagram's, in ``dtype``; where one disagrees, whether the
    reference run again on the same inputs gives other results (a dropout left on); and whether the reference
    made real numbers of less precision than ``dtype`` as it ran (computes in float32 whatever it is given)."""
    with torch.no_grad():
        try:
            ours = model.run(*inputs)
        except NcdError:
            raise
        except Exception as error:  # (the builder refuses what torch cannot run: one that passes it is ncd-render's bug)
            raise NcdError(f"running the diagram raised {type(error).__name__}: {error}", hint="the diagram builds, so this is "
                           "a bug of ncd-render's to report, with the .ncd file") from None
        try:
            with _Precisions() as made, watched():
                theirs = fed(ref.forward, diagram, inputs)
        except (Exception, SystemExit) as error:
            raise NcdError(_failed(ref.name, error), hint=_where(error)) from None
    narrower = any(torch.finfo(kind).bits < torch.finfo(getattr(torch, dtype)).bits for kind in made.kinds)
    wires = _wires(diagram, theirs, ref.name)
    result = []
    for vid, tensor in sorted(wires.items(), key=lambda item: diagram.producer(item[0]).id):
        value, op = diagram.values[vid], diagram.producer(vid)
        mine = ours[vid]
        if not isinstance(tensor, torch.Tensor) or tensor.shape != mine.shape:
            got = shape_text(tensor.shape) if isinstance(tensor, torch.Tensor) else type(tensor).__name__
            raise NcdError(f"{ref.name} gives {value.name} as {got}, the diagram as "
                           f"[batch={len(mine)} {patterns.describe(value.axes)[1:]}", op.span)
        kind = without_values(tensor)
        if kind is not None:  # (compared, it raised: a traceback and exit 1, "disagrees")
            raise NcdError(f"{ref.name} gives {value.name} {kind}: ncd check compares dense tensors with values", op.span,
                           hint="return it as a dense tensor on the CPU (tensor.to_dense(), or run the module on the CPU)")
        result.append(comparison(dtype, value.name, vid in diagram.outputs, mine.double(), tensor.double(), op,
                                  exact=value.dtype != "real"))
    if all(c.passed for c in result):
        return result, False, narrower
    with torch.no_grad():
        again = _wires(diagram, fed(ref.forward, diagram, inputs), ref.name)
    return result, any(not same(again[vid], tensor) for vid, tensor in wires.items() if isinstance(tensor, torch.Tensor)), narrower


class _Precisions(TorchDispatchMode):
    """The kinds of real numbers the operations run inside it make (``kinds``): float32 among them, in a run in
    float64, where a reference casts down (transformers' RMSNorm)."""

    def __enter__(self):
        self.kinds = set()
        return super().__enter__()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        self.kinds.update(t.dtype for t in pytree.tree_leaves(out) if isinstance(t, torch.Tensor) and t.is_floating_point())
        return out


def _batch_norm_modes(module) -> dict[str, bool]:
    """Whether each batch norm of the reference module ran in training mode (batch statistics), by its class and name."""
    if module is None:
        return {}
    return {f"{type(m).__name__} '{name}'" if name else type(m).__name__: m.training
            for name, m in module.named_modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)}


def _wires(diagram: Diagram, theirs, name: str) -> dict[int, torch.Tensor]:
    """The reference's results by diagram value id."""
    outputs = list(diagram.outputs)
    if isinstance(theirs, torch.Tensor):
        theirs = (theirs,)
    if isinstance(theirs, (tuple, list)):
        if len(theirs) != len(outputs):
            raise NcdError(f"{name} returns {plural(len(theirs), 'tensor')}, the diagram {plural(len(outputs), 'output')}")
        return dict(zip(outputs, theirs))
    if not isinstance(theirs, Mapping):
        raise NcdError(f"{name} returns {type(theirs).__name__}; return tensors, or a dict from tensor names to tensors")
    named = {diagram.values[v].name: v for op in diagram.ops if op.kind != "copy" for v in op.outputs}  # last value wins
    named.update({diagram.values[v].name: v for v in outputs})
    wires = {}
    for key, tensor in theirs.items():
        if key not in named:
            raise NcdError(f"{name} returns '{key}', but the diagram has no tensor of that name",
                           hint=did_you_mean(key, named) or "tensors: " + ", ".join(n for n in named if n))
        wires[named[key]] = tensor
    absent = [diagram.values[v].name for v in outputs if v not in wires]
    if absent:
        raise NcdError(f"{name} does not return output(s) {', '.join(absent)}")
    return wires
