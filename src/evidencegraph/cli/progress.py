"""Progress of a long job on stderr: click's bar on a terminal, a line every few seconds
elsewhere (a log, a CI job, a pipe), nothing with ``--quiet``."""

from __future__ import annotations

import itertools
import math
import os
import sys
import threading
import time
from types import TracebackType
from typing import IO, Any, TextIO, cast

import click

#: Seconds between two progress lines off a terminal; the environment variable sets it.
INTERVAL_ENV = "EVIDENCEGRAPH_PROGRESS_SECONDS"
DEFAULT_INTERVAL = 5.0


def progress_interval() -> float:
    """Seconds between progress lines: $EVIDENCEGRAPH_PROGRESS_SECONDS, else 5."""
    try:
        seconds = float(os.environ.get(INTERVAL_ENV, DEFAULT_INTERVAL))
    except ValueError:
        return DEFAULT_INTERVAL
    if math.isnan(seconds):
        return DEFAULT_INTERVAL
    # the progress thread waits this long: a timer takes at most TIMEOUT_MAX (inf overflows)
    return min(max(0.0, seconds), threading.TIMEOUT_MAX)


class Progress:
    """How far a job has got. ``advance(n)`` after each step, or ``report(done, total)``
    where the job counts for itself; use it as a context manager.

    ``mode`` is ``bar`` (click.progressbar), ``lines`` (a line every ``interval`` seconds:
    done, total where known, rate and time left) or ``off``. Off a terminal a thread writes
    the line, so a step that takes long (a sort, one big query) is not silent either;
    ``stage`` says what the job is doing now. With ``unit="steps"`` the job counts stages of
    unequal length: lines then say how long it has run, not a rate.
    """

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        unit: str = "items",
        mode: str = "lines",
        interval: float | None = None,
        stream: IO[str] | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.mode = mode
        self.done = 0
        self.interval = progress_interval() if interval is None else interval
        self._stream = stream if stream is not None else sys.stderr
        self._started = time.monotonic()
        self._last_line = self._started
        self._lines = 0
        self._bar: Any = None
        self.stage: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> Progress:
        if self.mode == "bar":
            # an endless iterable when the total is not known: the bar then shows a count
            self._bar = click.progressbar(
                itertools.repeat(None) if self.total is None else None,
                length=self.total,
                label=self.label,
                file=cast(TextIO, self._stream),
                show_pos=True,
                show_eta=self.total is not None,
            )
            self._bar.__enter__()
        self._started = self._last_line = time.monotonic()
        if self.mode == "lines" and self.interval > 0:
            self._ticker = threading.Thread(target=self._tick, name="progress", daemon=True)
            self._ticker.start()
        return self

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                if time.monotonic() - self._last_line >= self.interval * 0.99:
                    self._line()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self._bar is not None:
            self._bar.__exit__(kind, error, trace)
        elif self.mode == "lines" and self._lines and kind is None:
            self._line(final=True)  # the last word, once earlier lines have been shown

    def step(self, stage: str) -> None:
        """One more step done (``unit="steps"``), the job now at ``stage``."""
        self.stage = stage
        if self._bar is not None:
            self._bar.label = f"{self.label} ({stage})"
        self.advance()

    def at(self, stage: str) -> None:
        """The job now at ``stage`` (``unit="steps"``), told as each stage starts: the stage
        before it, if any, is done. After the last one, :meth:`advance` counts it."""
        before, self.stage = self.stage, stage
        if self._bar is not None:
            self._bar.label = f"{self.label} ({stage})"
        self.advance(1 if before is not None else 0)

    def advance(self, steps: int = 1) -> None:
        """``steps`` more done."""
        self.report(self.done + steps, self.total)

    def report(self, done: int, total: int | None = None) -> None:
        """``done`` steps done out of ``total`` (None: the total known before, if any)."""
        if total is not None and total != self.total:
            self.total = total
            if self._bar is not None:
                self._bar.length = total
        if self._bar is not None:
            self._bar.update(done - self.done)
        self.done = done
        if self.mode == "lines" and self.interval <= 0:
            with self._lock:
                self._line()  # no interval: a line at each report (what tests ask for)

    def _line(self, *, final: bool = False) -> None:
        now = time.monotonic()
        self._last_line = now
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        label = f"{self.label} ({self.stage})" if self.stage and not final else self.label
        if self.unit == "steps":
            if final:
                text = f"{self.label}: {self.done} steps in {_duration(elapsed)}"
            elif self.total and self.done >= self.total:
                return  # every step done: the final line says so
            else:  # the step under way, and what it does
                now_at = min(self.done + 1, self.total or self.done + 1)
                text = f"{self.label}: step {now_at}" + (f" of {self.total}" if self.total else "")
                text += (f", {self.stage}" if self.stage else "") + f"; {_duration(elapsed)} so far"
            click.echo(text, file=self._stream)
            self._lines += 1
            return
        text = f"{label}: {self.done:,}"
        if self.total:
            text += f" of {self.total:,} {self.unit} ({min(self.done / self.total, 1):.0%})"
        else:
            text += f" {self.unit}"
        text += f", {rate:,.0f} {self.unit}/s"
        if final:
            text += f", done in {_duration(elapsed)}"
        elif self.total and rate > 0 and self.done < self.total:
            text += f", about {_duration((self.total - self.done) / rate)} left"
        else:
            text += f", {_duration(elapsed)} so far"
        click.echo(text, file=self._stream)
        self._lines += 1


def _duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s``, ``2 h 7 min``."""
    whole = round(seconds)
    if whole < 60:
        return f"{seconds:.0f} s" if seconds >= 1 else f"{seconds:.1f} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def progress_mode(quiet: bool, stream: IO[str] | None = None) -> str:
    """``off`` with --quiet, ``bar`` on a terminal, ``lines`` elsewhere."""
    if quiet:
        return "off"
    target = stream if stream is not None else sys.stderr
    return "bar" if target.isatty() else "lines"
