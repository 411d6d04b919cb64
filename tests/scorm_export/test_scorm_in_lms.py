"""Exported SCORM 1.2 and 2004 packages run in chromium inside a test LMS built on scorm-again.

The learner clicks and types through the course; the tests assert what the LMS received.
"""

import json
import re

import pytest

from scorm_export.packaging.builder import builder_for
from tests import factories
from tests.scorm_export import learner
from tests.scorm_export.harness import browser_page, make_site, serve

pytestmark = [pytest.mark.django_db, pytest.mark.browser]

REFLECTION = "Ik merk dat ik vaak aanneem dat mijn patiënt hetero is."


def launch(page, base, standard, initial=None):
    page.evaluate(
        "([s, i, u]) => launchSco(s, i, u)", [standard, initial, base + "/pkg/index.html"]
    )
    frame = page.frame_locator("#sco")
    learner.wait_ready(frame)
    return frame


def assert_clean(page, console_errors):
    """scorm-again logged no error, the SCO saw no LMS error, and the console stayed clean."""
    assert page.evaluate("lmsErrors") == []
    assert page.frame_locator("#sco").locator("#spk-errors").is_hidden()
    sco_errors = page.frames[1].evaluate("SpkRuntime.errors")
    assert sco_errors == []
    assert console_errors == []


def sent_values(page):
    return [call[2] for call in page.evaluate("lmsCalls") if call[2]]


def test_it_runs_a_scorm12_package_and_resumes_it(rich_course, tmp_path):
    package = builder_for("scorm12", rich_course.published_version).build_bytes()
    site = make_site(tmp_path, package)
    with serve(site) as base, browser_page() as (page, console_errors):
        page.goto(base + "/lms/lms.html")
        frame = launch(page, base, "scorm12", {"student_data": {"mastery_score": "70"}})
        assert learner.visible_page_title(frame) == "Les 1"
        learner.work_through_first_lesson(frame, REFLECTION)
        assert learner.visible_page_title(frame) == "Les 2"
        learner.exit_course(frame)

        cmi = page.evaluate("cmiSnapshot()")
        assert cmi["core"]["lesson_status"] == "incomplete"
        assert cmi["core"]["exit"] == "suspend"
        assert cmi["core"]["lesson_location"] == "1"
        assert re.fullmatch(r"\d{2,4}:\d{2}:\d{2}(\.\d{1,2})?", cmi["core"]["session_time"])
        suspended = json.loads(cmi["suspend_data"])
        assert suspended["done"] == [0] and suspended["page"] == 1
        assert page.evaluate("lmsState()")["terminated"] is True
        assert ["LMSFinish", None, None] in page.evaluate("lmsCalls")
        # The reflection stayed in the browser: nothing sent to the LMS contains it.
        assert not any(REFLECTION in value for value in sent_values(page))
        assert_clean(page, console_errors)

        # Relaunch as an LMS does after a suspend: entry=resume with the stored suspend_data.
        frame = launch(
            page,
            base,
            "scorm12",
            {
                "suspend_data": cmi["suspend_data"],
                "core": {"entry": "resume", "lesson_status": "incomplete", "lesson_location": "1"},
                "student_data": {"mastery_score": "70"},
            },
        )
        assert learner.visible_page_title(frame) == "Les 2"
        assert "Welkom terug" in frame.locator("#spk-status").inner_text()
        assert "(afgerond)" in frame.locator("[data-state-for='0']").inner_text()
        assert frame.get_by_label("Jouw reflectie").input_value() == REFLECTION  # from localStorage
        learner.complete_lesson(frame)
        assert learner.visible_page_title(frame) == "Eindtoets"

        result = learner.take_final_test(frame, right=1)
        assert "Je score: 33%" in result and "niet gehaald" in result
        cmi = page.evaluate("cmiSnapshot()")
        assert cmi["core"]["lesson_status"] == "failed"
        assert cmi["core"]["score"] == {"raw": "33", "min": "0", "max": "100"}

        result = learner.take_final_test(frame, right=3)
        assert "Je score: 100%" in result and "geslaagd" in result
        learner.press(frame, frame.get_by_role("button", name="Volgende"))
        assert "alle onderdelen" in frame.locator("#spk-end-summary").inner_text()
        learner.exit_course(frame)

        cmi = page.evaluate("cmiSnapshot()")
        assert cmi["core"]["lesson_status"] == "passed"
        assert cmi["core"]["score"] == {"raw": "100", "min": "0", "max": "100"}
        assert cmi["core"]["exit"] == ""
        assert re.fullmatch(r"\d{2,4}:\d{2}:\d{2}(\.\d{1,2})?", cmi["core"]["session_time"])
        assert page.evaluate("lmsState()")["terminated"] is True
        assert_clean(page, console_errors)


