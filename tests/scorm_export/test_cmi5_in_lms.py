"""An exported cmi5 package runs in chromium against a loopback LRS, which checks the statements."""

import json
import re
import time
import uuid
from urllib.parse import urlencode

import pytest

from scorm_export.packaging.builder import builder_for
from tests.scorm_export import learner
from tests.scorm_export.harness import LocalLrs, browser_page, make_site, serve

pytestmark = [pytest.mark.django_db, pytest.mark.browser]

CMI5 = "https://w3id.org/xapi/cmi5/"
VERBS = {
    "initialized": "http://adlnet.gov/expapi/verbs/initialized",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "terminated": "http://adlnet.gov/expapi/verbs/terminated",
    "progressed": "http://adlnet.gov/expapi/verbs/progressed",
}
SESSION_EXT = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
MASTERY_EXT = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"


def au_id(package: bytes) -> str:
    import io
    import zipfile

    from lxml import etree

    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(package)).read("cmi5.xml"))
    return root.find("{https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd}au").get("id")


def launch_url(base, lrs, actor, registration, activity_id):
    query = urlencode(
        {
            "endpoint": lrs.base + "/xapi/",
            "fetch": lrs.base + "/fetch",
            "actor": json.dumps(actor),
            "registration": registration,
            "activityId": activity_id,
        }
    )
    return f"{base}/pkg/index.html?{query}"


def verbs(statements):
    return [s["verb"]["id"].rsplit("/", 1)[1] for s in statements]


def test_it_sends_cmi5_statements_and_resumes_from_the_lrs_state(rich_course, tmp_path):
    package = builder_for("cmi5", rich_course.published_version).build_bytes()
    activity_id = au_id(package)
    site = make_site(tmp_path, package)
    actor = {
        "objectType": "Agent",
        "account": {"homePage": "https://lms.example.org", "name": "learner-1"},
    }
    registration = str(uuid.uuid4())
    # The LMS's masteryScore (from cmi5.xml, here lowered by the LMS) must be honoured at runtime.
    with (
        LocalLrs(mastery_score=0.6) as lrs,
        serve(site) as base,
        browser_page() as (page, console_errors),
    ):
        first_session = lrs.new_session(actor, activity_id, registration)
        page.goto(launch_url(base, lrs, actor, registration, activity_id))
        learner.wait_ready(page)
        learner.work_through_first_lesson(page, "Blijft in de browser")
        learner.exit_course(page)
        page.wait_for_function("() => document.querySelector('#spk-status').textContent.length > 0")

        first = list(lrs.statements)
        assert verbs(first)[0] == "initialized"
        assert verbs(first)[-1] == "terminated"
        assert not {"passed", "failed", "completed"} & set(verbs(first))

        second_session = lrs.new_session(actor, activity_id, registration)
        page.goto(launch_url(base, lrs, actor, registration, activity_id))
        learner.wait_ready(page)
        assert learner.visible_page_title(page) == "Les 2"  # resumed from the xAPI State
        assert "Welkom terug" in page.locator("#spk-status").inner_text()
        learner.complete_lesson(page)
        assert "niet gehaald" in learner.take_final_test(page, right=1)  # 33 %
        assert "geslaagd" in learner.take_final_test(
            page, right=2
        )  # 67 % ≥ LMS mastery 60 % (course: 70 %)
        learner.press(page, page.get_by_role("button", name="Volgende"))
        learner.exit_course(page)
        page.wait_for_function("() => document.querySelector('#spk-status').textContent.length > 0")

        assert page.evaluate("SpkRuntime.errors") == []
        # The only failed request is the first session's read of the AU's own State, which did not
        # exist yet.
        assert len(console_errors) == 1
        assert "404" in console_errors[0] and "package-suspend-data" in console_errors[0]
        assert lrs.bad_auth == []
        statements = lrs.statements
        second = statements[len(first) :]
        judged = [v for v in verbs(second) if v != "progressed"]
        # Completed once every lesson is done and the test was taken; passed when a later attempt
        # makes the mark.
        assert judged == ["initialized", "failed", "completed", "passed", "terminated"]

        for statement, session in [(s, first_session) for s in first] + [
            (s, second_session) for s in second
        ]:
            assert statement["actor"] == actor
            assert statement["object"]["id"] == activity_id
            assert statement["context"]["registration"] == registration
            assert statement["context"]["extensions"][SESSION_EXT] == session
            assert statement["verb"]["id"] == VERBS[statement["verb"]["id"].rsplit("/", 1)[1]]
        by_verb = {verbs([s])[0]: s for s in second}
        assert by_verb["failed"]["result"]["score"]["scaled"] == 0.33
        assert by_verb["failed"]["result"]["success"] is False
        assert by_verb["passed"]["result"]["score"] == {  # 2/3 rounded down, never up
            "scaled": 0.66,
            "raw": 66,
            "min": 0,
            "max": 100,
        }
        assert by_verb["passed"]["result"]["success"] is True
        assert by_verb["passed"]["context"]["extensions"][MASTERY_EXT] == 0.6
        assert by_verb["completed"]["result"]["completion"] is True
        categories = {
            c["id"] for c in by_verb["passed"]["context"]["contextActivities"]["category"]
        }
        assert {CMI5 + "context/categories/cmi5", CMI5 + "context/categories/moveon"} <= categories
        assert "duration" in by_verb["terminated"]["result"]
        # The reflection never reached the LRS: not in statements, not in State documents.
        everything = json.dumps(statements) + "".join(v.decode() for v in lrs.state.values())
        assert "Blijft in de browser" not in everything


