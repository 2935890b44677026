"""A TCP proxy between the app and a real server, that can stall or cut what passes.

The fault tests put it in front of the machine's shared PostgreSQL: freezing or
cutting the proxy looks to the app like a frozen server or a broken network,
while the server itself (which other tests use) is never touched.

- `stall()`: nothing passes either way and new connections wait unaccepted; the
  kernel still completes their handshakes and acknowledges what the app sends,
  so the app sees exactly what a server stopped by SIGSTOP (or a proxy that
  stopped forwarding) looks like: connections that never answer.
- `resume()`: everything passes again, what waited included.
- `cut()`: every connection open now is closed, as when a network link drops.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from collections.abc import Callable

# How often a stalled or idle pump looks at whether it should go on or stop.
POLL_SECONDS = 0.05


class FaultyProxy:
    """Forwards 127.0.0.1:`port` to 127.0.0.1:`target_port`, until `close`."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=256)
        self.port: int = self._listener.getsockname()[1]
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._start(self._accept)

    def stall(self) -> None:
        """Stop forwarding and accepting: the server seems frozen."""
        self._flowing.clear()

    def resume(self) -> None:
        """Forward and accept again."""
        self._flowing.set()

    def cut(self) -> int:
        """Close every connection open now; how many pairs there were."""
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _close(sock)
        return len(sockets) // 2

    def close(self) -> None:
        self._closed.set()
        self._flowing.set()
        self.cut()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _start(self, target: Callable[..., object], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _wait_to_flow(self) -> bool:
        """Block while stalled; False once the proxy is closed."""
        while not self._flowing.wait(POLL_SECONDS):
            if self._closed.is_set():
                return False
        return not self._closed.is_set()

    def _accept(self) -> None:
        while self._wait_to_flow():
            readable, _, _ = select.select([self._listener], [], [], POLL_SECONDS)
            if not readable or not self._flowing.is_set():
                continue
            client, _address = self._listener.accept()
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            self._start(self._pump, client, upstream)
            self._start(self._pump, upstream, client)

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while self._wait_to_flow():
                readable, _, _ = select.select([source], [], [], POLL_SECONDS)
                # A stall that began while waiting holds back what just arrived.
                if not readable or not self._flowing.is_set():
                    continue
                chunk = source.recv(65536)
                if not chunk:
                    break
                target.sendall(chunk)
        except (OSError, ValueError):  # closed by cut() or by the other pump
            pass
        with self._lock:
            self._sockets.difference_update((source, target))
        _close(source)
        _close(target)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
