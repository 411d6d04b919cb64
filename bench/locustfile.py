"""Load scenario: 300 learners start the final test at the same moment and submit it.

Run by `make load` (bench/load.py), which prepares the learners (enrolled, lessons done, logged in)
and writes their sessions to the JSON file named by LOAD_DATA. Every simulated learner:
opens the test page, starts an attempt, loads the form, submits (most pass, some fail) and opens
the result. All learners wait for each other after logging in, so the start is simultaneous.
Loopback only: bench/load.py points --host at its own gunicorn on 127.0.0.1.
"""

import itertools
import json
import os
import random
import urllib.parse

import gevent
from gevent.event import Event
from locust import HttpUser, events, task
from locust.exception import StopUser

DATA = json.loads(open(os.environ["LOAD_DATA"]).read()) if os.environ.get("LOAD_DATA") else None
_next = itertools.count()
_ready = Event()
_state = {"arrived": 0, "finished": 0}


def _arrive(total: int):
    _state["arrived"] += 1
    if _state["arrived"] >= total:
        _ready.set()


class Learner(HttpUser):
    # No think time: the point is everyone hitting the test at once.
    wait_time = staticmethod(lambda: 0)

    def on_start(self):
        if DATA is None:
            raise StopUser
        index = next(_next)
        if index >= len(DATA["sessions"]):
            raise StopUser
        session = DATA["sessions"][index]
        self.client.cookies.set("sessionid", session["sessionid"])
        self.client.cookies.set("csrftoken", session["csrf"])
        self.csrf = session["csrf"]
        self.rng = random.Random(index)  # noqa: S311 - who passes, not security
        _arrive(len(DATA["sessions"]))
        _ready.wait(timeout=60)

    @task
    def take_final_test(self):
        quiz_url = DATA["quiz_url"]
        headers = {"X-CSRFToken": self.csrf, "Referer": self.host + quiz_url}
        self.client.get(quiz_url, name="1 open test page")
        with self.client.post(
            DATA["start_url"],
            headers=headers,
            allow_redirects=False,
            name="2 start attempt",
            catch_response=True,
        ) as start:
            attempt_url = urllib.parse.urlsplit(start.headers.get("Location", "")).path
            started = start.status_code == 302 and "/poging/" in attempt_url
            if started:
                start.success()
            else:
                start.failure(f"start answered {start.status_code} {attempt_url!r}")
        if not started:
            self._finish()
        self.client.get(attempt_url, name="3 load test form")
        answers = DATA["right_answers"] if self.rng.random() < 0.8 else DATA["wrong_answers"]
        with self.client.post(
            attempt_url,
            data=answers,
            headers=headers,
            allow_redirects=False,
            name="4 submit answers",
            catch_response=True,
        ) as submitted:
            result_url = urllib.parse.urlsplit(submitted.headers.get("Location", "")).path
            ok = submitted.status_code == 302 and "/resultaat/" in result_url
            if ok:
                submitted.success()
            else:
                submitted.failure(f"submit answered {submitted.status_code}")
        if ok:
            self.client.get(result_url, name="5 see result")
        self._finish()

    def _finish(self):
        _state["finished"] += 1
        if _state["finished"] >= len(DATA["sessions"]):
            # Everyone is done: end the run instead of idling until --run-time.
            gevent.spawn_later(0.5, self.environment.runner.quit)
        raise StopUser


# Every response time and failure, written to LOAD_RESULTS when locust quits: exact percentiles,
# independent of when locust last flushed its own CSV.
_timings: dict[str, list[float]] = {}
_failures: list[str] = []


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **kwargs):
    _timings.setdefault(name, []).append(response_time)
    if exception is not None:
        _failures.append(f"{name}: {exception}")


@events.quitting.add_listener
def _write_results(environment, **kwargs):
    if not os.environ.get("LOAD_RESULTS"):
        return
    unfinished = len(DATA["sessions"]) - _state["finished"] if DATA else 0
    with open(os.environ["LOAD_RESULTS"], "w") as handle:
        json.dump({"timings_ms": _timings, "failures": _failures, "unfinished": unfinished}, handle)
