"""Django's Redis cache backend, keeping one redis-py client per connection pool.

Django's `RedisCacheClient.get_client()` builds a new `redis.Redis` for every cache call, and
each build copies redis-py's table of ~170 response callbacks: on a lesson page (a session
read and a snapshot read) that was a measurable share of the request. A `redis.Redis` is
thread-safe (it takes a connection from its pool per command), so one per pool is enough.
Select it with `CACHES["default"]["BACKEND"] = "lms.lib.rediscache.RedisCache"`.
"""

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = super().get_client(key, write=write)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
