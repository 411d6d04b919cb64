"""The rich-text editor in a real chromium: format text with the toolbar and see it on the
learner's lesson page; paste from Word and keep only the structure."""

import os

import pytest

from courses import publishing, services
from courses.models import RichTextBlock
from tests import factories
from tests.browser.conftest import login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What Word puts on the clipboard: styles, conditional comments, list bullets as text in
# spans marked mso-list:Ignore, <o:p> in every paragraph.
WORD_HTML = """<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>
<style>p.MsoNormal{mso-style-parent:"";font-family:Calibri}</style></head><body>
<!--StartFragment--><p class=MsoNormal style='margin:0cm'><b><span style='font-family:Calibri'>
Uit Word</span></b><o:p></o:p></p>
<p class=MsoListParagraphCxSpFirst style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'>
<![if !supportLists]><span style='font-family:Symbol;mso-list:Ignore'>·<span
style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp; </span></span><![endif]>Eerste punt<o:p></o:p></p>
<p class=MsoListParagraphCxSpLast style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'>
<![if !supportLists]><span style='font-family:Symbol;mso-list:Ignore'>·<span
style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp; </span></span><![endif]>Tweede punt<o:p></o:p></p>
<script>window.pasted = 1</script><!--EndFragment--></body></html>"""

PASTE = """([html, text]) => {
  const data = new DataTransfer();
  data.setData("text/html", html);
  data.setData("text/plain", text);
  document.querySelector(".ProseMirror").dispatchEvent(
    new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
}"""


def test_it_formats_text_in_the_editor_and_cleans_a_paste_from_word(live_server, page, browser):
    course = factories.make_course(slug="basis")
    author = factories.make_author(course, email="auteur@example.org")
    draft = publishing.create_draft(course, author)
    problems = []
    page.on(
        "console",
        lambda m: problems.append(f"{m.text} @ {m.location}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(str(e)))

    login(page, live_server, author, next_path="/auteur/")
    page.goto(f"{live_server.url}/auteur/basis/lessen/les-1/blokken/nieuw/text/")
    page.wait_for_selector("html[data-rich-text=ready]")
    editor = page.get_by_role("textbox", name="Tekst")
    toolbar = page.get_by_role("toolbar", name="Opmaak: Tekst")
    editor.click()
    page.keyboard.type("Vraag open: ")
    toolbar.get_by_role("button", name="Vet", exact=True).click()
    page.keyboard.type("met wie")
    toolbar.get_by_role("button", name="Vet", exact=True).click()
    page.keyboard.type(" heb je seks?")
    page.keyboard.press("Enter")
    # The toolbar works from the keyboard: Tab into it, Enter on a button.
    toolbar.get_by_role("button", name="Cursief", exact=True).focus()
    page.keyboard.press("Enter")
    page.keyboard.type("Luister")
    page.keyboard.press("Enter")
    page.evaluate(PASTE, [WORD_HTML, "Uit Word Eerste punt Tweede punt"])
    page.get_by_role("button", name="Opslaan").click()
    page.get_by_text("Het blok is toegevoegd.").wait_for()

    html = RichTextBlock.objects.get(lesson__module__version=draft, key="text").html
    assert "<strong>met wie</strong>" in html
    assert "<em>Luister</em>" in html
    assert "<ul><li><p>Eerste punt</p></li><li><p>Tweede punt</p></li></ul>" in html
    assert "mso" not in html and "·" not in html and "script" not in html and "o:p" not in html
    assert page.evaluate("window.pasted") is None
    # No script error and nothing the Content-Security-Policy had to block.
    assert not [p for p in problems if "favicon" not in p and "404" not in p], problems

    # On the learner's page.
    publishing.publish_draft(draft, author)
    course.refresh_from_db()
    learner = factories.make_user(email="leerling@example.org")
    services.enroll_learner(learner, course)
    learner_page = browser.new_context(locale="nl-NL").new_page()
    login(learner_page, live_server, learner, next_path="/cursus/basis/les/les-1/")
    learner_page.locator("strong", has_text="met wie").wait_for()
    assert learner_page.locator("li", has_text="Tweede punt").is_visible()
    learner_page.context.close()
