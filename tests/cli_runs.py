"""Running ``ncd`` from tests: in a process of its own with a memory cap, or in this process.

Imported by the hardening tests (``sys.path`` gets this folder, as tests do for ``bench/``).
"""
from __future__ import annotations

import re
import subprocess
import sys

from click.testing import CliRunner

from ncd_render.cli import main


def ncd(*args, cwd=None, timeout=120, stdout=subprocess.PIPE):
    """``python -m ncd_render ARGS`` in a child capped at 3 GiB; stdout and stderr as text."""
    return subprocess.run([sys.executable, "-m", "ncd_render", *map(str, args)], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, cwd=cwd, timeout=timeout, preexec_fn=_memory_cap)


def _memory_cap():
    """A child that runs away (the unfixed code read /dev/zero without end) dies at 3 GiB, not the machine."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def cli(*args):
    """Run ``ncd`` in this process (quicker than a subprocess); a traceback would show as a non-SystemExit exception."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert isinstance(result.exception, (SystemExit, type(None))), result.exception
    result.returncode = result.exit_code
    return result


def refused(result, *expected):
    """Exit 2, no traceback, and each of ``expected`` (text, or a compiled pattern) on stderr."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "Exception" not in result.stderr, result.stderr
    for text in expected:
        assert (text.search(result.stderr) if isinstance(text, re.Pattern) else text in result.stderr), result.stderr
