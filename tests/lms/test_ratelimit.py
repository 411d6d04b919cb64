import pytest

from lms.lib.ratelimit import FailureLimiter, MemoryStore, client_address, minutes_until


class Clock:
    def __init__(self, now=1_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def limiter(clock):
    return FailureLimiter(MemoryStore(clock), attempts=3, window_seconds=600, clock=clock)


def test_it_locks_a_key_after_the_allowed_number_of_failures(limiter, clock):
    for _ in range(2):
        limiter.record_failure("sam@example.org")
        clock.now += 10
    assert not limiter.is_locked("sam@example.org")
    limiter.record_failure("sam@example.org")
    assert limiter.is_locked("sam@example.org")
    # Locked until the oldest counted failure (20 s ago) leaves the 600 s window.
    assert limiter.retry_after("sam@example.org") == pytest.approx(580)


def test_it_keeps_keys_apart(limiter):
    for _ in range(3):
        limiter.record_failure("a@example.org")
    assert limiter.is_locked("a@example.org")
    assert not limiter.is_locked("b@example.org")


def test_it_unlocks_when_failures_slide_out_of_the_window(limiter, clock):
    for _ in range(3):  # failures at t=0, 100 and 200
        limiter.record_failure("k")
        clock.now += 100
    assert limiter.is_locked("k")
    clock.now += 299  # t=599: the first failure still counts
    assert limiter.is_locked("k")
    clock.now += 2  # t=601: it no longer does
    assert not limiter.is_locked("k")
    # The failures at t=100 and t=200 still count: one more locks the key again.
    limiter.record_failure("k")
    assert limiter.is_locked("k")


def test_it_forgets_old_failures_completely(limiter, clock):
    for _ in range(3):
        limiter.record_failure("k")
    clock.now += 601
    assert limiter.retry_after("k") == 0
    limiter.record_failure("k")
    assert not limiter.is_locked("k")


def test_it_resets_a_key(limiter):
    for _ in range(3):
        limiter.record_failure("k")
    limiter.reset("k")
    assert not limiter.is_locked("k")


def test_it_does_not_store_the_raw_key():
    store = MemoryStore()
    FailureLimiter(store, 2, 60, prefix="login").record_failure("sam@example.org")
    assert all("sam@example.org" not in key for key in store._data)


def test_it_refuses_a_nonsense_configuration():
    with pytest.raises(ValueError):
        FailureLimiter(MemoryStore(), attempts=0, window_seconds=60)


@pytest.mark.parametrize(("seconds", "minutes"), [(1, 1), (59, 1), (60, 1), (61, 2), (899.5, 15)])
def test_it_rounds_waiting_time_up_to_whole_minutes(seconds, minutes):
    assert minutes_until(seconds) == minutes


@pytest.mark.parametrize(
    ("remote", "forwarded", "proxies", "expected"),
    [
        ("203.0.113.5", "", 0, "203.0.113.5"),
        ("203.0.113.5", "198.51.100.1", 0, "203.0.113.5"),  # header ignored without a trusted proxy
        ("10.0.0.2", "spoofed, 198.51.100.7", 1, "198.51.100.7"),
        ("10.0.0.2", "spoofed, 198.51.100.7, 10.0.0.1", 2, "198.51.100.7"),
        ("10.0.0.2", "", 1, "10.0.0.2"),
    ],
)
def test_it_finds_the_client_address_behind_trusted_proxies(remote, forwarded, proxies, expected):
    assert client_address(remote, forwarded, proxies) == expected


def test_it_expires_memory_store_entries(clock):
    store = MemoryStore(clock)
    store.set("a", 1, timeout=10)
    clock.now += 9
    assert store.get("a") == 1
    clock.now += 1
    assert store.get("a") is None
