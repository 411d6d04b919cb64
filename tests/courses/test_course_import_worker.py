"""A 20 MB course file is imported by a real Celery worker process over Redis: the upload request
only stores the zip and queues the import, and the author's page follows the progress to the end."""

import io
import os
import time
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courses.models import Course, CourseImport, MediaBlock
from tests import factories
from tests.worker_support import celery_worker, redis_reachable, worker_broker_url

BROKER = worker_broker_url()
pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not BROKER, reason="CELERY_TEST_BROKER_URL is not set"),
]

MEDIA = Path(__file__).parent / "course_files" / "valid" / "courses" / "media"
VIDEO_HEAD = (MEDIA / "intro.mp4").read_bytes()  # an MP4 file-type box
COURSE = """format: 1
slug: groot
title: "Grote cursus"
modules:
  - key: m1
    title: "Module"
    lessons:
      - key: les-1
        title: "Les 1"
        blocks:
%s"""
VIDEO_BLOCK = """          - type: media
            media_kind: video
            title: "Video %(n)s"
            file: media/video-%(n)s.mp4
            captions: media/intro.vtt
            transcript: "<p>Welkom in de spreekkamer.</p>"
"""


def large_course_zip(videos=2, video_bytes=10 * 1024 * 1024) -> bytes:
    """A course file with `videos` videos of random (incompressible) bytes: about 20 MB zipped."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        blocks = "".join(VIDEO_BLOCK % {"n": n} for n in range(videos))
        archive.writestr("groot.yaml", COURSE % blocks)
        archive.writestr("media/intro.vtt", (MEDIA / "intro.vtt").read_bytes())
        for n in range(videos):
            body = VIDEO_HEAD + os.urandom(video_bytes - len(VIDEO_HEAD))
            archive.writestr(f"media/video-{n}.mp4", body)
    return buffer.getvalue()


def test_a_real_worker_imports_a_large_course_file_while_the_author_watches(
    client, settings, tmp_path
):
    if not redis_reachable(BROKER):
        pytest.skip("Redis is not reachable")
    settings.MEDIA_ROOT = tmp_path / "media"
    author = factories.make_author(email="groot@example.org")
    client.force_login(author)
    data = large_course_zip()
    assert len(data) > 20 * 1024 * 1024
    with celery_worker(tmp_path / "worker.log", BROKER, MEDIA_ROOT=str(settings.MEDIA_ROOT)):
        upload = SimpleUploadedFile("groot.zip", data, content_type="application/zip")
        response = client.post("/auteur/importeren/", {"archive": upload})

        # The request stored the zip and queued the import; it did not import anything itself.
        job = CourseImport.objects.get()
        assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
        assert job.status == CourseImport.Status.QUEUED and job.progress == 0
        assert job.archive.size == len(data)
        assert not Course.objects.filter(slug="groot").exists()
        page = client.get(response["Location"]).content.decode()
        assert 'src="/static/js/job_status.js"' in page and "<script>" not in page

        # The page's poll follows the worker to the end.
        seen, deadline = [], time.monotonic() + 180
        while time.monotonic() < deadline:
            status = client.get(job.get_absolute_url() + "status.json").json()
            seen.append(status["progress"])
            if status["finished"]:
                break
            time.sleep(0.2)
    log = (tmp_path / "worker.log").read_text()
    assert status["status"] == "done", (status, log)
    assert status["label"] == "geïmporteerd"
    assert seen == sorted(seen) and seen[-1] == 100
    assert any("groot.yaml" in message for message in status["messages"])
    course = Course.objects.get(slug="groot")
    draft = course.versions.get()
    assert MediaBlock.objects.filter(lesson__module__version=draft).count() == 2
    job.refresh_from_db()
    assert not job.archive and not list(settings.MEDIA_ROOT.rglob("*.zip"))  # zip deleted
