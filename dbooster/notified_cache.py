"""Rows a process keeps in memory until PostgreSQL announces a change to the tables they were read from.

The tables' triggers send a notice on a channel (`pg_notify`) for every statement that changes them; PostgreSQL
delivers it only when that transaction commits, to every connection that LISTENs on the channel, on any host.
Each lookup first takes in the notices that have reached this connection's socket (a read that never waits), and
any notice forgets everything kept. So a row is served from memory only while no committed change to its tables
has reached this connection since the row was read.

- **Per physical connection:** a new connection (a reconnect, a pool's) starts empty and LISTENs before its first
  read, since it heard nothing of what happened while the old one was gone.
- **Not inside a transaction block:** there a request may see its own uncommitted writes, which announce nothing
  until they commit. (Tests run inside one, so their requests read as they always did.)
- **A notice that arrives while a row is being read** (with the query's own answer) means the row may be older
  than the change: the row is not kept.
- **Not on a connection closed after each request** (CONN_MAX_AGE=0): no later request could use what it keeps.
- **Not behind a pooler in transaction mode** (PgBouncer): LISTEN needs a session of its own, so such a deployment
  turns the cache off (`SIGN_IN_CACHE=false`).
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from typing import Any

import psycopg

KEPT = 4096


class NotifiedCache:
    """Values by key, kept while no notice on `channel` has reached the connection they were read through.

    One memory per psycopg connection (so per thread, where a server runs threads): a notice clears the memory
    of the connection that received it, and a connection gone takes its memory with it.
    """

    def __init__(self, channel: str, *, kept: int = KEPT):
        self.channel = channel
        self.kept = kept
        self._memories: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def read(self, db_connection, key, reader: Callable[[], Any]) -> Any:
        """The value kept for `key`, or `reader()`'s (kept when it may be): LISTEN first on a connection that
        does not yet, so a change after the read is heard."""
        value, ticket = self.get(db_connection, key)
        if value is None:
            if ticket < 0:
                ticket = self.listen(db_connection)
            value = reader()
            self.put(db_connection, key, value, ticket)
        return value

    def get(self, db_connection, key) -> tuple[Any, int]:
        """(the value kept for `key` or None, a ticket for `put`): a miss where the cache cannot be used."""
        raw = _usable(db_connection)
        memory = self._memories.get(raw) if raw is not None else None
        if memory is None:
            return None, -1  # not yet listening on this connection: `listen`, read, then `put`
        try:
            _take_notices(raw)
        except psycopg.Error:
            memory.forget()
            return None, -1  # a broken connection: the read that follows reports it as it always did
        return memory.values.get(key), memory.generation

    def listen(self, db_connection) -> int:
        """LISTEN on this connection (once per physical connection) before the row is read; returns the ticket
        `put` needs (-1: what is read now cannot be kept)."""
        db_connection.ensure_connection()  # the read needs it anyway; a new worker keeps its first row too
        raw = _usable(db_connection)
        if raw is None or _closes_after_this_request(db_connection):
            return -1
        memory = self._memories.get(raw)
        if memory is None:
            with db_connection.cursor() as cursor:
                cursor.execute(f"LISTEN {db_connection.ops.quote_name(self.channel)}")
            memory = self._memories[raw] = _Memory(self.channel)
            raw.add_notify_handler(memory.on_notice)
        return memory.generation

    def put(self, db_connection, key, value, ticket: int) -> None:
        """Keep `value`, read after `listen` or `get` gave `ticket`, unless a notice has arrived since."""
        raw = db_connection.connection
        memory = self._memories.get(raw) if raw is not None else None
        if memory is None or ticket < 0 or ticket != memory.generation:
            return
        if len(memory.values) >= self.kept:
            memory.values.pop(next(iter(memory.values)), None)  # the oldest first
        memory.values[key] = value


class _Memory:
    def __init__(self, channel: str):
        self.channel = channel
        self.values: dict[Any, Any] = {}
        self.generation = 0  # raised by every notice: a read that saw it raised keeps nothing

    def on_notice(self, notice) -> None:
        if notice.channel == self.channel:
            self.forget()

    def forget(self) -> None:
        self.generation += 1
        self.values.clear()


def _usable(db_connection):
    """The psycopg connection under Django's, when a value may be kept or served: connected, outside any
    transaction block."""
    raw = db_connection.connection
    if (
        raw is None
        or db_connection.in_atomic_block
        or raw.closed
        or raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
    ):
        return None
    return raw


def _closes_after_this_request(db_connection) -> bool:
    # CONN_MAX_AGE=0 (or an age already reached): Django closes the connection when the request ends, so a LISTEN
    # would be one more round trip per request for a memory no later request could use.
    return db_connection.close_at is not None and time.monotonic() >= db_connection.close_at


def _take_notices(raw) -> None:
    # What psycopg's own notifies() does, without waiting: read what the socket holds, hand each notice on.
    pgconn = raw.pgconn
    pgconn.consume_input()
    while notice := pgconn.notifies():
        pgconn.notify_handler(notice)
