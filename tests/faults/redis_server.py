"""A redis-server of the test's own, on a free port: it may be frozen (SIGSTOP),
stopped and started again without disturbing the machine's shared Redis."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import redis

from tests.servers import free_port


class PrivateRedis:
    """A redis-server of the test's own on a free port: it may be frozen, stopped and
    started again without disturbing anything else."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.workdir)),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    pass
                # Between two tries, watch for redis-server giving up (a busy port).
                try:
                    self.process.wait(timeout=0.02)
                except subprocess.TimeoutExpired:
                    continue
                break
        finally:
            client.close()
        raise RuntimeError("redis-server did not start")

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Kill it (connections are refused until `start`)."""
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait()
            self.process = None
