"""Video in a lesson: YouTube and Vimeo links behind a consent notice, uploaded MP4 with WebVTT
captions, a transcript always; the same rules in course files, and packages that work offline."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from courses import publishing, services
from courses.course_files import ContentFilesInvalid, export_version, import_content, version_plan
from courses.models import Lesson, MediaBlock
from scorm_export.packaging.builder import builder_for

pytestmark = pytest.mark.django_db

MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
VTT = b"WEBVTT\n\n00:00.000 --> 00:01.000\nHallo\n"
NOCOOKIE = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def add_media(client, data):
    return client.post(
        reverse("authoring:block_create", args=["basis", "les-1", "media"]),
        {"media_kind": "video", "title": "Het gesprek", **data},
    )


def learner_lesson(client, course, author, draft, learner):
    publishing.publish_draft(draft, author)
    course.refresh_from_db()
    services.enroll_learner(learner, course)
    client.force_login(learner)
    return client.get(reverse("courses:lesson", args=["basis", "les-1"]))


def test_it_shows_a_youtube_link_as_a_consent_notice_that_loads_nothing(
    author_client, course, author, draft, learner
):
    response = add_media(
        author_client,
        {"url": "https://youtu.be/dQw4w9WgXcQ", "transcript": "Wat er gezegd wordt."},
    )
    assert response.status_code == 302
    block = MediaBlock.objects.get(lesson__module__version=draft)
    assert block.embed is not None and block.embed.embed_url == NOCOOKIE

    response = learner_lesson(author_client, course, author, draft, learner)
    page = response.content.decode()
    notice = re.search(r'<div class="video-consent".*?</div>', page, re.S).group(0)
    assert f'data-embed-src="{NOCOOKIE}"' in notice
    assert 'data-frame-title="Video: Het gesprek (YouTube)"' in notice
    assert '<button type="button" class="button" data-video-load>Video laden</button>' in notice
    assert 'href="https://www.youtube.com/watch?v=dQw4w9WgXcQ"' in notice
    assert "Bekijk de video op YouTube" in notice
    # Nothing on the page loads from the video host before the learner chooses to.
    assert "<iframe" not in page and "<video" not in page
    assert not re.search(r'\ssrc="https://(www\.youtube|player\.vimeo)', page)
    assert "/static/js/video.js" in page
    assert "Wat er gezegd wordt." in page  # the transcript is on the page as well
    csp = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert csp["frame-src"] == "https://www.youtube-nocookie.com https://player.vimeo.com"


def test_it_embeds_a_vimeo_link_without_tracking(author_client, course, author, draft, learner):
    response = add_media(
        author_client, {"url": "https://vimeo.com/76979871", "transcript": "Tekst."}
    )
    assert response.status_code == 302
    page = learner_lesson(author_client, course, author, draft, learner).content.decode()
    assert 'data-embed-src="https://player.vimeo.com/video/76979871?dnt=1"' in page
    assert "Deze video staat bij Vimeo." in page and "<iframe" not in page


def test_it_plays_an_uploaded_mp4_with_its_webvtt_captions(
    author_client, course, author, draft, learner
):
    response = add_media(
        author_client,
        {
            "file": SimpleUploadedFile("gesprek.mp4", MP4, "video/mp4"),
            "captions": SimpleUploadedFile("gesprek.vtt", VTT, "text/vtt"),
            "transcript": "Wat er gezegd wordt.",
        },
    )
    assert response.status_code == 302
    block = MediaBlock.objects.get(lesson__module__version=draft)
    page = learner_lesson(author_client, course, author, draft, learner).content.decode()
    video = re.search(r"<video .*?</video>", page, re.S).group(0)
    assert video.startswith(f'<video controls preload="metadata" src="{block.file.url}">')
    track = re.search(r"<track [^>]*>", video).group(0)
    assert 'kind="captions"' in track and 'srclang="nl"' in track and track.endswith(" default>")
    assert f'src="{block.captions.url}"' in track
    assert "video-consent" not in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {
                "url": "https://example.org/film.mp4",
                "transcript": "T",
            },
            "url",
            "Een video-link moet naar YouTube of Vimeo wijzen",
        ),
        ({"url": "https://youtu.be/dQw4w9WgXcQ", "transcript": "<p> </p>"}, "transcript", None),
        ({"url": "https://youtu.be/dQw4w9WgXcQ"}, "transcript", "Een transcript is verplicht"),
        (
            {
                "file": ("a.mp4", MP4),
                "transcript": "T",
            },
            "captions",
            "Een geüploade video heeft ondertitels nodig",
        ),
        (
            {
                "file": ("a.mp4", MP4),
                "captions": ("a.vtt", b"1\n00:00.000 --> x\n"),
                "transcript": "T",
            },
            "captions",
            "dit is geen geldig WebVTT-bestand",
        ),
        (
            {
                "file": ("a.mp4", MP4),
                "captions": ("a.srt", VTT),
                "transcript": "T",
            },
            "captions",
            "Dit bestandstype (.srt) is hier niet toegestaan",
        ),
        (
            {
                "file": ("a.mp4", b"<html>" + b"\x00" * 40),
                "captions": ("a.vtt", VTT),
                "transcript": "T",
            },
            "file",
            "dit is geen geldig MP4-bestand",
        ),
        (
            {
                "file": ("a.mp4", MP4),
                "captions": ("a.vtt", VTT),
                "url": "https://youtu.be/dQw4w9WgXcQ",
                "transcript": "T",
            },
            "file",
            "Kies een bestand óf een link, niet allebei.",
        ),
    ],
)
def test_it_refuses_video_without_a_playable_source_captions_or_transcript(
    author_client, draft, data, field, message
):
    post = {
        key: SimpleUploadedFile(*value) if isinstance(value, tuple) else value
        for key, value in data.items()
    }
    response = add_media(author_client, post)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    if message:
        assert any(message in e for e in errors[field]), errors[field]
    assert not MediaBlock.objects.exists()


def test_it_refuses_an_upload_over_the_size_limit(author_client, draft, settings):
    settings.MEDIA_MAX_UPLOAD_BYTES = 60
    response = add_media(
        author_client,
        {
            "file": SimpleUploadedFile("a.mp4", MP4, "video/mp4"),
            "captions": SimpleUploadedFile("a.vtt", VTT, "text/vtt"),
            "transcript": "T",
        },
    )
    assert "Het bestand is te groot" in " ".join(response.context["form"].errors["file"])
    assert not MediaBlock.objects.exists()


COURSE_FILE = """format: 1
slug: video-cursus
title: "Video"
modules:
  - key: m1
    title: "Module"
    lessons:
      - key: les-1
        title: "Les 1"
        blocks:
{blocks}
"""


def write_course(tmp_path, blocks: str):
    (tmp_path / "media").mkdir(exist_ok=True)
    (tmp_path / "media/intro.mp4").write_bytes(MP4)
    (tmp_path / "media/intro.vtt").write_bytes(VTT)
    path = tmp_path / "video.yaml"
    path.write_text(COURSE_FILE.format(blocks=blocks), encoding="utf-8")
    return path


def test_it_round_trips_video_blocks_through_a_course_file(tmp_path):
    path = write_course(
        tmp_path,
        """          - type: media
            key: online
            title: "Online"
            url: "https://www.youtube.com/shorts/dQw4w9WgXcQ"
            transcript: "<p>Uitgeschreven.</p>"
          - type: media
            key: eigen
            title: "Eigen opname"
            file: media/intro.mp4
            captions: media/intro.vtt
            transcript: "<p>Ook uitgeschreven.</p>"
