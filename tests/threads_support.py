"""Run callables in real threads at once, each with its own database connection."""

import threading

from django.db import connections


def run_in_threads(*targets, timeout: float = 60) -> None:
    """Start one thread per target, wait for all, and fail with what any of them raised.
    Each thread closes its database connections when done (a transactional test flushes after)."""
    errors = []

    def guarded(target):
        try:
            target()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guarded, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert errors == []