def test_it_runs_a_scorm2004_package_and_resumes_it(rich_course, tmp_path):
    package = builder_for("scorm2004", rich_course.published_version).build_bytes()
    site = make_site(tmp_path, package)
    with serve(site) as base, browser_page() as (page, console_errors):
        page.goto(base + "/lms/lms.html")
        # The LMS hands the SCO the manifest's minNormalizedMeasure as the scaled passing score.
        frame = launch(page, base, "scorm2004", {"scaled_passing_score": "0.7"})
        learner.work_through_first_lesson(frame, REFLECTION)
        learner.exit_course(frame)

        cmi = page.evaluate("cmiSnapshot()")
        assert cmi["completion_status"] == "incomplete"
        assert cmi["success_status"] == "unknown"
        assert cmi["exit"] == "suspend"
        assert cmi["location"] == "1"
        assert float(cmi["progress_measure"]) == pytest.approx(1 / 3, abs=0.01)
        assert re.fullmatch(r"PT\d+H\d+M\d+(\.\d+)?S", cmi["session_time"])
        assert json.loads(cmi["suspend_data"])["done"] == [0]
        assert page.evaluate("lmsState()")["terminated"] is True
        assert not any(REFLECTION in value for value in sent_values(page))
        assert_clean(page, console_errors)

        frame = launch(
            page,
            base,
            "scorm2004",
            {
                "entry": "resume",
                "suspend_data": cmi["suspend_data"],
                "location": "1",
                "completion_status": "incomplete",
                "scaled_passing_score": "0.7",
            },
        )
        assert learner.visible_page_title(frame) == "Les 2"
        learner.complete_lesson(frame)
        result = learner.take_final_test(frame, right=2)  # 67 % < 70 %
        assert "Je score: 67%" in result and "niet gehaald" in result
        cmi = page.evaluate("cmiSnapshot()")
        assert cmi["success_status"] == "failed"
        assert cmi["completion_status"] == "completed"
        assert cmi["score"]["scaled"] == "0.66"  # rounded down, never up

        learner.take_final_test(frame, right=3)
        learner.exit_course(frame)
        cmi = page.evaluate("cmiSnapshot()")
        assert cmi["completion_status"] == "completed"
        assert cmi["success_status"] == "passed"
        assert cmi["score"] == {"scaled": "1", "raw": "100", "min": "0", "max": "100"}
        assert float(cmi["progress_measure"]) == 1
        assert cmi["exit"] == "normal"
        assert re.fullmatch(r"PT\d+H\d+M\d+(\.\d+)?S", cmi["session_time"])
        assert_clean(page, console_errors)


