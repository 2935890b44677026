"""New generations announced on a Redis channel, so that reads need not ask Redis.

Cache entries live in generations (app/services/cache.py): an entry is current
while its family's generation is, and a process may use its own copy of it as
long as it knows that. Asking Redis for the generation on every read cost a
round trip per request, which was most of what a cached request cost. Instead,
with `CACHE_ANNOUNCEMENTS` (the default with Redis):

- a writer starts a family's new generation and announces it on one channel in
  one MULTI/EXEC, then makes one more round trip: by then Redis has written the
  announcement to every subscriber's connection, before the write answers its
  client;
- each process subscribes to that channel and, before any read, takes in every
  announcement that has arrived on its connection (a read that does not wait);
- a process trusts a generation it read from Redis while subscribed, until the
  family's announcement arrives; not one read while an announcement was being
  taken in (it may predate it), and only while the subscription is known to be
  alive: a PING on it must have been answered less than `FRESH_SECONDS` ago,
  and after a backlog of announcements, one sent after it. Losing the
  subscription forgets every trusted generation.

So a read that starts after a write has answered sees it, on any process, once
the announcement has arrived: at once with Redis on the same host, where it is
in the reader's socket before the write answers. Across a network a delayed
packet can hold it back; the reader then stops trusting when its ping is
overdue, so a page is stale for less than `FRESH_SECONDS` after the write
answered. (The pong comes after the announcement on the same connection.)

Whatever fails, a process asks Redis as it did without announcements. Reads
happen only in requests: an idle process leaves its announcements in Redis's
output buffer for it (beyond Redis's `client-output-buffer-limit pubsub`, Redis
drops the subscription, and the process subscribes again when requests return).
Redis's own client-side caching works the same way, but redis-py supports it
only from Redis 7.4.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import redis
import structlog
from redis.backoff import NoBackoff
from redis.client import PubSub
from redis.exceptions import RedisError
from redis.retry import Retry

log = structlog.get_logger(__name__)

# A PING on the subscription at most this often while requests come in...
PING_SECONDS = 0.5
# ...and generations are trusted only while the last answered one was sent this
# recently; one unanswered for as long means the subscription is lost.
FRESH_SECONDS = 1.0
# A request waits this long at most for another thread's turn at the subscription
# (which may be connecting to a hung Redis), then asks Redis instead.
LOCK_WAIT_SECONDS = 0.005
# After a failed subscription, the next attempt waits this long (reads ask Redis).
RETRY_SECONDS = 1.0
# Announcements taken in at once beyond which Redis may still hold more for this
# connection: it holds what does not fit in the connection's buffers, and writes
# at most 64 KiB (some 600 announcements) at a time. Trust then waits for a PING
# sent afterwards to be answered, which comes after all of them.
BACKLOG = 100
# At most this many are taken in by one read (the rest by the next ones).
MAX_TAKEN_IN = 10_000
PING_MESSAGE = "conduit-generation-watch"
# What a failing Redis connection raises, through redis-py or from the socket, and
# what a malformed reply raises.
WATCH_ERRORS = (RedisError, OSError, ValueError)


class WatchLost(Exception):
    """The subscription can no longer be relied on."""


class Ticket(NamedTuple):
    """What the subscription had taken in when a read began (see `learn`)."""

    subscription: int
    announcements: int


class GenerationWatch:
    """One process's subscription to announced generations, and the generations it trusts.

    Safe to share between threads: what changes happens under one lock, and the
    trusted generations are read without it (a family dropped meanwhile is only a
    round trip to Redis).
    """

    def __init__(
        self,
        redis_url: str,
        *,
        channel: str,
        socket_timeout: float,
        clock: Callable[[], float],
        max_trusted: int,
    ) -> None:
        self.pid = os.getpid()
        options: dict[str, Any] = {
            # RESP2: what a subscribed connection sends is a message or a pong.
            "protocol": 2,
            "socket_timeout": socket_timeout,
            "socket_connect_timeout": socket_timeout,
            # Named after the channel, so that CLIENT LIST tells these connections
            # apart (Redis refuses spaces and control characters in names).
            "client_name": "".join(c if "!" <= c <= "~" else "_" for c in channel),
        }
        # No retries: a lost subscription must be noticed, not silently replaced.
        self._client = redis.Redis.from_url(redis_url, retry=Retry(NoBackoff(), 0), **options)
        # One retry for announcements, on a pooled connection that died idle: a
        # generation started twice only costs a miss.
        self._announcer = redis.Redis.from_url(redis_url, retry=Retry(NoBackoff(), 1), **options)
        self._channel = channel
        self._timeout = socket_timeout
        self._clock = clock
        self._max_trusted = max_trusted
        self._lock = threading.Lock()
        self._pubsub: PubSub | None = None
        # A new number each time a subscription starts or is lost.
        self._subscription = 0
        self._announcements = 0
        self._trusted: dict[str, int] = {}
        self._next_attempt = float("-inf")
        # Pings are numbered; one at a time is unanswered.
        self._pings_sent = 0
        self._ping_sent_at: float | None = None
        self._answered_ping = 0
        self._answered_ping_sent_at = float("-inf")
        # Trust needs this ping (or a later one) answered: after a backlog.
        self._trust_from_ping = 0

    def announce(self, counter_key: str, family: str) -> None:
        """Start a new generation of `family` (its counter at `counter_key`) and announce it.

        Raises what redis-py raises when Redis fails or refuses. A command Redis
        refuses (a PUBLISH its ACL forbids) aborts the transaction: a generation is
        not started unannounced. (One that fails as it runs, an INCR of a counter
        that is not a number, leaves the announcement sent: only a miss.)
        """
        with self._announcer.pipeline(transaction=True) as pipe:
            # A lost counter restarts at random, never at 1, where old entries may wait.
            pipe.set(counter_key, secrets.randbits(48), nx=True)
            pipe.incr(counter_key)
            pipe.publish(self._channel, family)
            pipe.execute()
        # Redis writes the announcement to every subscriber's connection before it
        # reads this connection's next command: once this answers, every process
        # that reads its connection before answering from a copy knows of the write.
        self._announcer.ping()

    def open(self) -> Ticket | None:
        """Take in the announcements waiting; a ticket when generations can be trusted now."""
        if not self._lock.acquire(timeout=LOCK_WAIT_SECONDS):
            return None
        try:
            now = self._clock()
            if self._pubsub is None and not self._start(now):
                return None
            try:
                self._take_in(now)
            except WatchLost as lost:
                self._lose(now, str(lost))
                return None
            except WATCH_ERRORS as error:
                self._lose(now, type(error).__name__)
                return None
            if not self._fresh(now):
                return None
            return Ticket(self._subscription, self._announcements)
        finally:
            self._lock.release()

    def trusted(self, families: tuple[str, ...]) -> tuple[int, ...] | None:
        """The trusted generations of `families`; None unless all are trusted."""
        numbers = []
        for family in families:
            number = self._trusted.get(family)
            if number is None:
                return None
            numbers.append(number)
        return tuple(numbers)

    def learn(self, ticket: Ticket, generations: Mapping[str, int]) -> None:
        """Trust `generations`, read from Redis after `ticket` was given, unless an
        announcement arrived since (the read may predate the write it announces).
        Learns nothing while another thread holds the subscription."""
        if not self._lock.acquire(timeout=LOCK_WAIT_SECONDS):
            return
        try:
            if ticket != (self._subscription, self._announcements):
                return
            for family, number in generations.items():
                if len(self._trusted) >= self._max_trusted and family not in self._trusted:
                    self._trusted.clear()
                self._trusted[family] = number
        finally:
            self._lock.release()

    def close(self) -> None:
        """Unsubscribe and close the connections (the process is done with the cache)."""
        with self._lock:
            if self._pubsub is not None:
                self._pubsub.close()
                self._pubsub = None
            self._trusted.clear()
            self._subscription += 1
        self._client.close()
        self._announcer.close()

    def _start(self, now: float) -> bool:
        if now < self._next_attempt:
            return False
        self._next_attempt = now + RETRY_SECONDS
        pubsub = self._client.pubsub()
        try:
            pubsub.subscribe(self._channel)
            confirmation = pubsub.get_message(timeout=self._timeout)
        except WATCH_ERRORS as error:
            pubsub.close()
            log.warning("cache announcements unavailable", error=type(error).__name__)
            return False
        if confirmation is None or confirmation["type"] != "subscribe":
            pubsub.close()
            log.warning("cache announcements unavailable", error="no confirmation")
            return False
        self._pubsub = pubsub
        self._subscription += 1
        self._trusted.clear()
        # The confirmation answers like a PING sent when subscribing.
        self._answered_ping = self._trust_from_ping = self._pings_sent
        self._answered_ping_sent_at = now
        self._ping_sent_at = None
        return True

    def _fresh(self, now: float) -> bool:
        """Whether the subscription is known to have missed nothing lately."""
        return (
            self._answered_ping >= self._trust_from_ping
            and now - self._answered_ping_sent_at < FRESH_SECONDS
        )

    def _take_in(self, now: float) -> None:
        pubsub = self._pubsub
        assert pubsub is not None
        connection = pubsub.connection
        assert connection is not None
        taken = 0
        # Only what has arrived; but the rest of a message begun is waited for (up
        # to the socket timeout), since a message may come in several packets.
        while taken < MAX_TAKEN_IN and connection.can_read(timeout=0):
            reply = connection.read_response(disconnect_on_error=False, timeout=self._timeout)
            self._heard(pubsub.handle_message(reply))
            taken += 1
        if taken >= BACKLOG:
            self._trust_from_ping = self._pings_sent + 1
        if self._ping_sent_at is None:
            if (
                now - self._answered_ping_sent_at >= PING_SECONDS
                or self._answered_ping < self._trust_from_ping
            ):
                pubsub.ping(PING_MESSAGE)
                self._pings_sent += 1
                self._ping_sent_at = now
        elif now - self._ping_sent_at >= FRESH_SECONDS:
            raise WatchLost("ping unanswered")

    def _heard(self, message: dict[str, Any] | None) -> None:
        if message is None:
            raise WatchLost("unreadable reply")
        kind = message["type"]
        if kind == "message":
            self._announcements += 1
            self._trusted.pop(message["data"].decode(errors="replace"), None)
        elif kind == "pong" and self._ping_sent_at is not None:
            self._answered_ping = self._pings_sent
            self._answered_ping_sent_at = self._ping_sent_at
            self._ping_sent_at = None
        else:
            # Anything else (a subscription confirmed again, say) means the stream
            # was interrupted: what it said before cannot be relied on.
            raise WatchLost(f"unexpected {kind}")

    def _lose(self, now: float, reason: str) -> None:
        log.warning("cache announcements lost", reason=reason)
        if self._pubsub is not None:
            self._pubsub.close()
            self._pubsub = None
        self._subscription += 1
        self._trusted.clear()
        self._next_attempt = now + RETRY_SECONDS
        self._ping_sent_at = None
