"""maxmemory: evict keys by the configured policy before commands, refuse deny-oom ones
with Redis's -OOM when that cannot free enough.

Follows Redis's evict.c: before every client command (when maxmemory is set) the used
memory estimate is compared with the limit; over it, keys are chosen by sampling
`maxmemory-samples` keys per database into a pool of the 16 best candidates (highest idle
time, lowest LFU frequency, nearest expiry) or at random, and deleted through the keyspace
mutators (event "evicted", class EVICTED, module `free` callbacks; the change stream
propagates a DEL) until used memory is back under the limit. A time budget scaled from
`maxmemory-eviction-tenacity` stops one pass; the rest goes on from the cron.
"""

from __future__ import annotations

import bisect
import logging
import time
from typing import TYPE_CHECKING

from ferrite_host.core.hookspecs import hookimpl
from ferrite_host.core.memory_usage import STARTUP_BYTES, used_memory
from ferrite_host.protocol.replies import Error

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.spec import CommandSpec
    from ferrite_host.core.state import ServerState
    from ferrite_host.keyspace import Database

log = logging.getLogger("ferrite")

#: Redis's reply when a deny-oom command is refused over maxmemory.
OOM_ERROR = "OOM command not allowed when used memory > 'maxmemory'."
#: Candidates kept between passes (Redis's EVPOOL_SIZE).
POOL_SIZE = 16
#: Commands a client inside MULTI may still send over maxmemory (Redis's exceptions).
_ALLOWED_IN_MULTI = frozenset({"exec", "discard", "quit", "reset"})
#: Python deletes a key some 20 times slower than C: the time budget Redis derives from
#: the tenacity is scaled by this much, so a pass frees about as many keys as Redis's.
_BUDGET_SCALE = 20
_TTL_BASE = 1 << 64
_SETTINGS = {
    "maxmemory",
    "maxmemory_policy",
    "lfu_log_factor",
    "lfu_decay_time",
}


def time_budget(tenacity: int) -> float:
    """Seconds one eviction pass may take (Redis's evictionTimeLimitUs, scaled)."""
    if tenacity <= 10:
        micros = 50.0 * tenacity
    elif tenacity < 100:
        micros = 500.0 * 1.15 ** (tenacity - 10)
    else:
        return float("inf")
    return micros * _BUDGET_SCALE / 1_000_000