def test_it_follows_the_passing_score_the_lms_gives(rich_course, tmp_path):
    """The LMS's cmi.scaled_passing_score wins over the pass mark built into the package."""
    package = builder_for("scorm2004", rich_course.published_version).build_bytes()
    site = make_site(tmp_path, package)
    with serve(site) as base, browser_page() as (page, console_errors):
        page.goto(base + "/lms/lms.html")
        frame = launch(page, base, "scorm2004", {"scaled_passing_score": "0.6"})
        for _ in range(2):
            learner.complete_lesson(frame)
        result = learner.take_final_test(
            frame, right=2
        )  # 67 %: below the course's 70, above the LMS's 60
        assert "geslaagd" in result
        assert page.evaluate("cmiSnapshot()")["success_status"] == "passed"
        assert_clean(page, console_errors)


def test_it_surfaces_an_error_the_lms_reports(rich_course, tmp_path):
    """A rejected SetValue is caught by the GetLastError check and shown to the learner (and the
    test
    LMS's error log sees it too, so the clean runs above are not clean by accident)."""
    package = builder_for("scorm12", rich_course.published_version).build_bytes()
    site = make_site(tmp_path, package)
    with serve(site) as base, browser_page() as (page, _console_errors):
        page.goto(base + "/lms/lms.html")
        page.evaluate(
            """(url) => {
            launchSco('scorm12', null, 'about:blank');
            const original = API.LMSSetValue.bind(API);
            // This LMS refuses lesson_location: it answers as if the element did not exist.
            API.LMSSetValue = (element, value) =>
                original(element === 'cmi.core.lesson_location'
                    ? 'cmi.core.no_such_element' : element, value);
            document.getElementById('sco').src = url;
        }""",
            base + "/pkg/index.html",
        )
        frame = page.frame_locator("#sco")
        learner.wait_ready(frame)
        errors = frame.locator("#spk-errors")
        errors.wait_for(state="visible", timeout=learner.TIMEOUT)
        assert "LMSSetValue" in errors.inner_text()
        sco_errors = page.frames[1].evaluate("SpkRuntime.errors")
        assert sco_errors[0]["call"] == "LMSSetValue"
        assert sco_errors[0]["args"][0] == "cmi.core.lesson_location"
        assert sco_errors[0]["code"] != "0"
        assert page.evaluate("lmsErrors") != []


def test_it_reports_completed_for_a_course_without_a_final_test(tmp_path):
    course = factories.make_course(lessons=2, final_questions=0)
    package = builder_for("scorm12", course.published_version).build_bytes()
    site = make_site(tmp_path, package)
    with serve(site) as base, browser_page() as (page, console_errors):
        page.goto(base + "/lms/lms.html")
        frame = launch(page, base, "scorm12")
        learner.complete_lesson(frame)
        assert page.evaluate("cmiSnapshot()")["core"]["lesson_status"] == "incomplete"
        learner.complete_lesson(frame)
        assert learner.visible_page_title(frame) == "Einde van de cursus"
        learner.exit_course(frame)
        cmi = page.evaluate("cmiSnapshot()")
        assert cmi["core"]["lesson_status"] == "completed"
        assert cmi["core"]["score"]["raw"] == ""  # nothing was scored, so no score is claimed
        assert cmi["core"]["exit"] == ""
        assert_clean(page, console_errors)


def test_it_ends_the_attempt_when_no_test_attempts_are_left(tmp_path):
    course = factories.make_course(lessons=1, final_questions=3, pass_mark=70, max_attempts=1)
    package = builder_for("scorm12", course.published_version).build_bytes()
    site = make_site(tmp_path, package)
    with serve(site) as base, browser_page() as (page, console_errors):
        page.goto(base + "/lms/lms.html")
        frame = launch(page, base, "scorm12")
        learner.complete_lesson(frame)
        result = learner.take_final_test(frame, right=1)
        assert "geen pogingen meer" in result
        assert frame.get_by_role("button", name="Lever de toets in").is_disabled()
        learner.exit_course(frame)
        cmi = page.evaluate("cmiSnapshot()")
        assert cmi["core"]["lesson_status"] == "failed"
        assert cmi["core"]["score"]["raw"] == "33"
        assert (
            cmi["core"]["exit"] == ""
        )  # over: not suspended for a resume that could change nothing
        assert_clean(page, console_errors)


