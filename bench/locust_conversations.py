"""Load scenario for 'Wat vind jij?': many group sessions at once, ten phones each.

Run by bench/load_conversations.py (part of `make load`), which creates the sessions and the
facilitators' logins and names them in the JSON file LOAD_DATA. Locust user i belongs to session
i // 11; the first of each eleven is the facilitator, the others are participants. The
facilitator waits for all ten participants, then puts each statement on the screen in turn;
participants poll the state once a second (as static/js/conversations.js does), answer each new
statement, and record the **distribution latency**: from the moment the session's last answer
was stored (its POST returned) to the moment their poll shows the distribution.
Loopback only.
"""

import itertools
import json
import os
import random
import time

import gevent
from gevent.event import Event
from locust import HttpUser, events, task
from locust.exception import StopUser

DATA = json.loads(open(os.environ["LOAD_DATA"]).read()) if os.environ.get("LOAD_DATA") else None
GROUP = 11
POLL_SECONDS = 1.0
_next = itertools.count()
_sessions: dict[int, dict] = {}
_latencies: list[float] = []
_state = {"finished": 0, "completed_sessions": 0}


def _session(index: int) -> dict:
    return _sessions.setdefault(
        index,
        {
            "joined": 0,
            "all_joined": Event(),
            "answers": {},  # shown id -> answers stored
            "last_answer": {},  # shown id -> monotonic time the last answer was stored
            "seen": {},  # shown id -> participants who saw the distribution
            "revealed_all": {},  # shown id -> Event
        },
    )


def _event(shared: dict, shown_id: int) -> Event:
    return shared["revealed_all"].setdefault(shown_id, Event())


class Member(HttpUser):
    wait_time = staticmethod(lambda: 0)

    def on_start(self):
        if DATA is None:
            raise StopUser
        index = next(_next)
        if index >= len(DATA["sessions"]) * GROUP:
            raise StopUser
        self.session_index, self.seat = divmod(index, GROUP)
        self.data = DATA["sessions"][self.session_index]
        self.shared = _session(self.session_index)
        self.csrf = DATA["csrf"][index]
        self.client.cookies.set("csrftoken", self.csrf)
        self.headers = {"X-CSRFToken": self.csrf}
        self.rng = random.Random(index)  # noqa: S311 - which answer, not security
        if self.seat == 0:
            self.client.cookies.set("sessionid", self.data["sessionid"])

    @task
    def take_part(self):
        try:
            if self.seat == 0:
                self.facilitate()
            else:
                self.participate()
        finally:
            _state["finished"] += 1
            if _state["finished"] >= len(DATA["sessions"]) * GROUP:
                gevent.spawn_later(0.5, self.environment.runner.quit)
        raise StopUser

    def facilitate(self):
        code = self.data["code"]
        if not self.shared["all_joined"].wait(timeout=120):
            events.request.fire(
                request_type="WAIT",
                name="participants joined",
                response_time=0,
                response_length=0,
                exception=Exception("not all participants joined"),
            )
            return
        for n in range(DATA["statements"]):
            with self.client.post(
                f"/wat-vind-jij/sessie/{code}/volgende/",
                headers=self.headers,
                allow_redirects=False,
                name="facilitator: next statement",
                catch_response=True,
            ) as response:
                if response.status_code != 302:
                    response.failure(f"next answered {response.status_code}")
                    return
                response.success()
            # The shown id is what the participants' polls will see; wait for all ten.
            shown_id = self._current_shown(code)
            if shown_id is None or not _event(self.shared, shown_id).wait(timeout=60):
                events.request.fire(
                    request_type="WAIT",
                    name="everyone saw the distribution",
                    response_time=0,
                    response_length=0,
                    exception=Exception(f"statement {n + 1} not seen by all"),
                )
                return
        self.client.post(
            f"/wat-vind-jij/sessie/{code}/einde/",
            headers=self.headers,
            allow_redirects=False,
            name="facilitator: close",
        )
        _state["completed_sessions"] += 1

    def _current_shown(self, code):
        response = self.client.get(f"/doe-mee/{code}/stand/", name="facilitator: state")
        if response.status_code != 200:
            return None
        statement = response.json()["statement"]
        return statement["id"] if statement else None

    def participate(self):
        code = self.data["code"]
        with self.client.post(
            f"/doe-mee/{code}/",
            headers=self.headers,
            allow_redirects=False,
            name="participant: join",
            catch_response=True,
        ) as response:
            if response.status_code != 302 or f"wvj-{code}" not in self.client.cookies:
                response.failure(f"join answered {response.status_code}")
                return
            response.success()
        self.shared["joined"] += 1
        if self.shared["joined"] >= GROUP - 1:
            self.shared["all_joined"].set()
        version, answered, seen = "", set(), set()
        deadline = time.monotonic() + 60 + 30 * DATA["statements"]
        while len(seen) < DATA["statements"] and time.monotonic() < deadline:
            response = self.client.get(
                f"/doe-mee/{code}/stand/", params={"v": version}, name="participant: poll state"
            )
            if response.status_code == 200:
                state = response.json()
                version = str(state["version"])
                statement = state["statement"]
                if statement and statement["id"] not in answered:
                    self._answer(code, statement)
                    answered.add(statement["id"])
                    continue
                if statement and statement["revealed"] and statement["id"] not in seen:
                    shown_id = statement["id"]
                    stored = self.shared["last_answer"].get(shown_id)
                    if stored is not None:
                        _latencies.append((time.monotonic() - stored) * 1000)
                    seen.add(shown_id)
                    self.shared["seen"][shown_id] = self.shared["seen"].get(shown_id, 0) + 1
                    if self.shared["seen"][shown_id] >= GROUP - 1:
                        _event(self.shared, shown_id).set()
            gevent.sleep(POLL_SECONDS)

    def _answer(self, code, statement):
        choice = self.rng.choice(statement["choices"])["value"]
        with self.client.post(
            f"/doe-mee/{code}/antwoord/",
            data={"shown": statement["id"], "answer": choice},
            headers=self.headers,
            allow_redirects=False,
            name="participant: answer",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"answer answered {response.status_code}")
                return
            response.success()
        count = self.shared["answers"].get(statement["id"], 0) + 1
        self.shared["answers"][statement["id"]] = count
        if count >= GROUP - 1:
            self.shared["last_answer"][statement["id"]] = time.monotonic()


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
    with open(os.environ["LOAD_RESULTS"], "w") as handle:
        json.dump(
            {
                "timings_ms": _timings,
                "failures": _failures,
                "latencies_ms": _latencies,
                "completed_sessions": _state["completed_sessions"],
            },
            handle,
        )
