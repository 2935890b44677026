"""The gunicorn worker that production runs (gunicorn.conf.py names it).

gunicorn's threaded worker accepts every connection it can, whether or not one of
its threads is free to serve it (https://github.com/benoitc/gunicorn/issues/3433).
The worker that wins the first race on a burst of connections takes most of them,
and a kept-alive connection stays with the worker that accepted it. Measured
under the load benchmark (16 kept-alive connections, 5 workers of 4 threads),
one worker held 11 connections while another held 1: the requests on the 11 queued
for 4 threads and one core, while the other core had little to do, and that queue
was the list's p99 latency.

This worker takes a connection only while it has a thread to start on it. The
others wait in the listen backlog, where a worker with a free thread takes them.
Connections it already holds are served as before, however many there are.

Probes are served apart. When every thread waits on a frozen database (for up to
DATABASE_REPLY_TIMEOUT_MS each), a probe queued behind them would wait as long,
and an orchestrator would restart a process that is alive. So `GET /health` and
`GET /health/ready` each have a thread of their own, and a worker in which no
request has finished for STALLED_AFTER_SECONDS while every thread is busy accepts
again: what it takes is read before it is queued, and a probe goes to its thread
(any other request waits in the worker's queue, as it would have in the backlog,
though now for this worker even if another one frees a thread first: the price of
a probe that is never queued, paid only by a worker that has stopped making
progress).
"""

import selectors
import socket
import time
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

# Long enough that a worker busy with quick requests never counts as stalled,
# short enough that a probe is answered well within a second.
STALLED_AFTER_SECONDS = 0.25
# How often the event loop looks again while every thread is busy (its own
# timeout is a second).
BUSY_POLL_SECONDS = 0.05
PROBE_PATHS = (b"/health", b"/health/ready")
# Enough to see the request line of a probe: "HEAD /health/ready?..." and a space.
PEEK_BYTES = 32


def probe_path(first_bytes: bytes) -> bytes | None:
    """The probe path that a request starting with `first_bytes` asks for, if any."""
    method, _, rest = first_bytes.partition(b" ")
    target, space, _ = rest.partition(b" ")
    if method not in (b"GET", b"HEAD") or not space:
        return None
    path = target.partition(b"?")[0]
    return path if path in PROBE_PATHS else None


class FreeThreadWorker(ThreadWorker):
    """A gthread worker that accepts connections only while a thread is free,
    with a thread of its own for each probe."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Requests handed to the thread pool and not finished yet, and when the
        # last of them finished. Every place that changes them runs on the
        # worker's main thread (its event loop).
        self.requests_in_flight = 0
        self.last_progress = time.monotonic()
        self.probe_lanes: dict[bytes, ThreadPoolExecutor] = {}

    def init_process(self) -> None:
        self.probe_lanes = {path: ThreadPoolExecutor(max_workers=1) for path in PROBE_PATHS}
        super().init_process()

    def run(self) -> None:
        try:
            super().run()
        finally:
            for lane in self.probe_lanes.values():
                lane.shutdown(wait=False)

    def all_threads_busy(self) -> bool:
        return self.requests_in_flight >= self.cfg.threads

    def stalled(self) -> bool:
        """Every thread busy, and none has finished a request for a while."""
        return self.all_threads_busy() and (
            time.monotonic() - self.last_progress >= STALLED_AFTER_SECONDS
        )

    def may_accept(self) -> bool:
        return not self.all_threads_busy() or self.stalled()

    def enqueue_req(self, conn: Any) -> None:
        lane = self.probe_lanes.get(self._probe_path(conn) or b"")
        if lane is not None:
            future = lane.submit(self.handle, conn)
            future.add_done_callback(
                lambda done: self.method_queue.defer(self.finish_probe, conn, done)
            )
            return
        if not self.all_threads_busy():
            self.last_progress = time.monotonic()
        self.requests_in_flight += 1
        if not self.may_accept():
            # The event loop only switches accepting when its own rule
            # (worker_connections) changes its mind, so turn it off here.
            super().set_accept_enabled(False)
        super().enqueue_req(conn)

    def finish_request(self, conn: Any, fs: Any) -> None:
        self.requests_in_flight -= 1
        self.last_progress = time.monotonic()
        super().finish_request(conn, fs)

    def finish_probe(self, conn: Any, fs: Future[Any]) -> None:
        super().finish_request(conn, fs)

    def set_accept_enabled(self, enabled: bool) -> None:
        # The event loop asks for accepting to be on whenever it is under
        # worker_connections, after every batch of events: this is where a
        # request that finished, or a stall, turns accepting back on.
        super().set_accept_enabled(enabled and self.may_accept())

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        # While every thread is busy, look often enough to notice a stall soon.
        if self.all_threads_busy():
            timeout = min(timeout, BUSY_POLL_SECONDS)
        super().wait_for_and_dispatch_events(timeout)

    def accept(self, listener: Any) -> None:
        # The listener's event may come in the same batch as a kept-alive
        # connection's, after it: that connection took the last free thread and
        # unregistered the listener, but the batch still holds its event.
        if not self.all_threads_busy():
            super().accept(listener)
        elif self.stalled():
            self.accept_to_read_first(listener)
        else:
            # A request finished, so the worker is no longer stalled, but its
            # queue still fills every thread: leave the connection in the backlog.
            super().set_accept_enabled(False)

    def accept_to_read_first(self, listener: Any) -> None:
        """Accept a connection and wait (in the event loop) for its request, which
        enqueue_req then sends to a probe's thread or to the queue."""
        try:
            client, address = listener.accept()
        except (BlockingIOError, ConnectionAbortedError):
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, client, address, listener.getsockname())
        # gunicorn's own list of connections waiting for their first bytes, which
        # its event loop closes when they stay silent for `keepalive` seconds.
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        readable = partial(self.on_pending_socket_readable, conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, readable)

    def _probe_path(self, conn: Any) -> bytes | None:
        if self.cfg.is_ssl:
            return None
        try:
            first_bytes = conn.sock.recv(PEEK_BYTES, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except OSError:
            return None
        return probe_path(first_bytes)