class Eviction:
    """The server's maxmemory enforcement (one per server, a subsystem)."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        #: The best candidates seen, ascending by rank (and the same as a set).
        self._pool: list[tuple[int, int, bytes]] = []
        self._pooled: set[tuple[int, bytes]] = set()
        self._next_db = 0
        #: Redis's pre_command_oom_state: whether the last client command found memory
        #: over the limit after evicting (scripts and `ctx.call(..., flags="M")` read it).
        self.oom_before_command = False
        #: An eviction pass ran out of time: the cron goes on with it.
        self.running = False
        self._exceeded_since: float | None = None
        self._keyspace = state.keyspace
        #: maxmemory less the startup figure: what the keyspace total may reach (hot path).
        self._room = 0

    @classmethod
    def attach(cls, state: ServerState) -> Eviction:
        eviction = state.subsystems.install(cls(state))
        state.hooks.register(eviction)
        eviction.apply_settings()
        return eviction

    @classmethod
    def of(cls, state: ServerState) -> Eviction | None:
        return state.subsystems.get(cls)

    # -- settings ----------------------------------------------------------------------------

    def apply_settings(self) -> None:
        """Mirror the settings where the hot paths read them: the keyspace's access clock
        (LRU or LFU) and the dispatcher's guard (installed only while maxmemory is set)."""
        settings = self.state.settings
        clock = self.state.keyspace.access
        clock.lfu = "lfu" in settings.maxmemory_policy
        clock.log_factor = settings.lfu_log_factor
        clock.decay_time = settings.lfu_decay_time
        self.state.memory_guard = self.admit if settings.maxmemory else None
        self._room = settings.maxmemory - STARTUP_BYTES
        if not settings.maxmemory:
            self.oom_before_command = False
            self.running = False
            self._exceeded_end()

    @hookimpl
    def ferrite_config_changed(self, state: ServerState, changed: set[str]) -> None:
        if not changed & _SETTINGS:
            return
        self.apply_settings()
        limit = state.settings.maxmemory
        if "maxmemory" in changed and limit:
            used = used_memory(state.keyspace)
            if used > limit:
                log.warning(
                    "WARNING: the new maxmemory value set via CONFIG SET (%d) is smaller than "
                    "the current memory usage (%d). This will result in key eviction and/or "
                    "the inability to accept new write commands depending on the "
                    "maxmemory-policy.",
                    limit,
                    used,
                )
            self.perform()

    @hookimpl
    def ferrite_cron(self, state: ServerState) -> None:
        state.keyspace.access.refresh()
        used = used_memory(state.keyspace)
        if used > state.used_memory_peak:
            state.used_memory_peak = used
        if self.running:
            self.perform()

    # -- the dispatcher's guard --------------------------------------------------------------

    def admit(self, session: Session, spec: CommandSpec) -> str | None:
        """Before a client's command: evict as needed; the OOM error when the command
        would add memory and eviction could not bring used memory under the limit."""
        if session.kind != "normal":
            return None  # scripts' and modules' inner calls, replay: never evicted for
        if self._keyspace.used_bytes <= self._room and self._exceeded_since is None:
            self.oom_before_command = False  # under the limit: the common case, O(1)
            return None
        fits = self.perform()
        self.oom_before_command = not fits
        if fits:
            return None
        if "denyoom" in spec.flags:
            return OOM_ERROR
        top = spec if spec.parent is None else spec.parent
        if session.in_multi and top.name not in _ALLOWED_IN_MULTI:
            return OOM_ERROR  # queueing takes memory too, as Redis reasons
        if top.name == "exec" and self._queued_denyoom(session):
            return OOM_ERROR
        return None

    def _queued_denyoom(self, session: Session) -> bool:
        resolve = self.state.dispatcher.resolve
        for argv in session.multi_queue:
            spec = resolve(argv)
            if type(spec) is not Error and "denyoom" in spec.flags:  # type: ignore[union-attr]
                return True
        return False

    # -- state -------------------------------------------------------------------------------

    def over_limit(self) -> bool:
        """Used memory is above a set maxmemory right now (RM_GetContextFlags' OOM)."""
        limit = self.state.settings.maxmemory
        return bool(limit) and used_memory(self.state.keyspace) > limit

    def used_ratio(self) -> float:
        """Used memory over maxmemory, 0 without a limit (RM_GetUsedMemoryRatio)."""
        limit = self.state.settings.maxmemory
        return used_memory(self.state.keyspace) / limit if limit else 0.0

    def exceeded_ms(self) -> tuple[int, int]:
        """(total, current) milliseconds spent over maxmemory, for INFO stats."""
        current = 0.0
        if self._exceeded_since is not None:
            current = time.monotonic() - self._exceeded_since
        total = self.state.stats.eviction_exceeded_seconds + current
        return int(total * 1000), int(current * 1000)

    # -- evicting ----------------------------------------------------------------------------

    def perform(self) -> bool:
        """Evict until used memory fits maxmemory; False when it cannot (Redis's EVICT_FAIL).

        True also when the time budget ran out first (EVICT_RUNNING): the command runs and
        the cron goes on evicting.
        """
        state = self.state
        if state.pause.check_timeout():
            return True  # CLIENT PAUSE: nothing is evicted, nor refused, until it ends
        limit = state.settings.maxmemory
        keyspace = state.keyspace
        used = used_memory(keyspace)
        if used > state.used_memory_peak:
            state.used_memory_peak = used
        if not limit or used <= limit or keyspace.loading:
            self.running = False
            self._exceeded_end()
            return True
        if self._exceeded_since is None:
            self._exceeded_since = time.monotonic()
        policy = state.settings.maxmemory_policy
        if policy == "noeviction":
            return False
        to_free = used - limit
        freed = evicted = 0
        budget = time_budget(state.settings.maxmemory_eviction_tenacity)
        started = time.perf_counter()
        samples = state.settings.maxmemory_samples
        while freed < to_free:
            victim = self._victim(policy, samples)
            if victim is None:
                break
            db, key = victim
            before = keyspace.used_bytes
            if db.evict(key):
                state.stats.evicted_keys += 1
            freed += before - keyspace.used_bytes
            evicted += 1
            if evicted % 16 == 0 and time.perf_counter() - started > budget:
                self.running = True
                return True
        if freed >= to_free:
            self.running = False
            self._exceeded_end()
            return True
        self.running = False
        return False

    def _exceeded_end(self) -> None:
        if self._exceeded_since is not None:
            self.state.stats.eviction_exceeded_seconds += time.monotonic() - self._exceeded_since
            self._exceeded_since = None

    def _victim(self, policy: str, samples: int) -> tuple[Database, bytes] | None:
        volatile = policy.startswith("volatile")
        if policy.endswith("random"):
            return self._random_victim(volatile)
        return self._pool_victim(policy, samples, volatile)

    def _random_victim(self, volatile: bool) -> tuple[Database, bytes] | None:
        """One random key, visiting the databases in turn as Redis does."""
        dbs = self.state.keyspace.dbs
        for step in range(len(dbs)):
            index = (self._next_db + step) % len(dbs)
            db = dbs[index]
            if not (db.expires_count() if volatile else len(db)):
                continue
            picks = db.sample_keys(1, volatile)
            if picks:
                self._next_db = (index + 1) % len(dbs)
                return db, picks[0]
        return None

    def _pool_victim(
        self, policy: str, samples: int, volatile: bool
    ) -> tuple[Database, bytes] | None:
        """The best candidate of the pool after sampling every database once more."""
        dbs = self.state.keyspace.dbs
        pool, pooled = self._pool, self._pooled
        by_ttl = policy == "volatile-ttl"
        score = self.state.keyspace.access.eviction_score
        for _ in range(16):
            candidates = 0
            for db in dbs:
                count = db.expires_count() if volatile else len(db)
                if not count:
                    continue
                candidates += count
                index = db.index
                for key in db.sample_keys(samples, volatile):
                    if (index, key) in pooled:
                        continue
                    if by_ttl:  # the nearer the expiry, the higher
                        rank = _TTL_BASE - (db.get_expire(key) or 0)
                    else:
                        rank = score(db.raw_access_field(key))
                    if len(pool) < POOL_SIZE or rank > pool[0][0]:
                        bisect.insort(pool, (rank, index, key))
                        pooled.add((index, key))
                        if len(pool) > POOL_SIZE:
                            _, gone_index, gone_key = pool.pop(0)
                            pooled.discard((gone_index, gone_key))
            if not candidates:
                return None
            while pool:
                _, index, key = pool.pop()
                pooled.discard((index, key))
                db = dbs[index]
                if (db.get_expire(key) is not None) if volatile else db.holds(key):
                    return db, key
        return None
