"""Authors upload a zip of course files: safe archives, valid files and their own courses only."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import ChangeRecord, Course, CourseRole, CourseVersion, Lesson
from tests import factories

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "course_files"
SMALL = (FILES / "valid" / "courses" / "small.yaml").read_text(encoding="utf-8")
URL = "/auteur/importeren/"


def zipped(entries, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return SimpleUploadedFile("cursus.zip", buffer.getvalue(), content_type="application/zip")


def counts():
    return (Course.objects.count(), CourseVersion.objects.count(), Lesson.objects.count())


@pytest.fixture
def staff_author(db):
    return factories.make_author(email="maker@example.org")


def test_it_imports_a_new_course_as_a_draft_owned_by_the_uploader(client, staff_author):
    client.force_login(staff_author)
    response = client.post(URL, {"archive": zipped([("cursus/small.yaml", SMALL)])})
    assert response.status_code == 302
    course = Course.objects.get(slug="test-klein")
    assert course.published_version is None
    assert course.versions.get().status == CourseVersion.Status.DRAFT
    assert CourseRole.objects.filter(course=course, user=staff_author, role="author").exists()
    assert ChangeRecord.objects.filter(course=course, user=staff_author).exists()
    page = client.get(reverse("authoring:index")).content.decode()
    assert "cursus/small.yaml" in page and "spk-import" not in page


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([("small.yaml", SMALL), ("../../evil.yaml", SMALL)], "‘..’ in een pad"),
        ([("small.yaml", SMALL), ("/etc/evil.yaml", SMALL)], "absolute paden"),
        ([("small.yaml", SMALL), ("bomb.bin", b"\0" * (30 * 1024 * 1024))], "zip-bom"),
        ([("small.yaml", SMALL.replace('title: "Module"', "title: [unclosed"))], "small.yaml:"),
        ([("small.yaml", SMALL.replace("type: text", "type: hologram"))], "blocks[0]"),
        ([("readme.txt", "geen cursus")], "geen cursusbestanden"),
        ([("a", "x"), ("a/small.yaml", SMALL)], "‘a’ staat twee keer in het archief"),
    ],
    ids=[
        "zip-slip",
        "absolute-path",
        "zip-bomb",
        "broken-yaml",
        "unknown-block",
        "no-course-files",
        "file-and-folder",
    ],
)
def test_it_refuses_bad_archives_with_a_clear_error_and_writes_nothing(
    client, staff_author, entries, expected
):
    client.force_login(staff_author)
    before = counts()
    response = client.post(URL, {"archive": zipped(entries)})
    assert response.status_code == 400
    assert "Er is niets gewijzigd" in response.content.decode()
    assert expected in response.content.decode()
    assert counts() == before


def test_it_refuses_overwriting_a_course_of_another_author(client, staff_author):
    factories.make_course(slug="test-klein", publish=True)
    client.force_login(staff_author)
    before = counts()
    response = client.post(URL, {"archive": zipped([("small.yaml", SMALL)])})
    assert response.status_code == 400
    assert "geen auteur" in response.content.decode()
    assert counts() == before


def test_it_refuses_shared_files_from_authors_who_are_not_administrators(client, staff_author):
    personas = "personas:\n  - slug: nieuw\n    name: Nieuw\n"
    client.force_login(staff_author)
    response = client.post(URL, {"archive": zipped([("personas.yaml", personas)])})
    assert response.status_code == 400
    assert "beheerder" in response.content.decode()


def test_it_refuses_files_that_are_not_zips(client, staff_author):
    client.force_login(staff_author)
    upload = SimpleUploadedFile("cursus.zip", b"MZ not a zip", content_type="application/zip")
    response = client.post(URL, {"archive": upload})
    assert response.status_code == 400
    assert "geen geldig zip-bestand" in response.content.decode()


def test_it_hides_the_import_from_learners(client, learner):
    client.force_login(learner)
    assert client.get(URL).status_code == 404


def test_it_exports_a_zip_that_the_web_import_accepts(client, tmp_path):
    from django.core.management import call_command

    course = factories.make_course(slug="heen-en-weer")
    author = factories.make_author(course, email="zip-auteur@example.org")
    target = tmp_path / "course.zip"
    call_command("export_course", "heen-en-weer", "-o", str(target))
    assert target.is_file() and zipfile.is_zipfile(target)
    assert "heen-en-weer.yaml" in zipfile.ZipFile(target).namelist()

    # The author area offers the same download, and its import takes it back as a new draft.
    client.force_login(author)
    download = client.get("/auteur/heen-en-weer/exporteren.zip")
    assert download["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(download.content)).namelist() == (
        zipfile.ZipFile(target).namelist()
    )
    # Imported under another slug it becomes a new course with the same lessons.
    renamed = io.BytesIO()
    with zipfile.ZipFile(target) as source, zipfile.ZipFile(renamed, "w") as out:
        for name in source.namelist():
            data = source.read(name)
            if name.endswith(".yaml"):
                data = data.replace(b"slug: heen-en-weer", b"slug: kopie")
                name = "kopie.yaml"
            out.writestr(name, data)
    upload = SimpleUploadedFile("course.zip", renamed.getvalue(), "application/zip")
    response = client.post("/auteur/importeren/", {"archive": upload})
    assert response.status_code == 302, response.content.decode()
    draft = Course.objects.get(slug="kopie").versions.get(status=CourseVersion.Status.DRAFT)
    assert draft.lessons_in_order().count() == 2
