"""Write output files atomically: a failed run never leaves half a file,
and never clobbers a good one.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_atomic(folder / "a.txt", b"hello")
>>> (folder / "a.txt").read_bytes()
b'hello'
>>> write_atomic(folder / "missing" / "a.txt", b"x")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ncd_render.errors.NcdError: cannot write '...a.txt': folder '...missing' does not exist
hint: create it first: mkdir -p ...missing
"""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import NcdError


def check_writable(path: str | Path) -> Path:
    """Fail early, before any work, when ``path`` cannot be written."""
    if isinstance(path, str) and path.endswith(("/", os.sep)):  # (Path drops the slash: `-o x.svg/` wrote a file x.svg)
        raise NcdError(f"cannot write '{path}': a name ending in '/' names a folder", hint="give the name of a file, without the '/'")
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise NcdError(f"cannot write '{path}': folder '{folder}' does not exist", hint=f"create it first: mkdir -p {folder}")
    if path.is_dir():
        raise NcdError(f"cannot write '{path}': it is a folder", hint="give the name of a file to write, not a folder's")
    if not os.access(folder, os.W_OK):
        raise NcdError(f"cannot write '{path}': folder '{folder}' is not writable")
    try:  # a file is written beside it and put in its place: the folder must take one (/proc passes the access check)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.")
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise NcdError(f"cannot write '{path}': folder '{folder}' takes no new files ({error.strerror or error})") from None
    try:
        mode = path.stat().st_mode
    except OSError:  # (none there yet)
        return path
    if not stat.S_ISREG(mode):  # a file written is put in its place: /dev/null, written to as root, became a file
        raise NcdError(f"cannot write '{path}': it is not a file but a device, pipe or socket, which writing would replace",
                       hint="give the name of a file to write")
    if not mode & 0o222:
        raise NcdError(f"cannot write '{path}': it is read-only", hint=f"make it writable first (chmod u+w {path}), or write another file")
    return path


def not_an_input(output: str | Path, *inputs: str | Path | None) -> None:
    """Fail when ``output`` is one of the files the command reads (None: an option not given): written, it would
    replace its own source.

    >>> not_an_input("fig.py", "model.ncd")
    >>> not_an_input("./model.ncd", "model.ncd")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ncd_render.errors.NcdError: cannot write 'model.ncd': it is the file this reads, which it would replace
    hint: write to another file
    """
    target = Path(output).resolve()
    for source in inputs:
        if source is not None and Path(source).resolve() == target:
            raise NcdError(f"cannot write '{source}': it is the file this reads, which it would replace", hint="write to another file")


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder."""
    path = check_writable(path)
    try:  # (a folder that passes the access check may still refuse a new file: /proc)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent if str(path.parent) else ".")
    except OSError as error:
        raise NcdError(f"cannot write '{path}': {error.strerror or error}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644)  # (a file replaced keeps its mode)
        os.replace(tmp, path)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        raise NcdError(f"cannot write '{path}': {error.strerror or error}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
