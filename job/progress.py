"""How far the step in progress is: a live line on a terminal, a `step_progress` log line otherwise.

A step reports each batch it has read; the line says rows done of rows to do (the change set, or the
table's row estimate for a full comparison) and the rate."""

from __future__ import annotations

import time
from typing import TextIO

from loguru import logger

from job.events import Event

LIVE_EVERY_S = 0.25  # a terminal line redrawn more often than this only flickers


class StepProgress:
    """The progress of one step."""

    def __init__(self, flow: str, step: str, total: int | None, interval_s: float, live: TextIO | None) -> None:
        self.flow, self.step, self.total = flow, step, total
        self.done = 0
        self._interval = LIVE_EVERY_S if live else interval_s
        self._live = live
        self._started = self._shown = time.monotonic()
        self._drawn = False

    def advance(self, rows: int) -> None:
        """`rows` more rows of the step were read and handled."""
        self.done += rows
        now = time.monotonic()
        first_line = self._live is not None and not self._drawn
        if now - self._shown < self._interval and not first_line:
            return
        self._shown = now
        rate = self.done / max(now - self._started, 1e-9)
        if self._live is not None:
            self._live.write(f"\r\033[K{self.describe(rate)}")
            self._live.flush()
            self._drawn = True
        else:
            logger.bind(
                event=Event.STEP_PROGRESS,
                flow=self.flow,
                step=self.step,
                done=self.done,
                total=self.total,
                rows_per_s=round(rate, 1),
            ).info(self.describe(rate))

    def describe(self, rate: float) -> str:
        of = f" of {self.total:,} ({min(100, 100 * self.done // self.total)}%)" if self.total else ""
        return f"{self.step}: {self.done:,}{of} rows, {rate:,.0f} rows/s"

    def finish(self) -> None:
        """Clear the live line, so the log lines that follow start on a clean line."""
        if self._live is not None and self._drawn:
            self._live.write("\r\033[K")
            self._live.flush()


class Progress:
    """Where progress goes for a whole run: a terminal stream (live line), or the log every `interval_s`."""

    def __init__(self, interval_s: float, live: TextIO | None = None) -> None:
        self.interval_s = interval_s
        self.live = live

    def step(self, flow: str, step: str, total: int | None) -> StepProgress:
        return StepProgress(flow, step, total, self.interval_s, self.live)
