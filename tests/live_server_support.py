"""pytest-django's live server with a gate in front of the application, so a test ends cleanly.

A browser test can end while its pages still talk to the server: a heartbeat or job-status poll
in flight, a keepalive beat sent as a page is hidden or closed, a context the test opened and
left open. pytest-django then flushes the database (TRUNCATE) while a server thread is inside a
transaction; once that deadlocked (PostgreSQL DeadlockDetected), the flush failed and the next
test in the worker found the last test's users. So at the end of every live-server test the gate
closes, teardown waits until each request already inside the application has finished (its
database connection is closed by Django's request_finished) and only then does the flush run.
A request that arrives while the gate is closed belongs to no test: it is answered 503 without
touching the database. The next test opens the gate again.
"""

import threading

from django.core.servers.basehttp import ThreadedWSGIServer


class GatedWSGIServer(ThreadedWSGIServer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._state = threading.Condition()
        self._inside = 0
        self._open = True

    def set_app(self, application):
        super().set_app(self._gated(application))

    def open(self):
        with self._state:
            self._open = True

    def close_and_drain(self, timeout):
        """Refuse new requests and wait until none is inside the application.

        Raises TimeoutError (the gate stays closed) when requests are still inside after
        `timeout` seconds."""
        with self._state:
            self._open = False
            if not self._state.wait_for(lambda: self._inside == 0, timeout):
                raise TimeoutError(
                    f"{self._inside} live-server request(s) still running {timeout} s after "
                    "the test ended; the database is not flushed under them"
                )

    def _gated(self, application):
        def gated(environ, start_response):
            with self._state:
                if not self._open:
                    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                    return [b"The test this request belonged to has ended.\n"]
                self._inside += 1
            try:
                response = application(environ, start_response)
            except BaseException:
                self._leave()
                raise
            return _LeaveOnClose(response, self._leave)

        return gated

    def _leave(self):
        with self._state:
            self._inside -= 1
            self._state.notify_all()


class _LeaveOnClose:
    """A WSGI response that counts as inside until the server closes it: a streamed body is
    read from the database while it is sent, and Django closes the request's database
    connection in the response's close()."""

    def __init__(self, response, leave):
        self.response = response
        self.leave = leave
        self.closed = False

    def __iter__(self):
        return iter(self.response)

    def close(self):
        if self.closed:  # wsgiref may close twice on an error path; leave once
            return
        self.closed = True
        try:
            if hasattr(self.response, "close"):
                self.response.close()
        finally:
            self.leave()


def start_live_server(addr):
    """pytest-django's LiveServer at `addr`, serving through a GatedWSGIServer."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer(addr, start=False)
    server.thread.server_class = GatedWSGIServer
    server.start()
    return server
