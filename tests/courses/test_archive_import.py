"""Authors upload a zip of course files: safe archives, valid files and their own courses only."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courses.models import ChangeRecord, Course, CourseImport, CourseRole, CourseVersion, Lesson
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


@pytest.fixture
def upload(client, settings, tmp_path, django_capture_on_commit_callbacks):
    """POST a zip to the import page; the import runs (eagerly, here) after the upload's commit.
    Returns the import's progress page as the author then sees it."""
    settings.MEDIA_ROOT = tmp_path / "media"

    def post(archive):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(URL, {"archive": archive})
        assert response.status_code == 302 and response["Location"].startswith(URL)
        job = CourseImport.objects.latest("pk")
        assert not job.archive and not list((tmp_path / "media").rglob("*.zip"))  # deleted
        return client.get(response["Location"])

    return post


def test_it_imports_a_new_course_as_a_draft_owned_by_the_uploader(client, staff_author, upload):
    client.force_login(staff_author)
    page = upload(zipped([("cursus/small.yaml", SMALL)])).content.decode()
    assert "geïmporteerd" in page and "cursus/small.yaml" in page
    course = Course.objects.get(slug="test-klein")
    assert course.published_version is None
    assert course.versions.get().status == CourseVersion.Status.DRAFT
    assert CourseRole.objects.filter(course=course, user=staff_author, role="author").exists()
    assert ChangeRecord.objects.filter(course=course, user=staff_author).exists()
    assert "spk-import" not in page  # the temporary folder's name is not shown


UNSAFE_ARCHIVES = {
    "zip-slip": ([("small.yaml", SMALL), ("../../evil.yaml", SMALL)], "‘..’ in een pad"),
    "absolute-path": ([("small.yaml", SMALL), ("/etc/evil.yaml", SMALL)], "absolute paden"),
    "zip-bomb": ([("small.yaml", SMALL), ("bomb.bin", b"\0" * (30 * 1024 * 1024))], "zip-bom"),
    "file-and-folder": (
        [("a", "x"), ("a/small.yaml", SMALL)],
        "‘a’ staat twee keer in het archief",
    ),
}
INVALID_CONTENT = {
    "broken-yaml": (
        [("small.yaml", SMALL.replace('title: "Module"', "title: [unclosed"))],
        "small.yaml:",
    ),
    "unknown-block": (
        [("small.yaml", SMALL.replace("type: text", "type: hologram"))],
        "blocks[0]",
    ),
    "no-course-files": ([("readme.txt", "geen cursus")], "geen cursusbestanden"),
}


@pytest.mark.parametrize(("entries", "expected"), UNSAFE_ARCHIVES.values(), ids=UNSAFE_ARCHIVES)
def test_it_refuses_an_unsafe_archive_on_the_upload_page(client, staff_author, entries, expected):
    """The zip's directory (names, sizes, ratios) is checked while the upload is validated: the
    author sees why at once, and nothing is stored or queued."""
    client.force_login(staff_author)
    before = counts()
    response = client.post(URL, {"archive": zipped(entries)})
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert counts() == before
    assert not CourseImport.objects.exists()


@pytest.mark.parametrize(("entries", "expected"), INVALID_CONTENT.values(), ids=INVALID_CONTENT)
def test_it_refuses_bad_archives_with_a_clear_error_and_writes_nothing(
    client, staff_author, upload, entries, expected
):
    client.force_login(staff_author)
    before = counts()
    page = upload(zipped(entries)).content.decode()
    assert "Er is niets gewijzigd" in page
    assert expected in page
    assert counts() == before
    assert CourseImport.objects.get().status == CourseImport.Status.FAILED


def test_it_refuses_overwriting_a_course_of_another_author(client, staff_author, upload):
    factories.make_course(slug="test-klein", publish=True)
    client.force_login(staff_author)
    before = counts()
    assert "geen auteur" in upload(zipped([("small.yaml", SMALL)])).content.decode()
    assert counts() == before


def test_it_refuses_shared_files_from_authors_who_are_not_administrators(
    client, staff_author, upload
):
    personas = "personas:\n  - slug: nieuw\n    name: Nieuw\n"
    client.force_login(staff_author)
    assert "beheerder" in upload(zipped([("personas.yaml", personas)])).content.decode()


def test_it_refuses_files_that_are_not_zips(client, staff_author):
    client.force_login(staff_author)
    upload = SimpleUploadedFile("cursus.zip", b"MZ not a zip", content_type="application/zip")
    response = client.post(URL, {"archive": upload})
    assert response.status_code == 400
    assert "geen geldig zip-bestand" in response.content.decode()


def test_it_hides_the_import_from_learners(client, learner, staff_author, upload):
    client.force_login(learner)
    assert client.get(URL).status_code == 404
    # An import's page and status are its uploader's only.
    client.force_login(staff_author)
    upload(zipped([("small.yaml", SMALL)]))
    job = CourseImport.objects.get()
    client.force_login(learner)
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.get(job.get_absolute_url() + "status.json").status_code == 404


def test_it_exports_a_zip_that_the_web_import_accepts(client, tmp_path, upload):
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
    page = upload(SimpleUploadedFile("course.zip", renamed.getvalue(), "application/zip"))
    assert "geïmporteerd" in page.content.decode(), page.content.decode()
    draft = Course.objects.get(slug="kopie").versions.get(status=CourseVersion.Status.DRAFT)
    assert draft.lessons_in_order().count() == 2


@pytest.mark.parametrize("name", ["cursus/./small.yaml", "cursus//small.yaml", "cursus/\x01.yaml"])
def test_it_refuses_every_member_name_the_package_writer_refuses(client, staff_author, name):
    """One member-name rule (lms.lib.safezip) for uploads and for the packages we write."""
    from lms.lib.safezip import UnsafePath, write_deterministic_zip

    with pytest.raises(UnsafePath):
        write_deterministic_zip(io.BytesIO(), {name: b"x"})
    client.force_login(staff_author)
    before = counts()
    response = client.post(URL, {"archive": zipped([("small.yaml", SMALL), (name, SMALL)])})
    assert response.status_code == 400
    assert "het archief is onveilig" in response.content.decode()
    assert counts() == before
