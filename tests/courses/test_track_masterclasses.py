"""Masterclasses as steps of a leerlijn in the tracks file (content/tracks.yaml)."""

from pathlib import Path

import pytest

from courses.course_files import ContentFilesInvalid, import_content
from courses.course_files.importer import check_files
from courses.models import LiveSessionType, TrackLiveSession
from tests import factories

pytestmark = pytest.mark.django_db

CONTENT = Path(__file__).resolve().parents[2] / "content"

TRACKS = """tracks:
  - slug: lijn
    title: Lijn
    courses:
      - course: basis
    masterclasses:
      - slug: mc-bias
        title: "Masterclass bias"
        description: "<p>Over bias.</p>"
        requires: [%s]
"""


def write(tmp_path, requires="basis"):
    path = tmp_path / "tracks.yaml"
    path.write_text(TRACKS % requires, encoding="utf-8")
    return path


def test_it_imports_masterclasses_as_steps_after_the_courses(tmp_path):
    factories.make_course(slug="basis")
    import_content([write(tmp_path)])
    step = TrackLiveSession.objects.get()
    assert step.session_type.title == "Masterclass bias" and step.position == 1
    assert [c.slug for c in step.prerequisites.all()] == ["basis"]
    # Importing the same file again changes nothing; the type keeps its editions.
    results = import_content([write(tmp_path)])
    assert results[0].action == "unchanged"
    assert TrackLiveSession.objects.get().pk == step.pk


def test_it_refuses_a_masterclass_prerequisite_outside_the_track(tmp_path):
    factories.make_course(slug="basis")
    with pytest.raises(ContentFilesInvalid) as caught:
        import_content([write(tmp_path, requires="elders")])
    assert "tracks[0].masterclasses[0].requires[0]" in str(caught.value)
    assert not LiveSessionType.objects.exists()


def test_it_leaves_statement_sets_out_of_a_content_folder():
    assert (CONTENT / "statements" / "wat-vind-jij.yaml").exists()
    checked = check_files([CONTENT])
    assert checked and not [item for item in checked if "statements" in item.path.parts]


def test_the_seed_track_has_both_masterclasses_after_the_basics():
    import yaml

    track = yaml.safe_load((CONTENT / "tracks.yaml").read_text(encoding="utf-8"))["tracks"][0]
    assert [m["slug"] for m in track["masterclasses"]] == [
        "masterclass-bias",
        "masterclass-bejegening",
    ]
    assert all(m["requires"] == ["sgd-basis"] for m in track["masterclasses"])


def test_it_lists_the_masterclasses_on_the_track_page_with_their_prerequisites(client, tmp_path):
    factories.make_course(slug="basis")
    import_content([write(tmp_path)])
    client.force_login(factories.make_user())
    html = client.get("/leerlijn/lijn/").content.decode()
    assert "Masterclass bias" in html and "/masterclass/mc-bias/" in html
    assert "Begin eerst met:" in html
