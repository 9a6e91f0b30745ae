"""How the ``ncd`` command talks to its user: warnings, failures as one paragraph with exit
status 2 (never a traceback), writes to a standard output that may be full, and the
torch-side modules imported only when a command runs a diagram.
"""
from __future__ import annotations

import errno
import functools
import os
import sys

import click

from .chars import shown
from .errors import NcdError, plural


MOST_WARNINGS = 20  # printed in full; the rest are counted (500 labels L_10 ... L_499 printed 2,000 lines)


def warn(diagram) -> None:
    """Print the diagram's warnings (unused tensors, dead learned boxes) on stderr, like errors but carrying on: the
    first :data:`MOST_WARNINGS` in full, then how many more there are and the lines they are on."""
    from .lint import warnings

    found = warnings(diagram)
    for warning in found[:MOST_WARNINGS]:
        text = str(warning)
        tell(f"warning: {text}" if warning.span is None else text.replace(": ", ": warning: ", 1))
    rest = found[MOST_WARNINGS:]
    if rest:
        lines = sorted({w.span.line for w in rest if w.span is not None})
        at = f", on lines {lines[0]} to {lines[-1]}" if len(lines) > 1 else f", on line {lines[0]}" if lines else ""
        tell(f"warning: {plural(len(rest), 'more warning')}{at}, not shown")


def torch_side(module: str, command: str):
    """Import ``ncd_render.pytorch.<module>``, or say how to install torch when it is missing."""
    import importlib

    try:
        return importlib.import_module(f"ncd_render.pytorch.{module}")
    except ImportError as error:
        if (error.name or "").split(".")[0] not in ("torch", "einops"):
            raise
        raise NcdError(f"ncd {command} runs diagrams with PyTorch, which is not installed here ({error})",
                       hint='install it with: pip install "ncd-render[torch]" (torch and einops)') from None


def say(text: str, nl: bool = True) -> None:
    """Print to stdout; a stdout that cannot take it (a full disk, /dev/full, closed: ``>&-``) is an NcdError."""
    if sys.stdout is None:  # (click would print nothing, and say nothing of it)
        raise NcdError("cannot write to standard output: it is closed", hint="run the command with its output open, or redirect it to a file")
    try:
        click.echo(shown(text), nl=nl)
    except OSError as error:
        raise _stdout_failed(error) from None


def flush_stdout() -> None:
    if sys.stdout is None:  # closed: nothing was written to it (say refuses)
        return
    try:
        sys.stdout.flush()
    except OSError as error:
        raise _stdout_failed(error) from None


def _stdout_failed(error: OSError) -> NcdError:
    """The error for a failed write to stdout; what is left in its buffer goes to /dev/null, not to a second traceback at exit."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # not a real file (a test runner's buffer)
    full = error.errno == errno.ENOSPC
    return NcdError(f"cannot write to standard output: {error.strerror or error}",
                    hint="redirect it to a file on a disk with room, or use -o where the command has it" if full else None)


_KEPT: list = []  # the objects of the latest command that asked (outlive), until the process ends


def outlive(*objects) -> None:
    """Keep a command's ``objects`` (its figure, its scene) past its return, for :func:`leave`, which
    frees nothing one by one: freed as the command returned, a 10,000-box figure's objects cost
    ``ncd render`` about 2% of its time. Only the latest command's are kept (tests run many commands
    in one process, :func:`main` not :func:`run`)."""
    _KEPT[:] = objects


def leave(code) -> None:
    """End the process with ``code`` (a ``SystemExit`` code) without tearing its heap down.

    A large figure leaves millions of objects behind; freeing them one by one, and the garbage
    collection at interpreter exit, cost a 10,000-box ``ncd render`` 0.3 s of its 2.8 s
    (bench/bench_render.py) for memory the operating system takes back at once. Every file a
    command writes is closed by then (ncd_render.output); stdout and stderr are flushed here, and
    one that cannot take what is left ends the process with status 120, as Python's own exit does.
    """
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): printed, status 1
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # (closed when the process began: >&-)
                stream.flush()
        except (OSError, ValueError):
            code = code or 120
    os._exit(code)


def reports_errors(command):
    """Turn NcdError into a one-paragraph message and exit status 2, no traceback; an interrupt (Ctrl-C) exits 130,
    as a shell reports SIGINT (click's 1 is what ncd check says for a diagram that disagrees)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            try:
                return command(*args, **kwargs)
            finally:
                flush_stdout()
        except NcdError as error:
            fail(error)
        except KeyboardInterrupt:
            tell("interrupted")
            sys.exit(130)

    return wrapper


def tell(text: str) -> None:
    """Print a note, warning or progress line on stderr; one stderr cannot take (2>/dev/full) is let go: the work
    is done, and it ended the command with a traceback and status 1."""
    try:
        click.echo(shown(text), err=True)  # (a file name's escape sequences reached the terminal)
    except (OSError, ValueError):
        pass


def fail(error: NcdError) -> None:
    """Report ``error`` as one paragraph on stderr and exit with status 2 (2 still where stderr cannot take it)."""
    tell(f"error: {error}" if error.span is None else str(error).replace(": ", ": error: ", 1))  # (2>/dev/full: the status says it)
    sys.exit(2)


def open_stderr() -> None:
    """A stderr closed when the process began (``2>&-``) becomes /dev/null: every note and error written to it
    raised, and the command ended with status 1 whatever it did."""
    try:
        os.fstat(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        sys.stderr = open(os.devnull, "w", encoding="utf-8")


def stdout_failed(error: OSError) -> None:
    """Report a full standard output met outside a command (click's own --help and --version): status 2."""
    fail(_stdout_failed(error))


def check_style(theme: str, layout: str) -> None:
    """Read the theme and layout files first, so a mistake in them is reported before any work."""
    from .style import load_preset, load_theme

    load_theme(theme)
    load_preset(layout)
