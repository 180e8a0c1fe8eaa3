"""Views of public targets (courses, lessons, profiles; later posts, events, jobs, pages).

`record_view(target_type, target_id, user)` counts a view at most once per signed-in user, or per
anonymous visitor (`app.core.visitors.visitor_id()`), per target per `VIEW_DEDUPE_MINUTES`; bots (by
user agent) are not counted, nor targets the viewer may not see. A page view writes nothing to the
database: one Redis call (a Lua script: `SET <seen key> 1 NX EX <window>`, then `HINCRBY` of a
pending hash when the key was new). A signed-in user's counted view also leaves one `viewed` audit
row (PRD 3.13.1; made during the request, so with its time, IP and user agent) in the same hash, so
at most one per user, target and window, written by the flush.

The task `flush_view_counts` (every minute, `VIEW_FLUSH_CRON`) applies the pending counts in bulk:
it RENAMEs the pending hash to a batch key of its own (new views go to a fresh hash meanwhile),
adds batch keys a crashed run left behind, and applies each batch in a savepoint of its own:
records it in the `view_flush` ledger (`INSERT ... ON CONFLICT DO NOTHING`, so a batch is applied
once even by two runs or after a crash between the commit and the key's removal), upserts
`view_count` with one statement, moves each registered counter column (`Course.view_count`) with
one statement per table and writes the audit rows with one statement. The batch keys are deleted
after the commit.

A batch that fails (bad data: never a lost connection or a lock timeout, which fail the run and are
retried whole) is rolled back alone, so the other batches are applied; after
`VIEW_FLUSH_MAX_ATTEMPTS` (3) failures it is moved aside to a dead-letter key
(`<prefix>:dead:<token>`, kept `VIEW_DEAD_LETTER_DAYS`, 30) and logged as an error, so one bad row
cannot stop view counting. The pending hash and the batches expire after `VIEW_BATCH_TTL_DAYS` (7):
Redis does not grow without bound while the scheduler is down.

Without REDIS_URL (`make run`: SQLite, inline tasks) an in-process store with the same semantics
stands in: right for the one development process, not shared between processes or kept across
restarts (pending views of a stopped process are lost). With no scheduler there, a counted view
runs the flush inline when the last one is VIEW_INLINE_FLUSH_SECONDS old (development only).
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from flask import current_app, has_request_context
from redis import Redis
from redis.exceptions import RedisError, ResponseError
from sqlalchemy import BigInteger, column, delete, select, update, values
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import InstrumentedAttribute

from app.audit.services import deferred_row, record_rows
from app.core import targets
from app.core.errors import NotFound
from app.core.models import conflict_insert, utcnow
from app.core.tasks import enqueue, redis_connection
from app.core.transactions import on_commit
from app.core.visitors import is_bot, visitor_id
from app.engagement.models import ViewCount, ViewFlush
from app.extensions import db

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "lms:views"
LEDGER_DAYS = 1  # applied batch tokens are kept this long (a crashed run's key is retried well before)
# Defaults of VIEW_BATCH_TTL_DAYS, VIEW_FLUSH_MAX_ATTEMPTS and VIEW_DEAD_LETTER_DAYS.
BATCH_TTL_DAYS = 7
MAX_ATTEMPTS = 3
DEAD_LETTER_DAYS = 30
# Failures of the database itself, not of a batch: the run fails and every batch is retried.
TRANSIENT = (OperationalError, InterfaceError, RedisError)

# Registered counter columns: target code -> an integer column of the target's own table (its
# primary key `id` is the target id). The module owning the target registers it (courses:
# Course.view_count), so pages and APIs that already show that column stay right.
_COUNTERS: dict[str, InstrumentedAttribute[int]] = {}

# KEYS[1] the seen key, KEYS[2] the pending hash; ARGV[1] the window (s), ARGV[2] the count's field,
# ARGV[3] an audit row (JSON, or empty) kept under the field ARGV[4]; ARGV[5] the pending hash's TTL
# (s), set when it has none (a new hash): without flushes, it goes after that time.
_RECORD_LUA = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
  if ARGV[3] ~= '' then
    redis.call('HSET', KEYS[2], ARGV[4], ARGV[3])
  end
  if redis.call('TTL', KEYS[2]) < 0 then
    redis.call('EXPIRE', KEYS[2], ARGV[5])
  end
  return 1
end
return 0
"""
# Fields of a pending hash holding audit rows (a target code never starts with "@").
AUDIT_FIELD = "@audit:"


@dataclass
class Batch:
    """Views taken from the store for one flush: counts per `<code>:<id>` and audit rows (JSON)."""

    token: str
    counts: dict[str, int] = field(default_factory=dict)
    audits: list[str] = field(default_factory=list)


