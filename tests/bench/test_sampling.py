"""The benchmark's /proc samplers (bench/sampling.py, bench/cpu.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from bench.cpu import CpuUse
from bench.sampling import Sampler

BUSY = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"


class Counting(Sampler):
    def __init__(self) -> None:
        super().__init__(interval=3600)
        self.samples = 0

    def sample(self) -> None:
        self.samples += 1


def test_a_sampler_samples_when_the_block_starts_and_when_it_ends():
    with Counting() as sampler:
        assert sampler.samples == 1

    assert sampler.samples == 2


def test_the_cpu_a_process_used_in_the_block_is_counted_in_its_group():
    with CpuUse({}) as cpu:
        busy = subprocess.Popen([sys.executable, "-c", BUSY])
        cpu.masters[busy.pid] = "busy"
        # Ended but not reaped: its /proc entry still holds all the CPU it used.
        os.waitid(os.P_PID, busy.pid, os.WEXITED | os.WNOWAIT)
        cpu.sample()
        busy.wait()

    report = cpu.report()

    assert report["groups"]["busy"] >= 0.29
    assert report["total_seconds"] >= report["groups"]["busy"]
