"""The image's malloc setting: a worker does not keep a password check's memory
in every thread that ever checked one (README, "Memory").

Each check takes ARGON2_MEMORY_COST (19 MiB) for a moment. Measured in a Python of
its own, as a worker's threads would run the checks: threads alive all along,
each checking one password in turn, at the default cost.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bench.run import GLIBC_TUNABLES
from config import Config

ROOT = Path(__file__).resolve().parents[2]
THREADS = 8

CHECKS_IN_THREADS = f"""
import threading
from argon2 import PasswordHasher

hasher = PasswordHasher(time_cost={Config.model_fields["ARGON2_TIME_COST"].default},
                        memory_cost={Config.model_fields["ARGON2_MEMORY_COST"].default},
                        parallelism={Config.model_fields["ARGON2_PARALLELISM"].default})
stored = hasher.hash("a password")


def resident_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))


before = resident_kib()
# Like a worker's threads: alive all along, checking one after the other.
turns = [threading.Event() for _ in range({THREADS} + 1)]
all_checked = threading.Event()


def serve(turn):
    turns[turn].wait()
    hasher.verify(stored, "a password")
    turns[turn + 1].set()
    all_checked.wait()


threads = [threading.Thread(target=serve, args=(turn,)) for turn in range({THREADS})]
for thread in threads:
    thread.start()
turns[0].set()
turns[-1].wait()
print(resident_kib() - before)
all_checked.set()
for thread in threads:
    thread.join()
"""


def _kept_kib(tunables: str | None) -> int:
    env = {key: value for key, value in os.environ.items() if key != "GLIBC_TUNABLES"}
    if tunables is not None:
        env["GLIBC_TUNABLES"] = tunables
    done = subprocess.run(
        [sys.executable, "-c", CHECKS_IN_THREADS],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return int(done.stdout)


def test_the_image_starts_gunicorn_with_the_setting_the_benchmark_uses():
    dockerfile = (ROOT / "Dockerfile").read_text()
    (value,) = re.findall(r"^ENV GLIBC_TUNABLES=(\S+)$", dockerfile, flags=re.MULTILINE)
    assert value == GLIBC_TUNABLES


def test_password_checks_leave_no_memory_behind_with_the_images_setting():
    memory_cost_kib = Config.model_fields["ARGON2_MEMORY_COST"].default
    without = _kept_kib(None)
    with_setting = _kept_kib(GLIBC_TUNABLES)

    # glibc's default keeps a block of the check's size in most threads' heaps.
    assert without >= THREADS // 2 * memory_cost_kib
    assert with_setting < memory_cost_kib // 4