def test_it_suspends_and_terminates_when_the_lms_closes_the_sco(rich_course, tmp_path):
    """The learner never presses 'Cursus afsluiten': the LMS removes the frame (a window closed)."""
    package = builder_for("scorm2004", rich_course.published_version).build_bytes()
    site = make_site(tmp_path, package)
    with serve(site) as base, browser_page() as (page, console_errors):
        page.goto(base + "/lms/lms.html")
        frame = launch(page, base, "scorm2004")
        learner.complete_lesson(frame)
        assert page.evaluate("lmsState()")["terminated"] is False
        page.evaluate("() => document.getElementById('sco').remove()")
        page.wait_for_function("() => API_1484_11.isTerminated()")
        cmi = page.evaluate("cmiSnapshot()")
        assert cmi["exit"] == "suspend"
        assert json.loads(cmi["suspend_data"])["done"] == [0]
        assert re.fullmatch(r"PT\d+H\d+M\d+(\.\d+)?S", cmi["session_time"])
        assert page.evaluate("lmsErrors") == []
        assert console_errors == []


def test_it_finds_the_api_through_the_opener_of_a_popup_window(rich_course, tmp_path):
    package = builder_for("scorm12", rich_course.published_version).build_bytes()
    site = make_site(tmp_path, package)
    with serve(site) as base, browser_page() as (page, console_errors):
        page.goto(base + "/lms/lms.html")
        with page.expect_popup() as popup_info:
            page.evaluate(
                "([s, u]) => launchSco(s, null, u, 'window')", ["scorm12", base + "/pkg/index.html"]
            )
        sco = popup_info.value
        learner.wait_ready(sco)
        learner.complete_lesson(sco)
        learner.exit_course(sco)
        cmi = page.evaluate("cmiSnapshot()")
        assert cmi["core"]["lesson_location"] == "1"
        assert cmi["core"]["exit"] == "suspend"
        assert page.evaluate("lmsState()")["terminated"] is True
        assert page.evaluate("lmsErrors") == []
        assert sco.evaluate("SpkRuntime.errors") == []
        assert console_errors == []


def test_it_keeps_reflections_per_learner_and_clears_them_when_the_course_is_finished(
    rich_course, tmp_path
):
    """On a shared practice PC the next learner never sees the previous one's reflection."""
    package = builder_for("scorm12", rich_course.published_version).build_bytes()
    site = make_site(tmp_path, package)
    mastery = {"mastery_score": "70"}
    with serve(site) as base, browser_page() as (page, _console_errors):
        page.goto(base + "/lms/lms.html")
        frame = launch(
            page, base, "scorm12", {"core": {"student_id": "1001"}, "student_data": mastery}
        )
        learner.work_through_first_lesson(frame, REFLECTION)
        learner.exit_course(frame)
        suspended = page.evaluate("cmiSnapshot()")["suspend_data"]
        stored = page.frames[1].evaluate("Object.keys(window.localStorage)")
        assert any(":1001:reflection:" in key for key in stored)

        frame = launch(
            page, base, "scorm12", {"core": {"student_id": "1002"}, "student_data": mastery}
        )
        assert frame.get_by_label("Jouw reflectie").input_value() == ""

        resume = {"student_id": "1001", "entry": "resume", "lesson_location": "1"}
        frame = launch(
            page,
            base,
            "scorm12",
            {"suspend_data": suspended, "core": resume, "student_data": mastery},
        )
        assert frame.get_by_label("Jouw reflectie").input_value() == REFLECTION
        learner.complete_lesson(frame)
        assert "geslaagd" in learner.take_final_test(frame, right=3)
        learner.exit_course(frame)
        stored = page.frames[1].evaluate("Object.keys(window.localStorage)")
        assert not any(":1001:reflection:" in key for key in stored)
