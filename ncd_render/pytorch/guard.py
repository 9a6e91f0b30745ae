"""The pairing's code runs watched: ``os._exit``, which ends the process at once, with no exception to catch,
raises :class:`ProcessExit` instead while it runs. A reference that called ``os._exit(0)`` ended ``ncd check``
with status 0, as if the diagram and the reference agreed.

>>> import os
>>> with watched():
...     try:
...         os._exit(0)
...     except ProcessExit as stopped:
...         print(stopped)
it called os._exit(0) instead of returning, so nothing was compared
>>> os._exit.__name__
'_exit'
"""
from __future__ import annotations

import os
from contextlib import contextmanager


class ProcessExit(SystemExit):
    """``os._exit(code)`` called by the pairing's code (a :class:`SystemExit`, handled as sys.exit() is)."""

    def __str__(self) -> str:
        return f"it called os._exit({self.code!r}) instead of returning, so nothing was compared"


@contextmanager
def watched():
    """Within: ``os._exit`` raises :class:`ProcessExit`."""
    real = os._exit

    def refused(code: int) -> None:
        raise ProcessExit(code)

    os._exit = refused
    try:
        yield
    finally:
        os._exit = real
