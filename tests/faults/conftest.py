"""The loopback LRS and the shared record personas (tests/lrs_support.py)."""

import pytest

from tests.lrs_support import body, closed_port_endpoint, lrs, lrs_server, rich_course  # noqa: F401


@pytest.fixture(autouse=True)
def outside_any_task():
    """These tests call tasks eagerly and wait for their results, as a caller outside Celery.

    Under pytest-xdist an earlier test in the same process can leave Celery's process-wide flag
    saying "inside a worker task", and then `result.get()` refuses; a fresh process has it off.
    """
    from celery import _state

    _state._set_task_join_will_block(False)
    yield
