"""Who used the two cores while the mix ran: the app's workers, PostgreSQL, Redis, wrk, the writers.

The ratio to the baseline says how fast the app is; this says where the CPU went.
Every process's user + system time is read from /proc four times a second, so that a
process which ends during the run (a worker recycled by max_requests, a PostgreSQL
backend closed by the pool) is counted up to its last sample.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from bench.sampling import Sampler

TICKS = os.sysconf("SC_CLK_TCK")


def _read_stat(pid: str) -> tuple[str, int, float] | None:
    """(command name, parent pid, CPU seconds used) of a process, None when it is gone."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        text = Path(f"/proc/{pid}/stat").read_text()
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        # After the name: state, ppid, ..., utime (the 12th), stime (the 13th).
        return name, int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS
    return None


class CpuUse(Sampler):
    """CPU seconds per group of processes between `__enter__` and `__exit__`.

    `masters` names gunicorn masters (and so their workers) by group; every other
    process is grouped by its command name (postgres, redis-server, wrk, python...).
    """

    def __init__(self, masters: dict[str, int], interval: float = 0.25) -> None:
        super().__init__(interval)
        self.masters = {pid: name for name, pid in masters.items()}
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}

    def _group(self, pid: int, name: str, ppid: int) -> str:
        if pid in self.masters:
            return self.masters[pid]
        return self.masters.get(ppid, name)

    def first_sample(self) -> None:
        self.sample(initial=True)

    def sample(self, *, initial: bool = False) -> None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            stat = _read_stat(entry)
            if stat is None:
                continue
            name, ppid, seconds = stat
            pid = int(entry)
            if initial:
                self.first[pid] = seconds
            self.last[pid] = (self._group(pid, name, ppid), seconds)

    def report(self) -> dict[str, Any]:
        """CPU seconds per group, largest first, and their sum."""
        used: dict[str, float] = {}
        for pid, (group, seconds) in self.last.items():
            spent = seconds - self.first.get(pid, 0.0)
            if spent > 0:
                used[group] = used.get(group, 0.0) + spent
        total = sum(used.values())
        ordered = sorted(used.items(), key=lambda item: -item[1])
        return {"total_seconds": round(total, 2), "groups": {k: round(v, 2) for k, v in ordered}}


def print_cpu(cpu: dict[str, Any], seconds: float) -> None:
    total = cpu["total_seconds"] or 1.0
    parts = ", ".join(
        f"{group} {spent:.1f} s ({spent / total:.0%})"
        for group, spent in cpu["groups"].items()
        if spent / total >= 0.005
    )
    print(f"CPU used while walking ({cpu['total_seconds']:.1f} s in {seconds:.0f} s): {parts}")
