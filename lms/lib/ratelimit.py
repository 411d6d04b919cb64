"""A sliding-window failure counter, free of Django: sign-up and password reset use it with
Django's cache (the login pages use django-axes through accounts/backends.py).

A key (an e-mail address, a client address) is locked once it has `attempts` failures within the
last `window_seconds`; it unlocks when the oldest of those failures leaves the window. While a key
is locked further attempts are refused without being counted, so a locked-out person is not kept
out longer by trying again.

The store only needs `get(key, default)`, `set(key, value, timeout)` and `delete(key)`: Django's
cache has exactly that shape, and `MemoryStore` below is a stand-alone one.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


class Store(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...

    def set(self, key: str, value: Any, timeout: float | None = None) -> Any: ...

    def delete(self, key: str) -> Any: ...


class MemoryStore:
    """A dict with expiry, for scripts and tests that run without a cache server."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self._clock = clock
        self._data: dict[str, tuple[Any, float | None]] = {}

    def get(self, key: str, default: Any = None) -> Any:
        value, expires = self._data.get(key, (default, None))
        if expires is not None and expires <= self._clock():
            self._data.pop(key, None)
            return default
        return value

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        self._data[key] = (value, None if timeout is None else self._clock() + timeout)

    def delete(self, key: str) -> None:
        self._data.pop(key, None)


@dataclass(frozen=True)
class FailureLimiter:
    store: Store
    attempts: int
    window_seconds: int
    prefix: str = "ratelimit"
    clock: Callable[[], float] = time.time

    def __post_init__(self):
        if self.attempts < 1 or self.window_seconds < 1:
            raise ValueError("attempts and window_seconds must be at least 1")

    def _key(self, key: str) -> str:
        # Hashed, so the cache never holds e-mail addresses and keys have a safe, fixed length.
        return f"{self.prefix}:{hashlib.sha256(key.encode()).hexdigest()}"

    def _recent(self, key: str) -> list[float]:
        now = self.clock()
        stamps = self.store.get(self._key(key)) or []
        return [t for t in stamps if now - t < self.window_seconds]

    def retry_after(self, key: str) -> float:
        """Seconds until `key` may try again; 0 when it is not locked."""
        recent = self._recent(key)
        if len(recent) < self.attempts:
            return 0.0
        oldest_that_counts = sorted(recent)[-self.attempts]
        return max(0.0, oldest_that_counts + self.window_seconds - self.clock())

    def is_locked(self, key: str) -> bool:
        return self.retry_after(key) > 0

    def record_failure(self, key: str) -> int:
        """Count one failure for `key`; return the number of failures now in the window.

        Read-modify-write, not atomic: two simultaneous failures may count as one. That costs an
        attacker at most one extra guess per race and keeps the store interface minimal.
        """
        recent = self._recent(key)
        recent.append(self.clock())
        # Only the newest `attempts` stamps can ever decide a lock.
        recent = sorted(recent)[-self.attempts :]
        self.store.set(self._key(key), recent, self.window_seconds)
        return len(recent)

    def reset(self, key: str) -> None:
        self.store.delete(self._key(key))


def minutes_until(seconds: float) -> int:
    """Whole minutes to tell a person to wait (rounded up, at least 1)."""
    return max(1, math.ceil(seconds / 60))


def client_address(remote_addr: str, forwarded_for: str = "", proxy_count: int = 0) -> str:
    """The client's address as seen by the outermost of `proxy_count` trusted reverse proxies.

    With no proxy in front, REMOTE_ADDR is the client. Behind N proxies each appends the address it
    received the request from to X-Forwarded-For, so the Nth entry from the right is the one the
    outermost trusted proxy saw; entries to its left are whatever the client chose to send.
    """
    if proxy_count <= 0:
        return remote_addr or "unknown"
    hops = [h.strip() for h in (forwarded_for or "").split(",") if h.strip()]
    if len(hops) >= proxy_count:
        return hops[-proxy_count]
    return hops[0] if hops else (remote_addr or "unknown")
