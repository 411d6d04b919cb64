"""A learner working through an exported package in the browser, by keyboard and clicks."""

from __future__ import annotations

TIMEOUT = 10_000


def wait_ready(frame):
    frame.locator("body[data-ready='true']").wait_for(timeout=TIMEOUT)


def visible_page_title(frame) -> str:
    return frame.locator(".spk-page:not([hidden]) h1").inner_text()


def press(frame, locator, key="Enter"):
    """Focus a control and operate it from the keyboard, as a keyboard user would."""
    locator.focus()
    locator.press(key)


def work_through_first_lesson(frame, reflection_text: str):
    """Scenario, reflection and practice quiz of the lesson made by add_every_block_kind, then
    complete it.
    """
    page = frame.locator(".spk-page:not([hidden])")
    # Scenario: the recommended choice, feedback, then on to the next step.
    press(frame, page.get_by_role("button", name="Vraag door"))
    feedback = page.locator(".scenario .feedback:not([hidden])")
    assert "Aanbevolen keuze" in feedback.inner_text()
    press(frame, feedback.get_by_role("button", name="Verder"))
    press(frame, page.get_by_role("button", name="Rond af"))
    assert (
        "Einde van het scenario"
        in page.locator(".scenario .feedback:not([hidden])").last.inner_text()
    )
    # Reflection: typed into a labelled field, kept in this browser only.
    area = page.get_by_label("Jouw reflectie")
    area.fill(reflection_text)
    area.press("Tab")
    # Practice quiz: one wrong answer, so its feedback says so.
    page.locator("input[name$='-q0'][value='o1']").check()
    page.locator("input[name$='-q1'][value='o0']").check()
    page.locator("input[name$='-tf'][value='waar']").check()
    press(frame, page.get_by_role("button", name="Controleer je antwoorden"))
    assert "Je score: 67%" in page.locator(".quiz-result").inner_text()
    assert page.locator(".question-verdict.is-incorrect").count() == 1
    press(frame, page.get_by_role("button", name="Les afgerond, ga verder"))


def complete_lesson(frame):
    press(
        frame,
        frame.locator(".spk-page:not([hidden])").get_by_role(
            "button", name="Les afgerond, ga verder"
        ),
    )


def take_final_test(frame, right: int, total: int = 3):
    """Answer `right` of the final test's questions correctly (o0 is correct) and hand it in."""
    page = frame.locator(".spk-page:not([hidden])")
    for n in range(total):
        option = "o0" if n < right else "o1"
        radio = page.locator(f"#final-q{n}-{option}")
        radio.focus()
        radio.press("Space")
    press(frame, page.get_by_role("button", name="Lever de toets in"))
    return page.locator("#result-final").inner_text()


def exit_course(frame):
    press(frame, frame.locator("#spk-exit"))
    frame.locator("body[data-finished='true']").wait_for(timeout=TIMEOUT)
