"""The watched file: its latest text (or why it cannot be read) and a version that
goes up each time the text changes, with a thread that follows saves through
``watchfiles`` (inotify and friends; editors that save by renaming a new file over
the old are followed too, since the folder is watched, not its subfolders).

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "m.ncd"
>>> _ = path.write_text("axis m = 4\\n")
>>> source = WatchedFile(path)
>>> source.version, source.text
(0, 'axis m = 4\\n')
>>> _ = path.write_text("axis m = 8\\n")
>>> source.reread(), source.version, source.reread()
(True, 1, False)
"""
from __future__ import annotations

import threading
from pathlib import Path

from ..errors import NcdError
from ..sources import read_source

STEP_MS = 20       # a save is noticed this long after the last write to the folder
DEBOUNCE_MS = 150  # during a storm of saves, the page still hears at least this often


class WatchedFile:
    """The latest text of one .ncd file, read within the limits, and its version."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.changed = threading.Condition()
        self.version = 0
        self.text: str | None = None
        self.error: str | None = None
        self._load()

    def _load(self) -> bool:
        try:
            text, error = read_source(self.path), None
        except FileNotFoundError:
            return False  # an editor's save in progress: the new file appears in a moment
        except NcdError as problem:
            text, error = None, str(problem)
        if (text, error) == (self.text, self.error):
            return False
        self.text, self.error = text, error
        return True

    def reread(self) -> bool:
        """Read the file again; True (and a new version, announced) when it changed."""
        with self.changed:
            if not self._load():
                return False
            self.version += 1
            self.changed.notify_all()
            return True

    def wait(self, seen: int, timeout: float) -> int:
        """The version, once it is past ``seen`` or ``timeout`` seconds have passed."""
        with self.changed:
            self.changed.wait_for(lambda: self.version > seen, timeout)
            return self.version

    def follow(self, stop: threading.Event) -> threading.Thread:
        """Start a thread that rereads the file whenever it is saved, until ``stop`` is set."""
        from watchfiles import watch

        target = self.path.resolve()

        def run():
            for _ in watch(target.parent, watch_filter=lambda _change, path: Path(path).resolve() == target,
                           stop_event=stop, step=STEP_MS, debounce=DEBOUNCE_MS, raise_interrupt=False, recursive=False):
                self.reread()

        thread = threading.Thread(target=run, name="ncd-watch", daemon=True)
        thread.start()
        return thread
