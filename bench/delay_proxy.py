"""A TCP proxy on 127.0.0.1 that delays every chunk by a fixed time in both directions: a delay line.

Each chunk read is queued with its arrival time and written out once arrival + delay is reached, so
many chunks are in flight at once and throughput is not throttled (it is not a sleep per chunk).
The proxy runs its own asyncio loop in a daemon thread; use it as a context manager.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

CHUNK_BYTES = 64 * 1024
MAX_IN_FLIGHT = 4096  # chunks queued per direction before the reader waits (bounded memory)
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0
_EOF = b""


class DelayProxy:
    """Listens on 127.0.0.1:`port` and forwards to `upstream_port`, each chunk `delay_s` late."""

    def __init__(self, upstream_port: int, delay_s: float, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.delay_s = delay_s
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="delay-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def __enter__(self) -> DelayProxy:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        self.port = future.result(timeout=START_TIMEOUT_S)
        return self

    def __exit__(self, *_exc: object) -> None:
        with contextlib.suppress(TimeoutError, RuntimeError):
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=STOP_TIMEOUT_S)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=STOP_TIMEOUT_S)
        self._loop.close()

    async def _listen(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.close()
            return
        try:
            await asyncio.gather(
                self._direction(client_reader, upstream_writer),
                self._direction(upstream_reader, client_writer),
            )
        except asyncio.CancelledError:
            pass  # the proxy is stopping; ending normally keeps asyncio's stream callback quiet
        finally:
            for writer in (client_writer, upstream_writer):
                writer.close()
            if task is not None:
                self._tasks.discard(task)

    async def _direction(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One way of a connection: a reader filling the delay line and a writer emptying it on time."""
        line: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(maxsize=MAX_IN_FLIGHT)
        await asyncio.gather(self._fill(reader, line), self._drain(line, writer))

    async def _fill(self, reader: asyncio.StreamReader, line: asyncio.Queue[tuple[float, bytes]]) -> None:
        try:
            while chunk := await reader.read(CHUNK_BYTES):
                await line.put((time.monotonic() + self.delay_s, chunk))
        except ConnectionError:
            pass
        await line.put((time.monotonic() + self.delay_s, _EOF))

    async def _drain(self, line: asyncio.Queue[tuple[float, bytes]], writer: asyncio.StreamWriter) -> None:
        """Write each chunk when it is due; after a write fails, keep emptying the line so the reader never blocks."""
        broken = False
        while True:
            due, chunk = await line.get()
            if chunk == _EOF:
                break
            wait = due - time.monotonic()
            if wait > 0 and not broken:
                await asyncio.sleep(wait)
            if broken:
                continue
            try:
                writer.write(chunk)
                await writer.drain()
            except ConnectionError:
                broken = True
        if not broken:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            with contextlib.suppress(OSError):
                if writer.can_write_eof():
                    writer.write_eof()
