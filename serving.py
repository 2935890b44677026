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
"""

from typing import Any

from gunicorn.workers.gthread import ThreadWorker


class FreeThreadWorker(ThreadWorker):
    """A gthread worker that accepts connections only while a thread is free."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Requests handed to the thread pool and not finished yet. Both places
        # that change it run on the worker's main thread (its event loop).
        self.requests_in_flight = 0

    def enqueue_req(self, conn: Any) -> None:
        self.requests_in_flight += 1
        if self.requests_in_flight >= self.cfg.threads:
            # The event loop only switches accepting when its own rule
            # (worker_connections) changes its mind, so turn it off here.
            super().set_accept_enabled(False)
        super().enqueue_req(conn)

    def finish_request(self, conn: Any, fs: Any) -> None:
        self.requests_in_flight -= 1
        super().finish_request(conn, fs)

    def set_accept_enabled(self, enabled: bool) -> None:
        # The event loop asks for accepting to be on whenever it is under
        # worker_connections, after every batch of events: this is where a
        # request that finished turns accepting back on.
        super().set_accept_enabled(enabled and self.requests_in_flight < self.cfg.threads)

    def accept(self, listener: Any) -> None:
        # The listener's event may come in the same batch as a kept-alive
        # connection's, after it: that connection took the last free thread and
        # unregistered the listener, but the batch still holds its event.
        if self.requests_in_flight < self.cfg.threads:
            super().accept(listener)
