"""A sampler of /proc run on a thread of its own for as long as a `with` block lasts."""

from __future__ import annotations

import threading
from typing import Self


class Sampler:
    """Calls `sample()` on entering, every `interval` seconds meanwhile, and on leaving.

    Subclasses say what a sample reads; `first_sample()` may differ from the others.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        raise NotImplementedError

    def first_sample(self) -> None:
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> Self:
        self.first_sample()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