def test_it_judges_nothing_in_a_browse_launch(rich_course, tmp_path):
    """cmi5 §10: in Browse mode the AU sends no passed, failed or completed statement."""
    package = builder_for("cmi5", rich_course.published_version).build_bytes()
    activity_id = au_id(package)
    site = make_site(tmp_path, package)
    actor = {"objectType": "Agent", "mbox": "mailto:learner@example.org"}
    registration = str(uuid.uuid4())
    with (
        LocalLrs(mastery_score=0.7, launch_mode="Browse") as lrs,
        serve(site) as base,
        browser_page() as (page, _console_errors),
    ):
        lrs.new_session(actor, activity_id, registration)
        page.goto(launch_url(base, lrs, actor, registration, activity_id))
        learner.wait_ready(page)
        learner.complete_lesson(page)
        learner.complete_lesson(page)
        assert "geslaagd" in learner.take_final_test(page, right=3)
        learner.exit_course(page)
        page.wait_for_function("() => document.querySelector('#spk-status').textContent.length > 0")
        assert verbs(lrs.statements) == ["initialized", "terminated"]
        assert page.evaluate("SpkRuntime.errors") == []


def test_it_returns_to_the_lms_after_terminating_when_launch_data_says_where(rich_course, tmp_path):
    """cmi5 §10.2.6: with a returnURL in LMS.LaunchData, the AU navigates there once terminated."""
    package = builder_for("cmi5", rich_course.published_version).build_bytes()
    activity_id = au_id(package)
    site = make_site(tmp_path, package)
    actor = {"objectType": "Agent", "mbox": "mailto:learner@example.org"}
    registration = str(uuid.uuid4())
    (site / "terug-naar-lms.html").write_text("<title>LMS</title><p>Terug in het LMS</p>")
    with serve(site) as base:
        return_url = f"{base}/terug-naar-lms.html"
        with (
            LocalLrs(mastery_score=0.7, return_url=return_url) as lrs,
            browser_page() as (page, _console_errors),
        ):
            lrs.new_session(actor, activity_id, registration)
            page.goto(launch_url(base, lrs, actor, registration, activity_id))
            learner.wait_ready(page)
            learner.complete_lesson(page)
            learner.press(page, page.locator("#spk-exit"))
            page.wait_for_url(return_url, timeout=15000)
            assert verbs(lrs.statements)[-1] == "terminated"


def wait_for(condition, seconds=15.0):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("leave", ["close", "navigate"])
def test_it_terminates_and_keeps_the_place_when_the_window_closes(rich_course, tmp_path, leave):
    """cmi5 §9.3.8: closing the window (or leaving the page) still ends the session with a
    terminated statement, the last one, and the State keeps where the learner was, so the next
    launch resumes there instead of at the start."""
    package = builder_for("cmi5", rich_course.published_version).build_bytes()
    activity_id = au_id(package)
    site = make_site(tmp_path, package)
    (site / "elders.html").write_text("<title>Elders</title><p>Elders</p>")
    actor = {
        "objectType": "Agent",
        "account": {"homePage": "https://lms.example.org", "name": "learner-2"},
    }
    registration = str(uuid.uuid4())
    with (
        LocalLrs(mastery_score=0.7) as lrs,
        serve(site) as base,
        browser_page() as (page, _console_errors),
    ):
        session = lrs.new_session(actor, activity_id, registration)
        page.goto(launch_url(base, lrs, actor, registration, activity_id))
        learner.wait_ready(page)
        learner.complete_lesson(page)
        learner.complete_lesson(page)
        where = learner.visible_page_title(page)
        assert where != "Les 1"
        if leave == "close":
            page.close(run_before_unload=True)
        else:
            page.goto(f"{base}/elders.html")

        assert wait_for(lambda: "terminated" in verbs(lrs.statements)), verbs(lrs.statements)
        statements = list(lrs.statements)
        assert verbs(statements)[0] == "initialized" and verbs(statements)[-1] == "terminated"
        assert verbs(statements).count("terminated") == 1
        terminated = statements[-1]
        assert max(s["timestamp"] for s in statements) == terminated["timestamp"]
        assert terminated["object"]["id"] == activity_id
        assert terminated["actor"] == actor
        assert terminated["context"]["registration"] == registration
        assert terminated["context"]["extensions"][SESSION_EXT] == session
        categories = [c["id"] for c in terminated["context"]["contextActivities"]["category"]]
        assert categories == [CMI5 + "context/categories/cmi5"]
        assert re.fullmatch(r"PT\d+H\d+M\d+\.\d{2}S", terminated["result"]["duration"])
        assert uuid.UUID(terminated["id"]).version == 4
        assert lrs.bad_auth == []

        # The next launch resumes where the learner was.
        lrs.new_session(actor, activity_id, registration)
        again = page.context.new_page() if leave == "close" else page
        again.goto(launch_url(base, lrs, actor, registration, activity_id))
        learner.wait_ready(again)
        assert learner.visible_page_title(again) == where
        assert "Welkom terug" in again.locator("#spk-status").inner_text()
