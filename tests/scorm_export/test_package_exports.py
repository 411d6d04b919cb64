"""Authors request a package export, follow its progress and download it; nobody else can."""

import io
import re
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from courses.models import ImageBlock, Lesson
from scorm_export.models import PackageExport
from scorm_export.packaging.builder import builder_for
from scorm_export.tasks import build_package
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def author_client(client, author):
    client.force_login(author)
    return client


def request_export(client, course, standard="scorm2004"):
    url = reverse("scorm_export:package_exports", args=[course.slug])
    return client.post(url, {"standard": standard, "version": course.published_version_id})


def test_it_builds_the_package_after_commit_and_offers_the_download(
    author_client, author, course, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = request_export(author_client, course, "scorm12")
    export = PackageExport.objects.get()
    assert response.status_code == 302 and response.url == export.get_absolute_url()
    # Nothing is built until the request's transaction has committed.
    assert export.status == PackageExport.Status.QUEUED and len(callbacks) == 1
    callbacks[0]()  # Celery runs eagerly here: the task builds in-process
    export.refresh_from_db()
    assert export.status == PackageExport.Status.DONE
    assert export.progress == 100 and export.requested_by == author and export.finished_at
    # Stored under an unguessable folder, never at a path derived from the course slug alone.
    assert re.fullmatch(
        rf"package_exports/[0-9a-f]{{32}}/{course.slug}-v1-scorm12\.zip", export.file.name
    )

    status = author_client.get(reverse("scorm_export:package_status_json", args=[export.pk])).json()
    download_url = reverse("scorm_export:package_download", args=[export.pk])
    assert status == {
        "status": "done",
        "label": "klaar",
        "progress": 100,
        "finished": True,
        "error": "",
        "download_url": download_url,
    }
    page = author_client.get(export.get_absolute_url()).content.decode()
    assert download_url in page and "Download het pakket" in page

    response = author_client.get(download_url)
    assert response["Content-Type"] == "application/zip"
    assert f'filename="{course.slug}-v1-scorm12.zip"' in response["Content-Disposition"]
    package = b"".join(response.streaming_content)
    assert package == builder_for("scorm12", course.published_version).build_bytes()
    assert "imsmanifest.xml" in zipfile.ZipFile(io.BytesIO(package)).namelist()


def test_it_shows_progress_while_the_build_runs(author_client, course):
    export = PackageExport.objects.create(
        version=course.published_version,
        standard="cmi5",
        status=PackageExport.Status.RUNNING,
        progress=40,
    )
    page = author_client.get(export.get_absolute_url()).content.decode()
    assert 'value="40"' in page and "bezig" in page
    assert "Ververs deze pagina" in page  # the no-JS way to follow progress
    assert "js/job_status.js" in page
    assert '<p id="package-download" data-job-show="done" hidden>' in page
    data = author_client.get(reverse("scorm_export:package_status_json", args=[export.pk])).json()
    assert data["progress"] == 40 and data["finished"] is False and data["download_url"] is None
    assert (
        author_client.get(reverse("scorm_export:package_download", args=[export.pk])).status_code
        == 404
    )


def test_it_reports_progress_steps_in_order(course):
    lesson = Lesson.objects.filter(module__version=course.published_version).first()
    with factories.unpublished(course.published_version):
        for n in range(3):
            block = ImageBlock(lesson=lesson, position=10 + n, key=f"img{n}", alt=f"Beeld {n}")
            block.image.save(f"beeld{n}.png", ContentFile(b"not really a png"), save=False)
            block.save()
    steps = []
    builder_for("scorm2004", course.published_version, progress=steps.append).build_bytes()
    assert steps == sorted(steps) and steps[0] > 0 and steps[-1] == 100
    # One step per media file as it goes into the zip.
    assert [s for s in steps if 25 < s < 100] == [51, 73, 95]


def test_it_marks_the_export_failed_with_the_reason(author, course):
    lesson = Lesson.objects.filter(module__version=course.published_version).first()
    with factories.unpublished(course.published_version):
        ImageBlock.objects.create(
            lesson=lesson, position=9, key="weg", alt="x", image="blocks/images/weg.png"
        )
    export = PackageExport.objects.create(
        version=course.published_version, standard="scorm12", requested_by=author
    )
    assert build_package(export.pk) == "failed"
    export.refresh_from_db()
    assert export.status == PackageExport.Status.FAILED
    assert "blocks/images/weg.png" in export.error and "ontbreekt" in export.error
    assert not export.file


def test_it_leaves_a_finished_export_alone(author, course):
    export = PackageExport.objects.create(
        version=course.published_version, standard="scorm12", requested_by=author
    )
    build_package(export.pk)
    export.refresh_from_db()
    name = export.file.name
    assert build_package(export.pk) == "done"
    export.refresh_from_db()
    assert export.file.name == name


def test_it_rejects_an_unknown_standard_with_a_dutch_message(author_client, course):
    response = request_export(author_client, course, "scorm3000")
    assert response.status_code == 200
    assert "Kies een van de standaarden." in response.content.decode()
    assert not PackageExport.objects.exists()


def test_it_rejects_a_version_of_another_course(author_client, course):
    other = factories.make_course()
    url = reverse("scorm_export:package_exports", args=[course.slug])
    response = author_client.post(url, {"standard": "cmi5", "version": other.published_version_id})
    assert "Kies een versie van deze cursus." in response.content.decode()
    assert not PackageExport.objects.exists()


def test_it_hides_exports_from_people_who_do_not_author_the_course(
    client, course, author, outsider
):
    export = PackageExport.objects.create(
        version=course.published_version, standard="scorm12", requested_by=author
    )
    build_package(export.pk)
    learner_author_of_other = factories.make_author(factories.make_course())
    urls = [
        reverse("scorm_export:package_exports", args=[course.slug]),
        reverse("scorm_export:package_status", args=[export.pk]),
        reverse("scorm_export:package_status_json", args=[export.pk]),
        reverse("scorm_export:package_download", args=[export.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302  # anonymous: to the login page
    for user in [outsider, learner_author_of_other]:
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, url
        assert (
            client.post(
                urls[0], {"standard": "cmi5", "version": course.published_version_id}
            ).status_code
            == 404
        )
    assert PackageExport.objects.count() == 1


def test_a_superuser_may_export_any_course(client, course, django_capture_on_commit_callbacks):
    admin = factories.make_user(is_superuser=True, is_staff=True)
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = request_export(client, course, "cmi5")
    export = PackageExport.objects.get()
    assert response.url == export.get_absolute_url()
    assert export.status == PackageExport.Status.DONE


def test_the_export_page_lists_earlier_exports(author_client, course, django_assert_num_queries):
    for standard in ["scorm12", "cmi5", "scorm2004"]:
        PackageExport.objects.create(version=course.published_version, standard=standard)
    url = reverse("scorm_export:package_exports", args=[course.slug])
    # session, user, course (authorised), exports with versions, the versions for the form
    with django_assert_num_queries(5):
        page = author_client.get(url).content.decode()
    assert "SCORM 1.2" in page and "cmi5" in page
    assert 'type="radio"' in page and "<legend>Standaard</legend>" in page


def test_the_status_poll_reads_in_a_fixed_number_of_queries(
    author_client, course, django_assert_num_queries
):
    export = PackageExport.objects.create(version=course.published_version, standard="scorm12")
    url = reverse("scorm_export:package_status_json", args=[export.pk])
    author_client.get(url)
    # session, user, the export with its version and course (authorisation in the same query)
    with django_assert_num_queries(3):
        author_client.get(url)
