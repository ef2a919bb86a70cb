"""Run a few text-producing jobs (figures drawn to base64 PNG) in a forked child process
while this process goes on with the rest of the report.

Matplotlib draws on one core.  The report's over-time figure, its data read here, is drawn
in a child forked after the trend check (it draws the check's counterfactual curves) while
this process runs the mix shift and draws the ECDF and Kaplan-Meier curves (the grid and
the forest plots are HTML, drawn by the page).  A child runs only the
jobs given (no query reaches the data's engine from it), writes their text to a pipe and
leaves with :func:`os._exit`; a child that fails or dies is not an error: its jobs are then
run here, with a :class:`RuntimeWarning` that says so.  The report's text is the same
either way, byte for byte; a figure may differ by a shade of anti-aliasing, as two
drawings of it in one process may.

Used on Linux with at least two cores; ``ROLLOUT_METRICS_PROCESSES=1`` turns it off (all
jobs then run in this process, in order).
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import warnings
from collections.abc import Callable, Mapping

__all__ = ["Background", "in_background", "processes"]

#: The environment variable that sets how many processes a report may use (1: no child).
ENV = "ROLLOUT_METRICS_PROCESSES"


def processes() -> int:
    """How many processes a report may use: ``$ROLLOUT_METRICS_PROCESSES`` when set (at
    least 1), else 2 on Linux with two or more cores, else 1.

    Examples
    --------
    >>> processes() >= 1
    True
    """
    raw = os.environ.get(ENV, "").strip()
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            return 1
    usable = sys.platform.startswith("linux") and hasattr(os, "fork")
    return 2 if usable and (os.cpu_count() or 1) > 1 else 1


class Background:
    """Jobs running in a forked child (or waiting to run here); :meth:`result` gives their
    outputs, :meth:`close` abandons them.

    Examples
    --------
    >>> jobs = {"a": lambda: "x" * 3, "b": lambda: "y"}
    >>> with in_background(jobs) as bg:
    ...     bg.result()
    {'a': 'xxx', 'b': 'y'}
    """

    def __init__(self, jobs: Mapping[str, Callable[[], str]], pid: int | None = None,
                 fd: int | None = None) -> None:
        self._jobs = dict(jobs)
        self._pid = pid
        self._fd = fd
        self._done: dict[str, str] | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The jobs' names, in their order."""
        return tuple(self._jobs)

    def result(self) -> dict[str, str]:
        """Each job's text, by name: read from the child, or computed here when there is
        no child or it did not deliver."""
        if self._done is None:
            started = self._pid is not None
            got = self._collect()
            if got is None or set(got) != set(self._jobs):
                if started:
                    warnings.warn(
                        f"the child process did not deliver {len(self._jobs)} figure(s) "
                        f"({', '.join(self._jobs)}); drawn in this process instead",
                        RuntimeWarning, stacklevel=2)
                got = {name: job() for name, job in self._jobs.items()}
            self._done = got
        return self._done

    def _collect(self) -> dict[str, str] | None:
        if self._pid is None or self._fd is None:
            return None
        chunks = []
        try:
            with os.fdopen(self._fd, "rb") as pipe:
                self._fd = None
                while block := pipe.read(1 << 20):
                    chunks.append(block)
        finally:
            status = self._reap()
        if status != 0:
            return None
        try:
            got = json.loads(b"".join(chunks))
        except ValueError:
            return None
        return got if isinstance(got, dict) else None

    def _reap(self) -> int:
        pid, self._pid = self._pid, None
        if pid is None:
            return 1
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)

    def close(self) -> None:
        """Abandon the child, if its result was not taken: stop it and reap it."""
        if self._pid is not None:
            os.kill(self._pid, signal.SIGKILL)
            self._reap()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Background:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _child(jobs: Mapping[str, Callable[[], str]], fd: int) -> None:
    # What the child inherited stays out of its garbage collector's passes: they would
    # walk (and copy, page by page) every object of the parent for nothing.
    gc.freeze()
    code = 1
    try:
        out = json.dumps({name: job() for name, job in jobs.items()}).encode("utf-8")
        view = memoryview(out)
        while view:
            view = view[os.write(fd, view):]
        code = 0
    finally:
        os._exit(code)


def in_background(jobs: Mapping[str, Callable[[], str]]) -> Background:
    """Start ``jobs`` (name -> function returning text) in a forked child when
    :func:`processes` allows more than one; else keep them to run on :meth:`result`.

    The jobs must not query the data's engine (a forked child shares its connections)
    and must return the same text wherever they run.
    """
    if not jobs or processes() < 2:
        return Background(jobs)
    read, write = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns on forking a process that has threads (the data's engine has
        # a pool): the child runs no code of theirs and leaves through os._exit.
        warnings.simplefilter("ignore", DeprecationWarning)
        for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
            try:
                if stream is not None:
                    stream.flush()
            except (OSError, ValueError):
                pass
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        _child(jobs, write)
    os.close(write)
    return Background(jobs, pid=pid, fd=read)
