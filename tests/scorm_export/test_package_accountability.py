"""Every package carries the course's verantwoording, readable offline and linked from its
navigation, with the same content as the site's verantwoording page."""

import datetime as dt
import io
import zipfile

import pytest

from courses.models import CourseRole, CourseVersion, Lesson
from scorm_export.packaging.builder import builder_for
from tests import factories
from tests.scorm_export.harness import browser_page, make_site, serve

pytestmark = pytest.mark.django_db


@pytest.fixture
def documented_course(course):
    CourseRole.objects.create(
        course=course,
        user=factories.make_user(first_name="Aafke", last_name="Schrijver"),
        role=CourseRole.Role.AUTHOR,
    )
    CourseRole.objects.create(
        course=course,
        user=factories.make_user(first_name="Ruud", last_name="Lezer"),
        role=CourseRole.Role.REVIEWER,
    )
    CourseVersion.objects.filter(pk=course.published_version_id).update(
        partners=["Voorbeeldpartner (test)"],
        conflict_of_interest="De auteurs hebben geen belangen.",
        learning_objectives=["Je herkent aannames over seksuele oriëntatie."],
        next_review=dt.date(2027, 6, 1),
    )
    lesson = Lesson.objects.filter(module__version=course.published_version).first()
    Lesson.objects.filter(pk=lesson.pk).update(
        sources=[{"title": "NHG-Standaard", "publisher": "NHG", "year": 2024, "url": ""}]
    )
    course.refresh_from_db()
    return course


def package_files(course, standard) -> dict[str, str]:
    data = builder_for(standard, course.published_version).build_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name: archive.read(name).decode("utf-8", "replace")
            for name in archive.namelist()
            if name.endswith((".html", ".xml"))
        }


@pytest.mark.parametrize("standard", ["scorm12", "scorm2004", "cmi5"])
def test_each_package_holds_the_verantwoording_of_its_version(client, documented_course, standard):
    files = package_files(documented_course, standard)
    page = files["verantwoording.html"]
    for expected in (
        "Verantwoording – ",
        "Aafke Schrijver – auteur",
        "Ruud Lezer – reviewer",
        "Gemaakt in samenwerking met",
        "Voorbeeldpartner (test)",
        "De auteurs hebben geen belangen.",
        "Je herkent aannames over seksuele oriëntatie.",
        "NHG-Standaard",
        "versie 1",
        "Volgende herziening",
        "juni 2027",
        "Hoe de eindtoets is opgebouwd",
        "Geslaagd vanaf",
    ):
        assert expected in page, expected
    # Offline: nothing from elsewhere, only the package's own stylesheet.
    assert 'href="assets/package.css"' in page and "http" not in page.split("<main")[0]
    # Reachable from the package's navigation, and listed as a file of the SCO.
    assert 'href="verantwoording.html"' in files["index.html"]
    if standard != "cmi5":
        assert 'href="verantwoording.html"' in files["imsmanifest.xml"]
    # The same content as the site's page.
    site = client.get(f"/cursus/{documented_course.slug}/verantwoording/").content.decode()
    body = page.split("</h1>", 1)[1].split("</main>")[0].strip()
    assert body in site


@pytest.mark.browser
def test_the_learner_opens_the_verantwoording_from_the_running_package(documented_course, tmp_path):
    package = builder_for("scorm2004", documented_course.published_version).build_bytes()
    site = make_site(tmp_path, package)
    with serve(site) as base, browser_page() as (page, console_errors):
        page.goto(base + "/lms/lms.html")
        page.evaluate(
            "([s, i, u]) => launchSco(s, i, u)", ["scorm2004", None, base + "/pkg/index.html"]
        )
        frame = page.frame_locator("#sco")
        with page.context.expect_page() as opened:
            frame.get_by_role("link", name="Verantwoording").click()
        accountability = opened.value
        accountability.wait_for_load_state()
        heading = accountability.get_by_role("heading", level=1)
        assert heading.inner_text().startswith("Verantwoording – ")
        assert accountability.get_by_text("Aafke Schrijver – auteur").is_visible()
        assert accountability.get_by_text("De auteurs hebben geen belangen.").is_visible()
        assert console_errors == []
