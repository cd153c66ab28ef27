"""One district-wide read of OneRoster ``users`` shared by the syncs of the district's schools.

A OneRoster service has no per-school endpoint that returns every person a school needs
(``schools/{id}/students`` and ``/teachers`` leave out administrators, aides and family
members), so each school's sync reads the district's ``users``. Read once per school, a
district of S schools costs S district-wide reads per pass. Here the first school's read
is kept, indexed by school, and serves the other schools synced in the same process:

- **keyed** by the service (address, version, base path) and the credentials (client id,
  token endpoint, scopes, signing method and a keyed digest of the secret — the secret
  itself is never kept): two services or two accounts never share a read. A key may also
  name a delta cursor (the index then keeps ``tobedeleted`` users for every school), but
  the REST source shares full reads only: a delta is read at its own fetch;
- a read serves **each school at most once**: a school synced again reads the SIS afresh
  (and that read is shared in turn);
- a read **expires** ``max_age`` seconds after it started (the connector's
  ``shared_users_max_age_seconds``, 600 by default; 0 turns sharing off);
- only a **complete** read is kept: a failure mid-read caches nothing;
- **thread safe**: syncs of the same district in threads wait for one read rather than
  each reading (for at most ``max_age`` seconds: then they read themselves);
- **streamed**: the school whose sync reads gets the district's users as they arrive (as
  without sharing), while they are indexed for the others;
- **compact** (:mod:`.shared_index`): each user keeps only the fields the feed reads (no
  password, no metadata beyond the preferred name, references reduced to their ids); a
  read is dropped once every org with students was served, when it expires, or when more
  than :data:`MAX_READS` are held.

Each other school gets the users the feed can keep for it (see :mod:`.shared_index`); the
feed filters them exactly as it filters the whole district's users.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from rostersync_oneroster.shared_index import IndexBuilder, UsersIndex

__all__ = [
    "DEFAULT_MAX_AGE",
    "MAX_READS",
    "SHARED_USERS",
    "SharedUsers",
    "UsersShare",
    "secret_digest",
]

#: Seconds a district-wide read of ``users`` may serve other schools, by default.
DEFAULT_MAX_AGE = 600.0
#: District-wide reads held at once (the oldest is dropped beyond it).
MAX_READS = 4

Key = tuple[str, ...]

# A per-process key for the secrets' digests: the digest identifies a secret within this
# process only, and cannot be checked against guesses elsewhere.
_DIGEST_KEY = secrets.token_bytes(32)


def secret_digest(secret: str) -> str:
    """A keyed digest of ``secret`` for a cache key (never the secret itself)."""
    return hmac.new(_DIGEST_KEY, secret.encode(), hashlib.sha256).hexdigest()


@attrs.define
class _Read:
    index: UsersIndex
    delta: bool
    started: float
    max_age: float
    served: set[str] = attrs.field(factory=set)


@attrs.define
class _Slot:
    """One key's lock: the thread reading holds it until its read is complete."""

    lock: threading.Lock = attrs.field(factory=threading.Lock)
    owner: int | None = None
    users: int = 0


class SharedUsers:
    """The district-wide ``users`` reads held by this process (see the module docstring).

    ``clock`` gives monotonic seconds (tests replace it)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._reads: dict[Key, _Read] = {}
        self._slots: dict[Key, _Slot] = {}

    def users_of(
        self,
        key: Key,
        school_id: str,
        max_age: float,
        read: Callable[[], tuple[Iterator[Any], bool]],
        on_delta: Callable[[bool], None],
    ) -> Iterator[Any]:
        """``school_id``'s users from a shared read of ``key`` when one is fresh and has
        not served the school yet; else every user ``read()`` gives (it answers the
        district's users and whether they are a delta), kept for the others once all were
        read. ``on_delta`` is told which it was before the first user."""
        me = threading.get_ident()
        with self._lock:
            slot = self._slots.setdefault(key, _Slot())
            slot.users += 1
        locked = False
        try:
            if slot.owner == me:  # this thread is reading the same key: do not wait for it
                users, delta = read()
                on_delta(delta)
                yield from users
                return
            # One read per key at a time: the others wait and share it; a read that takes
            # longer than a shared read may live is not waited for.
            if not slot.lock.acquire(timeout=max_age):
                users, delta = read()
                on_delta(delta)
                yield from users
                return
            locked, slot.owner = True, me
            with self._lock:
                held = self._take(key, school_id, max_age)
            if held is not None:
                slot.owner, locked = None, False
                slot.lock.release()
                on_delta(held.delta)
                yield from held.index.iter_users(school_id)
                return
            started = self.clock()
            users, delta = read()
            on_delta(delta)
            builder = IndexBuilder(delta=delta)
            for user in users:
                builder.add(user)
                yield user
            self._keep(key, _Read(builder.finish(), delta, started, max_age, {school_id}))
        finally:
            if locked:
                slot.owner = None
                slot.lock.release()
            with self._lock:
                slot.users -= 1
                if slot.users == 0 and self._slots.get(key) is slot:
                    del self._slots[key]

    def _keep(self, key: Key, fresh: _Read) -> None:
        with self._lock:
            self._reads.pop(key, None)
            if not fresh.served.issuperset(fresh.index.schools):
                self._reads[key] = fresh
                while len(self._reads) > MAX_READS:
                    del self._reads[next(iter(self._reads))]  # the oldest

    def _take(self, key: Key, school_id: str, max_age: float) -> _Read | None:
        now = self.clock()
        for stale in [k for k, r in self._reads.items() if now - r.started >= r.max_age]:
            del self._reads[stale]
        held = self._reads.get(key)
        if held is None or school_id in held.served or now - held.started >= max_age:
            return None
        held.served.add(school_id)
        if held.served.issuperset(held.index.schools):
            del self._reads[key]  # every school with students had its users
        return held

    def clear(self) -> None:
        """Forget every read."""
        with self._lock:
            self._reads.clear()

    def held(self) -> int:
        """How many reads are held."""
        with self._lock:
            return len(self._reads)


#: The process's shared reads.
SHARED_USERS = SharedUsers()


@attrs.frozen
class UsersShare:
    """How a REST source shares its ``users`` reads: ``key`` names the service and the
    credentials (see :func:`secret_digest`), ``max_age`` bounds a read's age in seconds."""

    key: Key
    max_age: float = DEFAULT_MAX_AGE
    reads: SharedUsers = attrs.field(default=SHARED_USERS, eq=False, repr=False)