def register_view_counter(code: str, column_attr: InstrumentedAttribute[int]) -> None:
    """Keep `column_attr` (an integer column of the target's table) equal to its view count."""
    _COUNTERS[code] = column_attr


# ---- stores -------------------------------------------------------------------------------------
class ViewStore(Protocol):
    """Where seen markers and pending views live between page views and the flush."""

    def add(self, seen_key: str, window: int, field: str, audit: str = "") -> bool:
        """Mark `seen_key` for `window` seconds and count `field` once (keeping the audit row, if
        any), unless it is already marked."""

    def take(self) -> list[Batch]:
        """Every batch to apply, including batches of crashed runs."""

    def done(self, tokens: Iterable[str]) -> None:
        """Forget applied batches."""

    def failed(self, token: str, max_attempts: int) -> bool:
        """Count a failed attempt at a batch; True when it was the last one and the batch has been
        moved aside (dead-lettered: no longer taken)."""


def _days(name: str, default: int) -> int:
    return max(1, int(current_app.config.get(name) or default)) * 86400


def _batch(token: str, fields: dict[str, str]) -> Batch:
    batch = Batch(token)
    for name, value in fields.items():
        if name.startswith(AUDIT_FIELD):
            batch.audits.append(value)
        else:
            batch.counts[name] = int(value)
    return batch


class RedisViewStore:
    """The production store: one Lua call per view, a RENAMEd hash per flush."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self.pending = f"{prefix}:pending"
        self.script = redis.register_script(_RECORD_LUA)

    def _batch_key(self, token: str) -> str:
        return f"{self.prefix}:batch:{token}"

    def _attempts_key(self, token: str) -> str:
        return f"{self.prefix}:attempts:{token}"

    def dead_key(self, token: str) -> str:
        """Where a batch that kept failing is kept (for a look by hand) until it expires."""
        return f"{self.prefix}:dead:{token}"

    def add(self, seen_key: str, window: int, field: str, audit: str = "") -> bool:
        audit_field = f"{AUDIT_FIELD}{secrets.token_hex(8)}" if audit else ""
        ttl = _days("VIEW_BATCH_TTL_DAYS", BATCH_TTL_DAYS)
        return bool(self.script(keys=[seen_key, self.pending], args=[window, field, audit, audit_field, ttl]))

    def take(self) -> list[Batch]:
        token = secrets.token_hex(16)
        with suppress(ResponseError):  # atomic: new views go to a new pending hash; none pending: error
            self.redis.rename(self.pending, self._batch_key(token))
            # A batch's own time to live, from now (RENAME kept the pending hash's).
            self.redis.expire(self._batch_key(token), _days("VIEW_BATCH_TTL_DAYS", BATCH_TTL_DAYS))
        start = len(self._batch_key(""))
        batches = []
        for key in self.redis.scan_iter(self._batch_key("*"), count=1000):
            raw = self.redis.hgetall(key)
            batches.append(_batch(_text(key)[start:], {_text(f): _text(v) for f, v in raw.items()}))
        return batches

    def done(self, tokens: Iterable[str]) -> None:
        keys = [key for token in tokens for key in (self._batch_key(token), self._attempts_key(token))]
        if keys:
            self.redis.delete(*keys)

    def failed(self, token: str, max_attempts: int) -> bool:
        key = self._attempts_key(token)
        pipe = self.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, _days("VIEW_BATCH_TTL_DAYS", BATCH_TTL_DAYS))
        attempts = int(pipe.execute()[0])
        if attempts < max_attempts:
            return False
        dead = self.dead_key(token)
        with suppress(ResponseError):  # gone meanwhile (another run moved it): nothing to move
            self.redis.rename(self._batch_key(token), dead)
            self.redis.expire(dead, _days("VIEW_DEAD_LETTER_DAYS", DEAD_LETTER_DAYS))
        self.redis.delete(key)
        return True


class MemoryViewStore:
    """The development store (no REDIS_URL): the same semantics in this process's memory."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: dict[str, float] = {}
        self.pending = Batch("")
        self.batches: dict[str, Batch] = {}
        self.attempts: Counter[str] = Counter()
        self.dead: dict[str, Batch] = {}  # kept until the process stops
        self.last_flush = time.monotonic()

    def add(self, seen_key: str, window: int, field: str, audit: str = "") -> bool:
        now = time.monotonic()
        with self.lock:
            if self.seen.get(seen_key, 0.0) > now:
                return False
            if len(self.seen) > 100_000:  # forget expired markers now and then
                self.seen = {key: until for key, until in self.seen.items() if until > now}
            self.seen[seen_key] = now + window
            self.pending.counts[field] = self.pending.counts.get(field, 0) + 1
            if audit:
                self.pending.audits.append(audit)
            return True

    def take(self) -> list[Batch]:
        with self.lock:
            if self.pending.counts:
                token = secrets.token_hex(16)
                self.batches[token] = Batch(token, self.pending.counts, self.pending.audits)
                self.pending = Batch("")
            return [Batch(b.token, dict(b.counts), list(b.audits)) for b in self.batches.values()]

    def done(self, tokens: Iterable[str]) -> None:
        with self.lock:
            for token in tokens:
                self.batches.pop(token, None)
                self.attempts.pop(token, None)

    def failed(self, token: str, max_attempts: int) -> bool:
        with self.lock:
            self.attempts[token] += 1
            if self.attempts[token] < max_attempts:
                return False
            del self.attempts[token]
            batch = self.batches.pop(token, None)
            if batch is not None:
                self.dead[token] = batch
            return True

    def due(self, seconds: float) -> bool:
        """True (and the clock restarted) when the last flush asked for is `seconds` old."""
        now = time.monotonic()
        with self.lock:
            if now - self.last_flush < seconds:
                return False
            self.last_flush = now
            return True

    def expire(self, seen_key: str) -> None:
        """Forget one seen marker (tests: the window has passed)."""
        with self.lock:
            self.seen.pop(seen_key, None)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def view_store() -> ViewStore:
    """Redis when REDIS_URL is set, this process's memory otherwise (one per app)."""
    app = current_app
    redis = redis_connection(app)
    prefix = str(app.config.get("VIEW_KEY_PREFIX") or DEFAULT_PREFIX)
    if redis is not None:
        store = app.extensions.get("lms_view_store")
        if not isinstance(store, RedisViewStore) or store.redis is not redis or store.prefix != prefix:
            store = app.extensions["lms_view_store"] = RedisViewStore(redis, prefix)
        return store
    memory = app.extensions.get("lms_view_memory")
    if memory is None:
        memory = app.extensions["lms_view_memory"] = MemoryViewStore()
    return memory


