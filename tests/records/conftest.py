"""The loopback LRS and the shared record personas (tests/lrs_support.py); the PE-online
stand-in (tests/records/pe_online_support.py)."""

from tests.lrs_support import body, closed_port_endpoint, lrs, lrs_server, rich_course  # noqa: F401
from tests.records.pe_online_support import service  # noqa: F401
