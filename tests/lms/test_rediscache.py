"""lms.lib.rediscache against the real Redis every machine runs (database 13, emptied)."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from lms.lib.rediscache import RedisCache

REDIS_URL = "redis://127.0.0.1:6379/13"


@pytest.fixture
def redis_cache():
    cache = RedisCache(REDIS_URL, {"KEY_PREFIX": "test-rediscache"})
    cache.clear()
    yield cache
    cache.clear()


def test_it_keeps_one_client_per_connection_pool(redis_cache):
    client = redis_cache._cache
    assert client.get_client("a") is client.get_client("b")
    assert client.get_client("a", write=True) is client.get_client("b", write=True)


def test_it_stores_and_reads_values_like_djangos_backend(redis_cache):
    redis_cache.set("snapshot", {"segments": ["<p>x</p>"] * 3}, 60)
    assert redis_cache.get("snapshot") == {"segments": ["<p>x</p>"] * 3}
    assert redis_cache.get_many(["snapshot", "missing"]) == {
        "snapshot": {"segments": ["<p>x</p>"] * 3}
    }
    assert redis_cache.add("snapshot", "other", 60) is False
    redis_cache.delete("snapshot")
    assert redis_cache.get("snapshot") is None


def test_it_serves_many_threads_through_the_shared_client(redis_cache):
    def work(i):
        redis_cache.set(f"k{i}", i, 60)
        return redis_cache.get(f"k{i}")

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert list(pool.map(work, range(200))) == list(range(200))