def seen_key(target_type: str, target_id: int, viewer: str) -> str:
    """The dedupe key of one viewer (`u<user id>` or `v<visitor id>`) and target."""
    prefix = str(current_app.config.get("VIEW_KEY_PREFIX") or DEFAULT_PREFIX)
    return f"{prefix}:seen:{target_type}:{target_id}:{viewer}"


# ---- recording ----------------------------------------------------------------------------------
def record_view(
    target_type: str,
    target_id: int,
    user: Any = None,
    *,
    target: Any = None,
    visitor: str | None = None,
) -> bool:
    """Count one view of a target by `user` (or this request's visitor); True when it was counted.

    Not counted: recording switched off (`VIEW_COUNTING`), a bot, a target the viewer may not see
    (`target` is the loaded row when the caller has it, else it is loaded), the same viewer within
    the window. Nothing is written to the database (no commit needed): the flush writes the counts
    and a member's `viewed` audit row. A Redis failure is logged and the view lost: a page never
    fails for a counter.
    """
    config = current_app.config
    if not config.get("VIEW_COUNTING", True):
        return False
    if has_request_context() and is_bot():
        return False
    user_id = targets.signed_in_user_id(user)
    if user_id is not None:
        viewer = f"u{user_id}"
    elif visitor is not None or has_request_context():
        viewer = f"v{visitor or visitor_id()}"
    else:
        return False  # no one to tell apart: outside a request, only users count
    if target is None:
        try:
            target = targets.load_target(target_type, target_id)
        except NotFound:
            return False
    if not targets.can_view(user, target_type, target):
        return False
    window = max(1, int(config.get("VIEW_DEDUPE_MINUTES", 30))) * 60
    # A member's view is audited (PRD 3.13.1): the row is made now (who, from where, when) and
    # written by the flush with the counts, only if this view counts.
    audit = json.dumps(deferred_row("viewed", target_type, target_id, user=user)) if user_id else ""
    store = view_store()
    try:
        counted = store.add(
            seen_key(target_type, target_id, viewer), window, f"{target_type}:{target_id}", audit
        )
    except RedisError:
        log.warning("View of %s %s not counted: Redis unavailable", target_type, target_id, exc_info=True)
        return False
    if counted and isinstance(store, MemoryViewStore):
        _flush_inline_when_due(store)
    return counted


