"""Test helpers for running exported packages in headless chromium against local stand-ins.

- `serve(root)`: a loopback http.server for a folder (the unzipped package and the test LMS page).
- `LocalLrs`: a loopback LRS for cmi5 (fetch URL, statements, State and agent profile).
- `browser_page()`: Debian's chromium through Playwright (never `playwright install`).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import shutil
import threading
import uuid
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings

from lms.lib.safezip import safe_extract
from tests.browser_support import shared_browser

HERE = Path(__file__).resolve().parent


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


@contextlib.contextmanager
def serve(root: Path):
    """Serve `root` on 127.0.0.1 (ephemeral port); yields the base URL."""
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def make_site(tmp_path: Path, package_zip: bytes) -> Path:
    """A folder with the unzipped package under pkg/ and the test LMS under lms/."""
    site = tmp_path / "site"
    (site / "pkg").mkdir(parents=True)
    zip_path = tmp_path / "package.zip"
    zip_path.write_bytes(package_zip)
    safe_extract(zip_path, site / "pkg")
    shutil.copytree(HERE / "lms_page", site / "lms")
    dist = Path(settings.BASE_DIR) / "node_modules" / "scorm-again" / "dist" / "scorm-again.js"
    shutil.copy(dist, site / "lms" / "scorm-again.js")
    (site / "favicon.ico").write_bytes(b"")  # keeps chromium's automatic request from logging a 404
    return site


@contextlib.contextmanager
def browser_page():
    """A fresh chromium page; yields (page, console_errors)."""
    context = shared_browser().new_context(locale="nl-NL")
    try:
        page = context.new_page()
        console_errors: list[str] = []
        page.on(
            "console",
            lambda msg: (
                console_errors.append(f"{msg.text} @ {msg.location.get('url', '')}")
                if msg.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda exc: console_errors.append(str(exc)))
        yield page, console_errors
    finally:
        context.close()


# --- a loopback LRS for cmi5 ---


class LocalLrs:
    """Just enough of an LRS and cmi5 LMS for @xapi/cmi5: the fetch URL hands out an auth token; the
    xAPI endpoint takes statements and answers State (LMS.LaunchData and the AU's own state) and
    the agent profile. Everything received is kept for the test to check.
    """

    def __init__(
        self, mastery_score: float | None, launch_mode: str = "Normal", return_url: str = ""
    ):
        self.token = base64.b64encode(f"au:{uuid.uuid4().hex}".encode()).decode()
        self.statements: list[dict] = []
        self.requests: list[tuple[str, str]] = []
        self.state: dict[tuple, bytes] = {}
        self.bad_auth: list[str] = []
        self.fetch_count = 0
        self.mastery_score = mastery_score
        self.launch_mode = launch_mode
        self.return_url = return_url
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def launch_data(self, context_template: dict) -> dict:
        data: dict[str, Any] = {
            "contextTemplate": context_template,
            "launchMode": self.launch_mode,
            "moveOn": "CompletedAndPassed",
        }
        if self.mastery_score is not None:
            data["masteryScore"] = self.mastery_score
        if self.return_url:
            data["returnURL"] = self.return_url
        return data

    def _handler(self):
        lrs = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # noqa: A002
                pass

            def _cors(self):
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header(
                    "Access-Control-Allow-Headers",
                    "Authorization, Content-Type, X-Experience-API-Version",
                )
                self.send_header("Access-Control-Allow-Methods", "GET, POST, PUT, OPTIONS, DELETE")
                self.send_header("Access-Control-Expose-Headers", "ETag, X-Experience-API-Version")

            def _reply(self, status, body=None):
                payload = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self._cors()
                self.send_header("X-Experience-API-Version", "1.0.3")
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _body(self):
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _authorised(self):
                ok = self.headers.get("Authorization") == f"Basic {lrs.token}"
                if not ok:
                    lrs.bad_auth.append(self.path)
                return ok

            def do_OPTIONS(self):  # noqa: N802
                self.send_response(204)
                self._cors()
                self.end_headers()

            def do_POST(self):  # noqa: N802
                url = urlsplit(self.path)
                lrs.requests.append(("POST", url.path))
                body = self._body()
                if url.path == "/fetch":
                    lrs.fetch_count += 1
                    # cmi5 §8.2.3: the token can be fetched once per launch.
                    if lrs.fetch_count > 1:
                        return self._reply(
                            200, {"error-code": "1", "error-text": "already fetched"}
                        )
                    return self._reply(200, {"auth-token": lrs.token})
                if not self._authorised():
                    return self._reply(401, {"error": "unauthorised"})
                if url.path == "/xapi/statements":
                    statements = json.loads(body)
                    statements = statements if isinstance(statements, list) else [statements]
                    ids = []
                    for statement in statements:
                        statement.setdefault("id", str(uuid.uuid4()))
                        lrs.statements.append(statement)
                        ids.append(statement["id"])
                    return self._reply(200, ids)
                return self._reply(404, {"error": "not found"})

            def do_PUT(self):  # noqa: N802
                url = urlsplit(self.path)
                lrs.requests.append(("PUT", url.path))
                body = self._body()
                if not self._authorised():
                    return self._reply(401, {"error": "unauthorised"})
                if url.path == "/xapi/statements":
                    statement = json.loads(body)
                    lrs.statements.append(statement)
                    return self._reply(204)
                if url.path in {"/xapi/activities/state", "/xapi/agents/profile"}:
                    lrs.state[self._key(url)] = body
                    return self._reply(204)
                return self._reply(404, {"error": "not found"})

            def do_GET(self):  # noqa: N802
                url = urlsplit(self.path)
                lrs.requests.append(("GET", url.path))
                if not self._authorised():
                    return self._reply(401, {"error": "unauthorised"})
                if url.path in {"/xapi/activities/state", "/xapi/agents/profile"}:
                    stored = lrs.state.get(self._key(url))
                    if stored is None:
                        return self._reply(404, {"error": "no such document"})
                    self.send_response(200)
                    self._cors()
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(stored)))
                    self.end_headers()
                    self.wfile.write(stored)
                    return None
                return self._reply(404, {"error": "not found"})

            def _key(self, url):
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                agent = json.loads(query.get("agent", "{}"))
                return (
                    url.path,
                    json.dumps(agent, sort_keys=True),
                    query.get("activityId"),
                    query.get("registration"),
                    query.get("stateId") or query.get("profileId"),
                )

        return Handler

    def seed_launch_data(
        self, actor: dict, activity_id: str, registration: str, session_id: str
    ) -> None:
        """Write LMS.LaunchData as the LMS does before launch (cmi5 §10)."""
        context_template = {
            "contextActivities": {
                "grouping": [{"objectType": "Activity", "id": activity_id.rsplit("/au", 1)[0]}]
            },
            "extensions": {"https://w3id.org/xapi/cmi5/context/extensions/sessionid": session_id},
        }
        key = (
            "/xapi/activities/state",
            json.dumps(actor, sort_keys=True),
            activity_id,
            registration,
            "LMS.LaunchData",
        )
        self.state[key] = json.dumps(self.launch_data(context_template)).encode()
        preferences = (
            "/xapi/agents/profile",
            json.dumps(actor, sort_keys=True),
            None,
            None,
            "cmi5LearnerPreferences",
        )
        self.state[preferences] = json.dumps(
            {"languagePreference": "nl-NL", "audioPreference": "on"}
        ).encode()

    def new_session(self, actor, activity_id, registration) -> str:
        session_id = str(uuid.uuid4())
        self.fetch_count = 0
        self.seed_launch_data(actor, activity_id, registration, session_id)
        return session_id