""",
    )
    import_content([path], publish=True)
    version = Lesson.objects.get(module__version__course__slug="video-cursus").module.version
    online, own = MediaBlock.objects.filter(lesson__module__version=version).order_by("position")
    assert online.embed.embed_url == NOCOOKIE and not online.file
    assert own.file.name.endswith(".mp4") and own.captions.name.endswith(".vtt")

    exported = export_version(version, tmp_path / "uit/")
    text = exported.read_text(encoding="utf-8")
    assert "url: https://www.youtube.com/shorts/dQw4w9WgXcQ" in text
    exported.write_text(text.replace("slug: video-cursus", "slug: video-kopie"), encoding="utf-8")
    import_content([exported], publish=True)
    copy = Lesson.objects.get(module__version__course__slug="video-kopie").module.version
    assert version_plan(copy) == {**version_plan(version), "slug": "video-kopie"}


@pytest.mark.parametrize(
    ("block", "path", "message"),
    [
        (
            'url: "https://example.org/film.mp4"\n            transcript: "<p>T</p>"',
            "modules[0].lessons[0].blocks[0].url",
            "YouTube of Vimeo",
        ),
        ('url: "https://youtu.be/dQw4w9WgXcQ"', "modules[0].lessons[0].blocks[0]", "transcript"),
        (
            'file: media/intro.mp4\n            transcript: "<p>T</p>"',
            "modules[0].lessons[0].blocks[0]",
            "ondertitels",
        ),
    ],
)
def test_it_refuses_a_course_file_video_without_embed_captions_or_transcript(
    tmp_path, block, path, message
):
    course_file = write_course(
        tmp_path, f'          - type: media\n            title: "V"\n            {block}\n'
    )
    with pytest.raises(ContentFilesInvalid) as excinfo:
        import_content([course_file], publish=True)
    errors = {e.path: e.message for e in excinfo.value.errors}
    assert message in errors[path], errors
    assert not MediaBlock.objects.exists()


@pytest.mark.parametrize("standard", ["scorm12", "scorm2004", "cmi5"])
def test_packages_link_to_an_embed_and_carry_uploaded_video_with_captions(tmp_path, standard):
    path = write_course(
        tmp_path,
        """          - type: media
            title: "Online"
            url: "https://vimeo.com/76979871"
            transcript: "<p>Uitgeschreven online.</p>"
          - type: media
            title: "Eigen opname"
            file: media/intro.mp4
            captions: media/intro.vtt
            transcript: "<p>Ook uitgeschreven.</p>"