def _flush_inline_when_due(store: MemoryViewStore) -> None:
    """`make run` has no scheduler: a view applies the pending ones every VIEW_INLINE_FLUSH_SECONDS
    (development only; unset elsewhere), inline (no REDIS_URL), after the request's commit if any."""
    every = current_app.config.get("VIEW_INLINE_FLUSH_SECONDS")
    if every and store.due(float(every)):
        enqueue("app.engagement.tasks.flush_view_counts")


# ---- reading ------------------------------------------------------------------------------------
def view_counts(target_type: str, target_ids: Iterable[int]) -> dict[int, int]:
    """{target id: flushed view count} for several targets of one type (missing ones are 0)."""
    ids = list(set(target_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(ViewCount.target_id, ViewCount.count).where(
            ViewCount.target_type == target_type, ViewCount.target_id.in_(ids)
        )
    )
    found = {target_id: count for target_id, count in rows}
    return {target_id: int(found.get(target_id, 0)) for target_id in ids}


def view_count(target_type: str, target_id: int) -> int:
    """One target's flushed view count."""
    return view_counts(target_type, [target_id])[target_id]


# ---- flushing -----------------------------------------------------------------------------------
def _claim(tokens: list[str]) -> set[str]:
    """Record the batches in the ledger; the ones this run may apply (not applied before).

    A batch another run is applying waits here for that run's commit, then is not ours.
    """
    stmt = conflict_insert(ViewFlush).values([{"token": token} for token in tokens])
    stmt = stmt.on_conflict_do_nothing(index_elements=[ViewFlush.token]).returning(ViewFlush.token)
    return set(db.session.scalars(stmt))


def _apply(totals: dict[tuple[str, int], int]) -> None:
    """One upsert of `view_count`, then one UPDATE per registered counter table."""
    now = utcnow()
    stmt = conflict_insert(ViewCount).values(
        [{"target_type": code, "target_id": target_id, "count": n} for (code, target_id), n in totals.items()]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[ViewCount.target_type, ViewCount.target_id],
        set_={"count": ViewCount.count + stmt.excluded.count, "updated_at": now},
    )
    db.session.execute(stmt)
    for code, counter in _COUNTERS.items():
        rows = [(target_id, n) for (kind, target_id), n in totals.items() if kind == code]
        if not rows:
            continue
        table = counter.class_.__table__
        added = values(column("id", BigInteger), column("n", BigInteger), name="added").data(rows)
        changes: dict[str, Any] = {counter.key: table.c[counter.key] + added.c.n}
        if "updated_at" in table.c:  # a view is not a change of the row (its onupdate would say so)
            changes["updated_at"] = table.c.updated_at
        db.session.execute(update(table).where(table.c.id == added.c.id).values(changes))


def _apply_batch(batch: Batch) -> int:
    """Apply one batch (unless the ledger says it was applied already); the number of views."""
    if batch.token not in _claim([batch.token]):
        return 0  # applied already (a crash after the commit, or another run)
    totals: Counter[tuple[str, int]] = Counter()
    for name, n in batch.counts.items():
        code, _, raw_id = name.rpartition(":")
        if code and raw_id.isdigit() and n > 0:
            totals[(code, int(raw_id))] += n
    if totals:
        _apply(dict(totals))
    # One statement: the members' "viewed" rows, each at its own time.
    record_rows([json.loads(row) for row in batch.audits])
    return sum(totals.values())


def flush_view_counts() -> int:
    """Apply every pending batch of views to the counters; the number of views applied.

    Runs inside the caller's transaction (the task's), each batch in a savepoint of its own: a batch
    that fails is rolled back alone, counted, and dead-lettered after VIEW_FLUSH_MAX_ATTEMPTS; the
    others are applied. A failure of the database itself (connection, lock timeout) fails the run.
    The applied batches' keys go once the transaction commits.
    """
    store = view_store()
    batches = store.take()
    if not batches:
        return 0
    max_attempts = max(1, int(current_app.config.get("VIEW_FLUSH_MAX_ATTEMPTS") or MAX_ATTEMPTS))
    applied, tokens = 0, []
    for batch in batches:
        try:
            with db.session.begin_nested():
                applied += _apply_batch(batch)
        except TRANSIENT:
            raise
        except Exception:
            log.warning("View batch %s not applied", batch.token, exc_info=True)
            if store.failed(batch.token, max_attempts):
                log.error(
                    "View batch %s failed %d times: moved aside (%d counts, %d audit rows)",
                    batch.token,
                    max_attempts,
                    len(batch.counts),
                    len(batch.audits),
                )
            continue
        tokens.append(batch.token)
    db.session.execute(delete(ViewFlush).where(ViewFlush.created_at < utcnow() - timedelta(days=LEDGER_DAYS)))
    if tokens:
        on_commit(lambda: store.done(tokens))
    return applied
