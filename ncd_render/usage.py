"""Mistakes on the command line (an unknown option, a missing file, a value out of range), reported as every
other mistake is: one paragraph on stderr, ``error:`` and a ``hint:``, exit status 2 (click's own report is a
usage block, "Try --help", a blank line and its message, and guessed '--dtype' for '--page').

>>> import click
>>> @click.group(cls=Commands)
... def ncd():
...     pass
>>> @ncd.command()
... @click.option("--layout")
... def render(layout):
...     pass
>>> try:
...     ncd.main(["render", "--page"], prog_name="ncd", standalone_mode=False)
... except click.ClickException as mistake:
...     print(mistake.format_message())
ncd render: no such option '--page'
hint: did you mean '--layout page'? 'ncd render --help' lists the options
"""
from __future__ import annotations

import re

import click

from .console import tell
from .errors import did_you_mean
from .style import builtin_names

HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())  # (click 8.2 on: a group given no command shows its help)
_RANGE = [(re.compile(r"is not in the range x>=(\S+?)\.?$"), r"must be at least \1"),
          (re.compile(r"is not in the range x<=(\S+?)\.?$"), r"must be at most \1"),
          (re.compile(r"is not in the range (\S+?)<=x<=(\S+?)\.?$"), r"must be from \1 to \2")]


class Mistake(click.ClickException):
    """A usage error, worded and shown as the project's errors are."""

    exit_code = 2

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.hint = hint

    def format_message(self) -> str:
        return f"{self.message}\nhint: {self.hint}"

    def show(self, file=None) -> None:
        tell(f"error: {self.format_message()}")


class Command(click.Command):
    """A command that reports usage errors as :class:`Mistake`."""

    def make_context(self, *args, **kwargs):
        return _reworded(super().make_context, *args, **kwargs)


class Commands(click.Group):
    """A group whose commands (and its own arguments) report usage errors as :class:`Mistake`."""

    command_class = Command
    group_class = type  # (its groups are Commands too)

    def make_context(self, *args, **kwargs):
        return _reworded(super().make_context, *args, **kwargs)

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError:
            path = _path(ctx)
            close = did_you_mean(args[0], self.list_commands(ctx))
            raise Mistake(f"{path}: no such command '{args[0]}'", (f"{close} " if close else "") + f"'{path} --help' lists the commands") from None


def _path(ctx) -> str:
    """The command as the user typed it, 'ncd render' (click knows it as 'python -m ncd_render render')."""
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name)
        ctx = ctx.parent
    return " ".join(["ncd"] + names[::-1])


def _reworded(make, *args, **kwargs):
    try:
        return make(*args, **kwargs)
    except click.UsageError as error:
        if isinstance(error, (Mistake, HELP)):  # (a bare 'ncd' or 'ncd gallery' prints its help, as click does)
            raise
        raise _mistake(error) from None


def _mistake(error: click.UsageError) -> Mistake:
    """``error`` in the project's words: the command it was given to, what was wrong, and what to do."""
    path = _path(error.ctx)
    helping = f"'{path} --help' lists the options"
    if isinstance(error, click.NoSuchOption):
        name = error.option_name
        if name.lstrip("-") in builtin_names("layouts"):  # an option named for a layout: --layout NAME
            return Mistake(f"{path}: no such option '{name}'", f"did you mean '--layout {name.lstrip('-')}'? {helping}")
        close = f"did you mean {' or '.join(repr(p) for p in error.possibilities)}? " if error.possibilities else ""
        return Mistake(f"{path}: no such option '{name}'", close + helping)
    message = _lowered(error.format_message())
    for pattern, words in _RANGE:
        message = pattern.sub(words, message)
    return Mistake(f"{path}: {message}", helping)


def _lowered(message: str) -> str:
    """click's sentence as a clause: its first letter small, its full stop gone."""
    message = message.strip().rstrip(".")
    return message[:1].lower() + message[1:]
