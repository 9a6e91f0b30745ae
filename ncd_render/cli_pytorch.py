"""The ``ncd`` commands that run a diagram, or read one, with PyTorch: check, compile, import.

Each imports torch only when it runs (ncd_render.console.torch_side), so the rest of ``ncd``
starts and draws without it; :mod:`.cli` adds them to the ``ncd`` group.
"""
from __future__ import annotations

import sys

import click

from .console import reports_errors, say, tell, torch_side, warn
from .errors import NcdError
from .usage import Command


@click.command("check", cls=Command)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--reference", metavar="FILE.py[:FN]|MODULE[:FN]",
              help="The function returning the Reference; default: reference() in NAME.check.py beside NAME.ncd.")
@click.option("--sizes", default=None, metavar="AXIS=N,...",
              help="Override the sizes the check runs at, e.g. y=8,x=16; derived axes follow.")
@click.option("--declared-sizes", "declared", is_flag=True,
              help="Check at the sizes the file declares (slow for big models), not at small ones.")
@click.option("--batch", type=click.IntRange(min=1, max=1024), default=2, show_default=True,
              help="Leading batch dimension of the random inputs.")
@click.option("--seed", type=click.IntRange(0, 2 ** 63 - 1), default=0, show_default=True,
              help="Seed of the random inputs and weights; where they leave a wire one value everywhere, the next 4 are tried.")
@reports_errors
def check_command(file, reference, sizes, declared, batch, seed):
    """Run FILE and a reference implementation on the same random inputs and weights.

    Compares every output (and every wire the reference exposes) in float64
    and float32. Exits 0 when they agree, 1 when they do not (naming the first
    wire that differs) or when a wire is one value everywhere at every seed
    tried (no mistake in it could show), 2 on an error.

    It runs at small sizes: the file's 'check' line (check y=5, x=6), else
    the declared sizes when they are small, else small sizes chosen to fit the
    diagram's derived axes. The report says which. --declared-sizes runs at
    the declared sizes, with progress on stderr when that takes long.

    \b
    Examples:
        ncd check gallery/mha.ncd
        ncd check gallery/mha.ncd --sizes y=8,x=16,m=32,h=4
        ncd check gallery/vit.ncd --declared-sizes
        ncd check model.ncd --reference refs.py:reference
    """
    from .cost import parse_sizes

    check = torch_side("check", "check")
    report = check.check_file(file, reference, parse_sizes(sizes), declared=declared, batch=batch, seed=seed,
                              progress=lambda line: tell(f"ncd check: {line}"))
    warn(report.diagram)
    say(str(report))
    sys.exit(0 if report.passed else 1)


@click.command("compile", cls=Command)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the source to this .py file instead of printing it.")
@click.option("--sizes", default=None, metavar="AXIS=N,...", help="Override axis sizes, e.g. y=8,x=16; derived axes follow.")
@click.option("--class-name", help="Name of the generated nn.Module class (default: from the title).")
@reports_errors
def compile_command(file, output, sizes, class_name):
    """Write FILE as PyTorch source: an nn.Module following the diagram, using einops.

    \b
    Examples:
        ncd compile gallery/mha.ncd
        ncd compile gallery/mha.ncd -o mha.py --class-name MHA
    """
    from .cost import parse_sizes
    from .ir import build
    from .output import check_writable, not_an_input, write_atomic
    from .sources import program_from_file
    from .pytorch.codegen import generate

    if output:
        not_an_input(output, file)
        check_writable(output)
    diagram = build(program_from_file(file), sizes=parse_sizes(sizes))
    warn(diagram)
    source = generate(diagram, class_name)
    if output:
        write_atomic(output, source.encode())
        tell(f"wrote {output}")  # (a note, as the result is the file)
    else:
        say(source, nl=False)


@click.command("import", cls=Command)
@click.argument("target", metavar="FILE.py:FUNC")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The .ncd file to write (its pairing goes beside it).")
@click.option("--axes", default=None, metavar="NAME=NEW,...", help="Rename axes, by default name or role: hidden=m,seq=y.")
@reports_errors
def import_command(target, output, axes):
    """Import the nn.Module that FUNC() in FILE.py returns, as (module, example_inputs), as a diagram.

    Writes OUTPUT and OUTPUT's pairing (NAME.check.py) beside it, so that
    'ncd check OUTPUT' compares the diagram with the module.

    \b
    Examples:
        ncd import model.py:make -o model.ncd
        ncd import model.py:make -o model.ncd --axes hidden=d,seq=t
    """
    from .output import check_writable, not_an_input

    if not output.endswith(".ncd"):
        raise NcdError(f"the output '{output}' must end in .ncd")
    pairing = output.removesuffix(".ncd") + ".check.py"
    for path in (output, pairing):  # both, before anything is written: never the first alone
        not_an_input(path, target.rsplit(":", 1)[0])
        check_writable(path)
    try:
        from .importer import import_file
        from .importer.naming import parse_renames
    except ImportError as error:
        raise NcdError(f"ncd import captures modules with PyTorch, which is not installed here ({error})",
                       hint='install it with: pip install "ncd-render[torch]"') from None
    imported = import_file(target, output, parse_renames(axes))
    for warning in imported.warnings:
        tell(f"warning: {warning}")
    tell(f"wrote {output} and {pairing}; run: ncd check {output}")