""",
    )
    import_content([path], publish=True)
    version = Lesson.objects.get(module__version__course__slug="video-cursus").module.version
    package = zipfile.ZipFile(io.BytesIO(builder_for(standard, version).build_bytes()))
    html = "\n".join(package.read(n).decode() for n in package.namelist() if n.endswith(".html"))
    # Offline: no embed, a link to the video's page and the transcript.
    assert "<iframe" not in html and "player.vimeo.com" not in html
    assert 'href="https://vimeo.com/76979871"' in html and "Bekijk de video op Vimeo" in html
    assert "Uitgeschreven online." in html
    # The uploaded video and its captions are in the zip, and the page plays them.
    video = next(n for n in package.namelist() if n.endswith(".mp4"))
    captions = next(n for n in package.namelist() if n.endswith(".vtt"))
    assert package.read(video) == MP4 and package.read(captions) == VTT
    assert f'<video controls preload="metadata" src="{video}">' in html
    assert f'<track kind="captions" src="{captions}"' in html


def test_the_database_refuses_a_media_block_without_a_transcript_even_with_captions(draft):
    lesson = Lesson.objects.get(module__version=draft, key="les-1")
    with pytest.raises(IntegrityError, match="courses_mediablock_accessible"):
        with transaction.atomic():
            MediaBlock.objects.create(
                lesson=lesson,
                key="zonder-transcript",
                position=30,
                media_kind="video",
                title="Ondertiteld",
                url=NOCOOKIE,
                captions="blocks/captions/nl.vtt",
                transcript="",
            )
    MediaBlock.objects.create(
        lesson=lesson,
        key="met-transcript",
        position=31,
        media_kind="video",
        title="Ondertiteld",
        url=NOCOOKIE,
        captions="blocks/captions/nl.vtt",
        transcript="<p>Wat er gezegd wordt.</p>",
    )
