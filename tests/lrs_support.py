"""A real LRS on loopback and the personas shared by the record and package tests.

Its fixtures are imported by the conftest.py of tests/records, tests/scorm_export, tests/faults.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from courses import services
from courses.models import (
    Lesson,
    Quiz,
    ReflectionBlock,
    ScaleQuestion,
)
from records.models import AccreditationBody, LearningRecordStore
from tests import factories
from tests.factories import correct_answers  # noqa: F401 - re-exported for these tests

LRS_USER = "lrs-user"
LRS_PASSWORD = "lrs-geheim"


class LRSServer:
    """A small but real xAPI LRS over HTTP on 127.0.0.1 (ephemeral port), run in a thread.

    By default it stores POSTed statement batches and answers 200 with their ids, refusing a batch
    with 409 when it already holds one of its ids (as a strict LRS does). Tests script it:
    - `script`: statuses to answer to the next requests, in order (e.g. [500] then normal);
    - `refuse_ids`: statement ids it refuses with 400 (poison), whatever batch they are in;
    - `hang`: answer nothing until the test ends (the client must time out).
    """

    def __init__(self):
        self.requests: list[dict] = []
        self.stored: dict[str, dict] = {}
        self.script: deque[int] = deque()
        self.refuse_ids: set[str] = set()
        self.hang = False
        self.release = threading.Event()
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps the connection open, as LRSs do
            disable_nagle_algorithm = True  # headers and body are two writes: no ACK stall

            def log_message(self, *args):
                pass

            def _answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                with server.lock:
                    server.requests.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": raw.decode(),
                            "client_port": self.client_address[1],
                        }
                    )
                if server.hang:
                    server.release.wait(30)
                    return
                expected = (
                    "Basic " + base64.b64encode(f"{LRS_USER}:{LRS_PASSWORD}".encode()).decode()
                )
                if self.headers.get("Authorization") != expected:
                    return self._answer(401, {"error": "bad credentials"})
                if (
                    self.path != "/xapi/statements"
                    or self.headers.get("X-Experience-API-Version") != "1.0.3"
                ):
                    return self._answer(400, {"error": "wrong path or version header"})
                with server.lock:
                    if server.script:
                        status = server.script.popleft()
                        return self._answer(status, {"error": f"scripted {status}"})
                    batch = json.loads(raw)
                    if not isinstance(batch, list):
                        batch = [batch]
                    ids = [s["id"] for s in batch]
                    refused = [i for i in ids if i in server.refuse_ids]
                    if refused:
                        return self._answer(400, {"error": f"invalid statement {refused[0]}"})
                    if any(i in server.stored for i in ids):
                        return self._answer(409, {"error": "statement id already stored"})
                    for statement in batch:
                        server.stored[statement["id"]] = statement
                return self._answer(200, ids)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/xapi/"

    def batches(self) -> list[list[dict]]:
        return [json.loads(r["body"]) for r in self.requests]

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def lrs_server():
    server = LRSServer().start()
    yield server
    server.stop()


@pytest.fixture
def lrs(db, lrs_server):
    return LearningRecordStore.objects.create(
        name="Test-LRS", endpoint=lrs_server.endpoint, username=LRS_USER, password=LRS_PASSWORD
    )


@pytest.fixture
def closed_port_endpoint():
    """An endpoint on loopback where nothing listens (connection refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/xapi/"


@pytest.fixture
def body(db):
    return AccreditationBody.objects.create(name="Accreditatiebureau Huisartsen", slug="abc1")


REFLECTION_SECRET = "MIJN-GEHEIME-REFLECTIE-7Q4"


def make_rich_course(slug="rijk"):
    """A course with every block kind (a reflection, a practice quiz of three question types),
    a self-assessment (scale) and a final test."""
    course = factories.make_course(slug=slug, publish=False)
    version = course.versions.get()
    first = Lesson.objects.filter(module__version=version).order_by("position").first()
    factories.add_every_block_kind(first, start=10)
    self_assessment = Quiz.objects.create(
        version=version, key="nulmeting", title="Nulmeting", kind=Quiz.Kind.SELF_ASSESSMENT
    )
    ScaleQuestion.objects.create(
        quiz=self_assessment, position=0, key="s1", prompt="<p>Ik voel me zeker</p>"
    )
    factories.publish_version(version)
    return course


def run_journey(learner, course, *, fail_first=True):
    """Everything a learner does in a course, through the services: returns the enrolment.

    Writes a private reflection containing REFLECTION_SECRET along the way.
    """
    enrollment = services.enroll_learner(learner, course)
    version = enrollment.version
    for block in ReflectionBlock.objects.filter(lesson__module__version=version):
        services.save_reflection(
            learner, block, f"Ik dacht eerst {REFLECTION_SECRET} maar nu niet meer."
        )
    for quiz in version.quizzes.exclude(kind=Quiz.Kind.FINAL):
        phase = "pre" if quiz.kind == Quiz.Kind.SELF_ASSESSMENT else ""
        attempt = services.start_attempt(enrollment, quiz, phase=phase)
        services.submit_attempt(attempt.pk, correct_answers(quiz), learner)
    for lesson in Lesson.objects.filter(module__version=version).order_by("position"):
        services.start_lesson(enrollment, lesson)
        services.complete_lesson(enrollment, lesson)
    final = version.final_test
    if fail_first:
        services.submit_attempt(services.start_attempt(enrollment, final).pk, {}, learner)
    services.submit_attempt(
        services.start_attempt(enrollment, final).pk, correct_answers(final), learner
    )
    enrollment.refresh_from_db()
    return enrollment


@pytest.fixture
def rich_course(db):
    """Two lessons (the first with every block kind); a final test of 3 questions, pass mark 70."""
    course = factories.make_course(slug="diversiteit", lessons=2, final_questions=3, pass_mark=70)
    first = (
        Lesson.objects.filter(module__version=course.published_version).order_by("position").first()
    )
    with factories.unpublished(course.published_version):
        factories.add_every_block_kind(first, start=10)
    return course
