"""The mixed workload's writers: API writes at a steady pace while wrk reads.

    python -m bench.writer PLAN.json RESULT.json

bench/mixed.py writes the plan and starts this process next to wrk. The plan has
two writers of four users each (their API tokens). Every user writes from a thread
of its own, on its own kept-alive connection, with its own seeded generator, at an
even pace: together about `rate` writes a second, however slow one answer is (up
to eight writes in flight). A user's own writes follow each other, so the last
answer about a favorite is its state. A write is one of

    30%  POST   /api/articles/<slug>/favorite    (a popular article, drawn Zipf-like)
    15%  DELETE /api/articles/<slug>/favorite    (one the user favorited in this run, if any)
    35%  POST   /api/articles/<slug>/comments
    10%  POST   /api/articles                    (title "Write mix article ...", tagged)
    10%  PUT    /api/articles/<slug>             (an article of the user's own, as the
                                                  editor sends it: every field, a new body)

Bounded in time (`seconds`, from a start time shared with wrk) and in count
(`max_writes` per user). A slow answer delays the next write; it never causes a
burst to catch up. Nothing is sent again: a write whose answer is lost may or may
not have been applied, so its subject is marked uncertain and left out of the
checks. The result (JSON) holds the counts and latencies of every kind of write
and what each answered 2xx, for bench/mixed.py to find in the database afterwards.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.client import Client
from bench.seed import zipf_weights

OPS = {"favorite": 0.30, "unfavorite": 0.15, "comment": 0.35, "create": 0.10, "edit": 0.10}
TARGET_SKEW = 0.9


def latency_summary(latencies_ms: list[float]) -> dict[str, float]:
    """p50 and p99 (nearest rank) and the largest, in ms."""
    if not latencies_ms:
        return {"p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    ordered = sorted(latencies_ms)

    def rank(p: float) -> float:
        return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 2)

    return {"p50_ms": rank(50), "p99_ms": rank(99), "max_ms": round(ordered[-1], 2)}


@dataclass
class OpStats:
    sent: int = 0
    ok: int = 0
    # Answers that were not 2xx, by status; and writes that got no answer at all.
    statuses: Counter[int] = field(default_factory=Counter)
    socket_errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "ok": self.ok,
            "errors": self.sent - self.ok,
            "statuses": {str(status): n for status, n in sorted(self.statuses.items())},
            "socket_errors": self.socket_errors,
            **latency_summary(self.latencies_ms),
        }


@dataclass
class Record:
    """What one writer did, and what the database must show for it."""

    ops: dict[str, OpStats] = field(default_factory=lambda: {op: OpStats() for op in OPS})
    created: list[str] = field(default_factory=list)
    comments: list[tuple[str, int]] = field(default_factory=list)
    # (username, slug) -> the last favorite or unfavorite answered 2xx.
    favorites: dict[tuple[str, str], str] = field(default_factory=dict)
    # slug -> the body of the last edit answered 2xx.
    edits: dict[str, str] = field(default_factory=dict)
    uncertain_favorites: set[tuple[str, str]] = field(default_factory=set)
    uncertain_edits: set[str] = field(default_factory=set)
    touched: set[str] = field(default_factory=set)


@dataclass
class Write:
    """One request, and what it means when it is answered 2xx or not at all."""

    op: str
    method: str
    path: str
    payload: dict[str, Any] | None
    slug: str
    user: dict[str, Any]


class Writer(threading.Thread):
    """One user of one writer, writing at its share of the rate."""

    def __init__(
        self, number: str, user: dict[str, Any], plan: dict[str, Any], start: float, users: int
    ) -> None:
        super().__init__(name=f"writer-{number}", daemon=True)
        self.number = number
        self.user = user | {"favorited": []}
        self.plan = plan
        self.start_at = start
        self.interval = users / plan["rate"]
        self.record = Record()
        self.rng = random.Random(f"{plan['seed']}-{number}")
        self.targets = plan["targets"]
        self.target_weights = zipf_weights(len(self.targets), TARGET_SKEW)
        self.count = 0

    def run(self) -> None:
        client = Client(self.plan["port"], timeout=10)
        interval = self.interval
        deadline = self.start_at + self.plan["seconds"]
        next_at = self.start_at
        try:
            while self.count < self.plan["max_writes"] and next_at < deadline:
                time.sleep(max(0.0, next_at - time.monotonic()))
                self.send(client, self.draw())
                # An even pace; after a slow answer, no burst to catch up.
                next_at = max(next_at + interval, time.monotonic() - interval)
        finally:
            client.close()

    def draw(self) -> Write:
        rng = self.rng
        self.count += 1
        op = rng.choices(list(OPS), weights=list(OPS.values()))[0]
        user = self.user
        target = rng.choices(self.targets, cum_weights=self.target_weights)[0]
        text = f"writer {self.number}, write {self.count}"
        if op == "favorite":
            return Write(op, "POST", f"/api/articles/{target}/favorite", None, target, user)
        if op == "unfavorite":
            slug = rng.choice(user["favorited"]) if user["favorited"] else target
            return Write(op, "DELETE", f"/api/articles/{slug}/favorite", None, slug, user)
        if op == "comment":
            payload = {"comment": {"body": f"A comment from the mixed benchmark: {text}."}}
            return Write(op, "POST", f"/api/articles/{target}/comments", payload, target, user)
        if op == "create":
            article = {
                "title": f"{self.plan['title']} {self.number}-{self.count}",
                "description": "Written by the mixed benchmark",
                "body": f"Some *markdown*: {text}.",
                "tagList": [*self.plan["base_tags"], rng.choice(self.plan["tags"])],
            }
            return Write(op, "POST", "/api/articles", {"article": article}, "", user)
        edited = rng.choice(user["articles"])
        article = {**edited, "body": f"Edited by the mixed benchmark: {text}.\n\nNew *markdown*."}
        del article["slug"]
        path = f"/api/articles/{edited['slug']}"
        return Write(op, "PUT", path, {"article": article}, edited["slug"], user)

    def send(self, client: Client, write: Write) -> None:
        stats = self.record.ops[write.op]
        stats.sent += 1
        if write.slug:
            self.record.touched.add(write.slug)
        headers = {"Authorization": f"Token {write.user['token']}"}
        body = None
        if write.payload is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(write.payload).encode()
        started = time.perf_counter()
        try:
            status, _headers, answer = client.request(
                write.method, write.path, body=body, headers=headers
            )
        except OSError:
            stats.socket_errors += 1
            self.uncertain(write)
            return
        stats.latencies_ms.append((time.perf_counter() - started) * 1000)
        if 200 <= status < 300:
            stats.ok += 1
            self.applied(write, json.loads(answer))
        else:
            stats.statuses[status] += 1
            if status >= 500:
                self.uncertain(write)

    def applied(self, write: Write, answer: dict[str, Any]) -> None:
        record, user = self.record, write.user
        if write.op in ("favorite", "unfavorite"):
            record.favorites[(user["username"], write.slug)] = write.op
            if write.op == "favorite" and write.slug not in user["favorited"]:
                user["favorited"].append(write.slug)
            elif write.op == "unfavorite" and write.slug in user["favorited"]:
                user["favorited"].remove(write.slug)
        elif write.op == "comment":
            record.comments.append((write.slug, answer["comment"]["id"]))
        elif write.op == "create":
            created = answer["article"]
            record.created.append(created["slug"])
            record.touched.add(created["slug"])
            fields = ("slug", "title", "description", "tagList")
            user["articles"].append({name: created[name] for name in fields})
        else:
            assert write.payload is not None
            record.edits[write.slug] = write.payload["article"]["body"]

    def uncertain(self, write: Write) -> None:
        if write.op in ("favorite", "unfavorite"):
            self.record.uncertain_favorites.add((write.user["username"], write.slug))
        elif write.op == "edit":
            self.record.uncertain_edits.add(write.slug)


def merge(records: list[Record], seconds: float) -> dict[str, Any]:
    """One result of every user's writes (each user's favorites are its own)."""
    ops: dict[str, OpStats] = {op: OpStats() for op in OPS}
    result: dict[str, Any] = {
        "created": [],
        "comments": [],
        "favorites": [],
        "edits": {},
        "uncertain_favorites": [],
        "uncertain_edits": [],
        "touched": set(),
    }
    for record in records:
        for op, stats in record.ops.items():
            ops[op].sent += stats.sent
            ops[op].ok += stats.ok
            ops[op].statuses.update(stats.statuses)
            ops[op].socket_errors += stats.socket_errors
            ops[op].latencies_ms.extend(stats.latencies_ms)
        result["created"] += record.created
        result["comments"] += record.comments
        result["favorites"] += [[*pair, state] for pair, state in record.favorites.items()]
        result["edits"] |= record.edits
        result["uncertain_favorites"] += sorted(record.uncertain_favorites)
        result["uncertain_edits"] += sorted(record.uncertain_edits)
        result["touched"] |= record.touched
    ok = sum(stats.ok for stats in ops.values())
    everything = OpStats(latencies_ms=[ms for stats in ops.values() for ms in stats.latencies_ms])
    return result | {
        "seconds": round(seconds, 2),
        "ok": ok,
        "writes_per_second": round(ok / seconds, 1) if seconds else 0.0,
        "latency": latency_summary(everything.latencies_ms),
        "ops": {op: stats.summary() for op, stats in ops.items()},
        "touched": sorted(result["touched"]),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("plan", type=Path)
    parser.add_argument("result", type=Path)
    args = parser.parse_args(argv)
    plan = json.loads(args.plan.read_text())
    # The plan says when to start in wall-clock time, which wrk's start follows.
    start = time.monotonic() + max(0.0, plan["start_at"] - time.time())
    users = sum(len(group) for group in plan["writers"])
    writers = [
        Writer(f"{group}.{index}", user, plan, start, users)
        for group, members in enumerate(plan["writers"], start=1)
        for index, user in enumerate(members, start=1)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        # Bounded: every request has a 10 s timeout and the writers stop at the deadline.
        writer.join(timeout=max(0.0, start + plan["seconds"] + 30 - time.monotonic()))
    seconds = max(time.monotonic() - start, 0.001)
    result = merge([writer.record for writer in writers], seconds)
    result["still_running"] = sum(writer.is_alive() for writer in writers)
    args.result.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
