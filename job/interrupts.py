"""Stopping on SIGTERM or SIGINT: cancel the query in flight, roll back the step, record the run as interrupted.

ECS stops a task with SIGTERM and kills it 30 s later; Ctrl-C sends SIGINT. Python runs a signal handler
only between bytecodes, so while the job waits on the server (libpq holds the thread in C) the handler
would wait for the query to end. The C-level handler also writes the signal's number to a wakeup socket
(`signal.set_wakeup_fd`), and a watcher thread reading it cancels the queries in flight at once (libpq's
cancel request is meant to be sent from another thread). The connections a stop watches then refuse any
further statement (`check`), so the step fails fast, the engine rolls it back and records the run.

A second signal of the same kind restores the default action and re-sends it: the process ends at once,
and the databases roll back whatever was not committed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import psycopg2
from loguru import logger

from job.errors import Interrupted
from job.events import Event

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """Whether a stop was asked for, and the connections to cancel when it is."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self._callbacks: list[Callable[[], None]] = []
        self.signal_name: str | None = None

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def cancel_on_stop(self, conn: Any) -> None:
        """Cancel this connection's query in flight on a stop, and refuse its later statements (`check`)."""
        conn.stop_request = self
        with self._lock:
            self._connections.append(conn)
            already = self._event.is_set()
        if already:
            _cancel(conn)

    def when_stopped(self, callback: Callable[[], None]) -> None:
        """Call `callback` (from the watcher thread) when a stop is asked for: it must be quick and thread-safe."""
        with self._lock:
            self._callbacks.append(callback)
            already = self._event.is_set()
        if already:
            callback()

    def trigger(self, signum: int) -> bool:
        """Ask for the stop (once; later calls change nothing). True when this call asked for it."""
        with self._lock:
            if self._event.is_set():
                return False
            self.signal_name = signal.Signals(signum).name
            self._event.set()
            connections, callbacks = list(self._connections), list(self._callbacks)
        for conn in connections:
            _cancel(conn)
        for callback in callbacks:
            callback()
        return True

    def check(self) -> None:
        """Raise Interrupted if a stop was asked for."""
        if self._event.is_set():
            raise Interrupted(self.signal_name or "a stop request")


def _cancel(conn: Any) -> None:
    # A connection already closed or broken has nothing in flight.
    with contextlib.suppress(psycopg2.Error):
        if not conn.closed:
            conn.cancel()


@contextlib.contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    """SIGINT and SIGTERM ask this StopRequest to stop, for the life of the block.

    Outside the main thread (signals are the main thread's), it yields a StopRequest nothing triggers."""
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        """Only replaces the default action: the watcher thread acts. Taking a lock here could deadlock
        the main thread, interrupted while it holds that very lock."""

    reader, writer = socket.socketpair()
    writer.setblocking(False)
    previous_handlers = {signum: signal.signal(signum, on_signal) for signum in STOP_SIGNALS}
    previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    watcher = threading.Thread(target=_watch, args=(reader, stop), name="stop-watcher", daemon=True)
    watcher.start()
    try:
        yield stop
    finally:
        signal.set_wakeup_fd(previous_fd)
        for signum, handler in previous_handlers.items():
            signal.signal(signum, handler)
        writer.close()
        watcher.join(timeout=5)
        reader.close()


def _watch(reader: socket.socket, stop: StopRequest) -> None:
    """Runs in its own thread: each byte is a signal number the C handler wrote; end of file ends the watch.

    The second signal of a kind ends the process at once (exit 128 + its number), even while the main
    thread waits in libpq, where no Python handler could run: the databases roll back what was not
    committed."""
    received: dict[int, int] = {}
    while True:
        try:
            data = reader.recv(64)
        except OSError:
            return
        if not data:
            return
        for signum in data:
            if signum not in STOP_SIGNALS:
                continue
            received[signum] = received.get(signum, 0) + 1
            if received[signum] > 1:
                os._exit(128 + signum)
            if stop.trigger(signum):
                logger.bind(event=Event.STOP_REQUESTED, signal=stop.signal_name).warning(
                    f"{stop.signal_name} received: cancelling the query in flight and rolling back the step in "
                    "progress; send it again to stop at once"
                )
