"""Course content as code: importing, validating and exporting YAML course files."""

import json
import shutil
from io import StringIO
from pathlib import Path

import jsonschema
import pytest
import yaml
from django.core.files.base import ContentFile as DjangoContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.course_files import (
    ContentFilesInvalid,
    check_files,
    export_version,
    import_content,
    version_plan,
    version_to_dict,
)
from courses.course_files.exporter import media_as_digest
from courses.course_files.importer import canonical
from courses.course_files.schema import SCHEMA_PATH
from courses.models import (
    Block,
    Course,
    CourseVersion,
    GlossaryTerm,
    ImageBlock,
    LearningTrack,
    Lesson,
    MatchingQuestion,
    MediaBlock,
    Module,
    Option,
    OrderingQuestion,
    Persona,
    Question,
    Quiz,
    ScaleQuestion,
    ScenarioChoice,
    ScenarioStep,
    TrackCourse,
)
from tests import factories

CORPUS = Path(__file__).parent / "course_files"
VALID = CORPUS / "valid"
BROKEN = CORPUS / "broken"
EVERY_KIND = VALID / "courses" / "every-kind.yaml"
SMALL = VALID / "courses" / "small.yaml"

ALL_BLOCK_TYPES = {
    "text",
    "callout",
    "image",
    "media",
    "persona_story",
    "scenario",
    "reflection",
    "quiz",
}
ALL_QUESTION_TYPES = {
    "single_choice",
    "multiple_choice",
    "true_false",
    "ordering",
    "matching",
    "scale",
}
CONTENT_MODELS = [
    Course,
    CourseVersion,
    Module,
    Lesson,
    Block,
    ScenarioStep,
    ScenarioChoice,
    Quiz,
    Question,
    Option,
    Persona,
    GlossaryTerm,
    LearningTrack,
    TrackCourse,
]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def model_counts():
    return {model.__name__: model.objects.count() for model in CONTENT_MODELS}


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the first line of `path` containing `needle`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def import_valid_set(publish=True):
    return import_content([VALID], publish=publish)


def copy_course(tmp_path, source=EVERY_KIND, name="course") -> Path:
    """Copy a corpus course file with its media into a temporary folder to edit it there."""
    folder = tmp_path / name
    shutil.copytree(source.parent, folder)
    return folder / source.name


def blocks_and_question_types(plan):
    blocks = {
        b["type"] for m in plan["modules"] for lesson in m["lessons"] for b in lesson["blocks"]
    }
    questions = {q["type"] for quiz in plan["quizzes"] for q in quiz["questions"]}
    return blocks, questions


def db_snapshot(version):
    """Every content row of `version` as plain values, read through the ORM (not the exporter).

    Ids and parent links are left out; foreign keys become the key or slug they point to and
    files become their bytes, so two versions with the same content have equal snapshots.
    """

    def row(obj, skip=()):
        values = {}
        for f in obj._meta.concrete_fields:
            # Positions only order rows (listed in order here); their numbers may have gaps.
            if f.primary_key or f.name in skip or f.name in ("polymorphic_ctype", "position"):
                continue
            value = getattr(obj, f.name)
            if f.is_relation:
                value = (
                    getattr(value, "key", None) or getattr(value, "slug", None) if value else None
                )
            elif hasattr(value, "storage"):
                value = value.read() if value else b""
            values[f.name] = value
        return values

    version_row = row(
        version,
        # Publication state, not content (personas: the copies kept at publication).
        skip=(
            "course",
            "number",
            "status",
            "created_at",
            "published_at",
            "published_by",
            "personas",
        ),
    )
    blocks = Block.objects.filter(lesson__module__version=version).order_by(
        "lesson__key", "position"
    )
    questions = Question.objects.filter(quiz__version=version).order_by("quiz__key", "position")
    return {
        "version": version_row,
        "modules": [row(m, skip=("version",)) for m in version.modules.order_by("position")],
        "lessons": [row(le) for le in version.lessons_in_order()],
        "blocks": [(b.kind, b.lesson.key, row(b)) for b in blocks],
        "steps": [
            row(st)
            for st in ScenarioStep.objects.filter(
                scenario__lesson__module__version=version
            ).order_by("scenario__lesson__key", "scenario__position", "position")
        ],
        "choices": [
            row(c)
            for c in ScenarioChoice.objects.filter(
                step__scenario__lesson__module__version=version
            ).order_by(
                "step__scenario__lesson__key",
                "step__scenario__position",
                "step__position",
                "position",
            )
        ],
        "quizzes": [row(q, skip=("version",)) for q in version.quizzes.order_by("key")],
        "questions": [(q.kind, row(q)) for q in questions],
        "options": [
            (o.question.quiz.key, row(o))
            for o in Option.objects.filter(question__quiz__version=version)
            .select_related("question__quiz")
            .order_by("question__quiz__key", "question__position", "position")
        ],
    }


# --- Valid files -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_imports_a_set_of_files_with_every_block_and_question_type(media_root):
    results = import_valid_set()

    assert [r.kind for r in results] == ["personas", "glossary", "course", "course", "tracks"]
    course = Course.objects.get(slug="test-alles")
    version = course.published_version
    assert (version.number, version.status) == (1, CourseVersion.Status.PUBLISHED)
    lessons = list(version.lessons_in_order())
    assert [lesson.key for lesson in lessons] == ["sekse-en-gender", "in-de-praktijk", "toets"]
    assert lessons[1].required is False
    blocks = list(Block.objects.filter(lesson=lessons[0]).order_by("position"))
    # Absent keys are derived per type, so they stay the same on every import.
    assert [b.key for b in blocks] == [
        "text-1",
        "callout-1",
        "image-1",
        "versiering",
        "media-1",
        "media-2",
        "uitleg-online",
        "text-2",
    ]
    image = blocks[2]
    assert isinstance(image, ImageBlock) and image.alt == "Een witte stip."
    assert (media_root / image.image.name).read_bytes() == (
        VALID / "courses/media/pixel.png"
    ).read_bytes()
    video = blocks[4]
    assert isinstance(video, MediaBlock) and video.captions.name.endswith(".vtt")
    assert (media_root / video.captions.name).read_text().startswith("WEBVTT")
    online = blocks[6]
    assert isinstance(online, MediaBlock) and online.url == "https://youtu.be/dQw4w9WgXcQ"
    assert online.embed and online.embed.embed_url.startswith("https://www.youtube-nocookie.com/")
    # Author HTML is sanitised on import.
    assert (
        "<script>" not in version.description and "<strong>nadruk</strong>" in version.description
    )
    assert sorted(course.glossary_terms.values_list("term", flat=True)) == [
        "Genderidentiteit",
        "Sekse",
    ]
    final = version.quizzes.get(kind=Quiz.Kind.FINAL)
    assert (final.pass_mark, final.max_attempts) == (80, 3)
    scale = ScaleQuestion.objects.get(quiz__version=version, key="s1")
    assert (scale.scale_max, scale.low_label, scale.high_label) == (7, "oneens", "eens")
    matching = MatchingQuestion.objects.get(quiz__version=version)
    assert [(o.text, o.match) for o in matching.options.all()] == [
        ("Sekse", "Lichamelijke kenmerken"),
        ("Gender", "Sociale rol en identiteit"),
    ]
    ordering = OrderingQuestion.objects.get(quiz__version=version)
    assert ordering.has_correct_answer()
    step = ScenarioStep.objects.get(scenario__lesson=lessons[1], key="start")
    assert [c.next_step.key for c in step.choices.all()] == ["vervolg", "vervolg"]
    levi = Persona.objects.get(slug="test-levi")
    assert levi.portrait.name.startswith("personas/") and levi.portrait_alt
    entries = list(LearningTrack.objects.get(slug="test-leerlijn").entries.order_by("position"))
    assert [e.course.slug for e in entries] == ["test-alles", "test-klein"]
    assert [c.slug for c in entries[1].prerequisites.all()] == ["test-alles"]


@pytest.mark.django_db
def test_it_round_trips_an_imported_course_through_export(tmp_path):
    import_valid_set()
    original = Course.objects.get(slug="test-alles").published_version

    exported = export_version(original, tmp_path / "export/")
    text = exported.read_text(encoding="utf-8").replace(
        "slug: test-alles", "slug: test-alles-kopie"
    )
    exported.write_text(text, encoding="utf-8")
    import_content([exported], publish=True)

    copy = Course.objects.get(slug="test-alles-kopie").published_version
    original_plan, copy_plan = version_plan(original), version_plan(copy)
    assert blocks_and_question_types(original_plan) == (ALL_BLOCK_TYPES, ALL_QUESTION_TYPES)
    assert copy_plan == {**original_plan, "slug": "test-alles-kopie"}
    assert db_snapshot(copy) == db_snapshot(original)
    # And both equal what the source file says.
    source = canonical(check_files([VALID / "personas.yaml", EVERY_KIND])[1].plan)
    assert original_plan == source


@pytest.mark.django_db
def test_it_round_trips_a_course_built_without_the_importer(tmp_path):
    course = factories.make_course(slug="gebouwd", lessons=1, final_questions=2, publish=False)
    version = course.versions.get()
    lesson = version.lessons_in_order().first()
    factories.add_every_block_kind(lesson, start=1)
    image = ImageBlock(lesson=lesson, position=20, key="foto", alt="Een stip")
    image.image.save(
        "stip.png", DjangoContentFile((VALID / "courses/media/pixel.png").read_bytes()), save=False
    )
    image.save()
    audio = MediaBlock(
        lesson=lesson,
        position=21,
        key="geluid",
        media_kind="audio",
        title="Audio",
        transcript="<p>Tekst</p>",
    )
    audio.file.save(
        "geluid.mp3", DjangoContentFile(b"ID3\x03\x00\x00\x00\x00\x00\x00rest"), save=False
    )
    audio.save()
    quiz = Quiz.objects.create(
        version=version, key="zelf", title="Zelf", kind=Quiz.Kind.SELF_ASSESSMENT
    )
    ScaleQuestion.objects.create(
        quiz=quiz, position=0, key="s", prompt="<p>Ik kan het.</p>", scale_max=4
    )
    order = OrderingQuestion.objects.create(
        quiz=quiz, position=1, key="volgorde", prompt="<p>Volgorde</p>"
    )
    match = MatchingQuestion.objects.create(
        quiz=quiz, position=2, key="koppel", prompt="<p>Koppel</p>"
    )
    for i in range(2):
        Option.objects.create(question=order, position=i, key=f"v{i}", text=f"Stap {i}")
        Option.objects.create(
            question=match, position=i, key=f"k{i}", text=f"Term {i}", match=f"Betekenis {i}"
        )
    factories.publish_version(version)

    exported = export_version(version, tmp_path / "gebouwd.yaml")
    text = exported.read_text(encoding="utf-8").replace("slug: gebouwd", "slug: gebouwd-kopie")
    exported.write_text(text, encoding="utf-8")
    import_content([exported])

    copy = Course.objects.get(slug="gebouwd-kopie").versions.get()
    plan = version_plan(version)
    assert blocks_and_question_types(plan) == (ALL_BLOCK_TYPES, ALL_QUESTION_TYPES)
    assert version_plan(copy) == {**plan, "slug": "gebouwd-kopie"}
    assert db_snapshot(copy) == db_snapshot(version)
    assert copy.status == CourseVersion.Status.DRAFT


@pytest.mark.django_db
def test_it_creates_nothing_when_an_unchanged_course_is_imported_again(tmp_path):
    import_valid_set()
    before = model_counts()
    version = Course.objects.get(slug="test-alles").published_version

    results = import_valid_set()

    assert {r.action for r in results} == {"unchanged"}
    assert model_counts() == before
    assert Course.objects.get(slug="test-alles").published_version == version
    # An exported copy of the published version is the same content too.
    exported = export_version(version, tmp_path / "export/")
    assert import_content([exported])[0].action == "unchanged"
    assert model_counts() == before


@pytest.mark.django_db
def test_it_imports_a_changed_course_as_a_new_draft_and_publishes_it_on_request(tmp_path):
    import_valid_set()
    course = Course.objects.get(slug="test-alles")
    v1 = course.published_version
    changed = copy_course(tmp_path)
    changed.write_text(
        changed.read_text(encoding="utf-8").replace(
            'title: "In de praktijk"', 'title: "Naar de praktijk"'
        ),
        encoding="utf-8",
    )

    [result] = import_content([changed])
    course.refresh_from_db()
    draft = course.versions.get(status=CourseVersion.Status.DRAFT)
    assert (result.action, result.version, draft.number) == ("draft", 2, 2)
    assert course.published_version == v1
    assert draft.lessons_in_order()[1].title == "Naar de praktijk"

    # Changing the file again replaces the draft rather than stacking drafts.
    changed.write_text(
        changed.read_text(encoding="utf-8").replace("Naar de praktijk", "Praktijk"),
        encoding="utf-8",
    )
    import_content([changed])
    assert course.versions.filter(status=CourseVersion.Status.DRAFT).get().pk == draft.pk
    assert course.versions.count() == 2

    [result] = import_content([changed], publish=True)
    course.refresh_from_db()
    v1.refresh_from_db()
    assert result.action == "published"
    assert course.published_version.pk == draft.pk and course.published_version.number == 2
    assert course.published_version.published_at is not None
    assert v1.status == CourseVersion.Status.RETIRED
    assert course.versions.count() == 2
    assert course.published_version.lessons_in_order()[1].title == "Praktijk"


@pytest.mark.django_db
def test_it_publishes_a_changed_course_directly_and_retires_the_old_version(tmp_path):
    import_valid_set()
    changed = copy_course(tmp_path)
    changed.write_text(
        changed.read_text(encoding="utf-8").replace("pass_mark: 80", "pass_mark: 75"), "utf-8"
    )

    [result] = import_content([changed], publish=True)

    course = Course.objects.get(slug="test-alles")
    assert (result.action, result.version) == ("published", 2)
    assert course.published_version.quizzes.get(kind=Quiz.Kind.FINAL).pass_mark == 75
    assert list(course.versions.order_by("number").values_list("status", flat=True)) == [
        CourseVersion.Status.RETIRED,
        CourseVersion.Status.PUBLISHED,
    ]


# --- Refused files -----------------------------------------------------------------------------


def refused(paths):
    """Import `paths` with a valid course alongside; assert nothing was written; return errors."""
    before = model_counts()
    with pytest.raises(ContentFilesInvalid) as excinfo:
        import_content([SMALL, *paths], publish=True)
    assert model_counts() == before
    return excinfo.value.errors


BROKEN_CASES = [
    # file, path in the error, the text on the error's line, words of the problem
    (
        "unknown-block.yaml",
        "modules[0].lessons[0].blocks[1].type",
        "type: video",
        "onbekend bloktype ‘video’",
    ),
    ("no-correct.yaml", "quizzes[0].questions[0].options", "options:", "geen juist antwoord"),
    (
        "pass-mark.yaml",
        "quizzes[0].pass_mark",
        "pass_mark: 150",
        "150 is te groot: het maximum is 100",
    ),
    (
        "unknown-quiz.yaml",
        "modules[0].lessons[0].blocks[1].quiz",
        "quiz: bestaat-niet",
        "de quiz ‘bestaat-niet’ bestaat niet",
    ),
    (
        "scenario-next.yaml",
        "modules[0].lessons[0].blocks[1].steps[0].choices[0].next",
        "next: nergens",
        "de stap ‘nergens’, maar die bestaat niet",
    ),
    ("missing-alt.yaml", "modules[0].lessons[0].blocks[1]", "- type: image", "alt-tekst"),
    ("traversal.yaml", "modules[0].lessons[0].blocks[1].file", "file: ../valid", "binnen de map"),
    (
        "fake-image.yaml",
        "modules[0].lessons[0].blocks[1].file",
        "file: fake.png",
        "geen geldig PNG-bestand",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "path", "line_text", "problem"), BROKEN_CASES)
def test_it_refuses_a_broken_file_naming_file_path_line_and_problem(name, path, line_text, problem):
    file = BROKEN / name
    [error] = refused([file])

    assert error.file.endswith(f"broken/{name}")
    assert error.path == path
    assert error.line == line_of(file, line_text)
    assert problem in error.message
    assert str(error).startswith(f"{error.file}:{error.line}: {path}: ")


@pytest.mark.django_db
def test_it_refuses_broken_yaml_with_the_line_of_the_syntax_error():
    [error] = refused([BROKEN / "syntax.yaml"])

    assert error.file.endswith("broken/syntax.yaml")
    assert error.line == line_of(BROKEN / "syntax.yaml", "   lessons: []")
    assert "ongeldige YAML" in error.message


@pytest.mark.django_db
def test_it_refuses_two_files_with_the_same_course_slug():
    [error] = refused([CORPUS / "dup"])

    assert error.file.endswith("dup/b.yaml") and error.path == "slug" and error.line == 2
    assert "dup/a.yaml" in error.message


@pytest.mark.django_db
def test_it_collects_every_error_of_a_file(tmp_path):
    bad = tmp_path / "veel-fouten.yaml"
    bad.write_text(
        (BROKEN / "no-correct.yaml")
        .read_text(encoding="utf-8")
        .replace("kind: test", "kind: test\n    pass_mark: -1")
        .replace("quiz: toets", "quiz: andere-toets")
        .replace('title: "Les 1"', 'title: "Les 1"\n        kleur: rood'),
        encoding="utf-8",
    )
    errors = refused([bad])

    messages = {e.path: e.message for e in errors}
    assert set(messages) == {"modules[0].lessons[0].kleur", "quizzes[0].pass_mark"}
    assert "onbekend veld ‘kleur’" in messages["modules[0].lessons[0].kleur"]
    # Semantic checks run once the structure is right; then they too report everything at once.
    fixed = (
        bad.read_text(encoding="utf-8")
        .replace("    pass_mark: -1\n", "")
        .replace("        kleur: rood\n", "")
    )
    bad.write_text(fixed, encoding="utf-8")
    errors = refused([bad])
    assert {e.path for e in errors} == {
        "modules[0].lessons[0].blocks[1].quiz",
        "quizzes[0].questions[0].options",
    }


@pytest.mark.django_db
def test_it_refuses_references_to_unknown_personas_glossary_terms_and_track_courses(tmp_path):
    course = copy_course(tmp_path)
    tracks = tmp_path / "tracks.yaml"
    tracks.write_text(
        "tracks:\n  - slug: lijn\n    title: Lijn\n    courses:\n      - course: test-alles\n"
        "      - course: onbekend\n        requires: [test-klein]\n",
        encoding="utf-8",
    )
    # Without personas.yaml and glossary.yaml the course refers to things that do not exist.
    errors = refused([course, tracks])

    found = {(Path(e.file).name, e.path): e.message for e in errors}
    assert (
        "de persona ‘test-levi’ bestaat niet"
        in found[("every-kind.yaml", "modules[0].lessons[1].blocks[0].persona")]
    )
    assert "test-jaimy" in found[("every-kind.yaml", "modules[0].lessons[1].blocks[1].persona")]
    assert "begrippenlijst" in found[("every-kind.yaml", "glossary[0]")]
    assert "bestaat niet" in found[("tracks.yaml", "tracks[0].courses[1].course")]
    assert "eerder in deze leerlijn" in found[("tracks.yaml", "tracks[0].courses[1].requires[0]")]


@pytest.mark.django_db
def test_it_refuses_a_second_final_test_and_answers_that_do_not_fit_the_question_type(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        """format: 1
slug: vraagfouten
title: Vraagfouten
modules:
  - key: m
    title: M
    lessons:
      - key: l
        title: L
        blocks: []
quizzes:
  - key: a
    title: A
    kind: final
    questions:
      - type: true_false
        prompt: "<p>?</p>"
        options: [{text: Waar, correct: true}, {text: Niet waar, correct: true}]
      - type: matching
        prompt: "<p>?</p>"
        options: [{text: Een, match: "1"}, {text: Twee}]
      - type: scale
        prompt: "<p>?</p>"
  - key: b
    title: B
    kind: final
    questions:
      - type: multiple_choice
        prompt: "<p>?</p>"
        options: [{text: Een}, {text: Twee}]
""",
        encoding="utf-8",
    )
    errors = {e.path: e.message for e in refused([bad])}

    assert "precies één optie juist" in errors["quizzes[0].questions[0].options"]
    assert "‘match’" in errors["quizzes[0].questions[1].options[1]"]
    assert "self_assessment" in errors["quizzes[0].questions[2].type"]
    assert "hoogstens één" in errors["quizzes[1].kind"]
    assert "geen juist antwoord" in errors["quizzes[1].questions[0].options"]


@pytest.mark.django_db
def test_it_refuses_media_that_is_too_large_or_missing(settings, tmp_path):
    course = copy_course(tmp_path)
    settings.MEDIA_MAX_UPLOAD_BYTES = 40  # pixel.png is 69 bytes; the captions are 58
    text = course.read_text(encoding="utf-8").replace(
        "file: media/intro.mp4", "file: media/weg.mp4"
    )
    course.write_text(text, encoding="utf-8")
    errors = {
        e.path: e.message
        for e in refused([VALID / "personas.yaml", VALID / "glossary.yaml", course])
    }

    assert "te groot" in errors["modules[0].lessons[0].blocks[2].file"]
    assert "bestaat niet" in errors["modules[0].lessons[0].blocks[4].file"]
    assert "te groot" in errors["modules[0].lessons[0].blocks[4].captions"]
    assert "te groot" in errors["personas[0].portrait"]


@pytest.mark.django_db
def test_it_rolls_back_every_file_when_writing_one_of_them_fails(tmp_path):
    import_valid_set()
    changed = copy_course(tmp_path)
    changed.write_text(
        changed.read_text(encoding="utf-8").replace("Oefenvragen", "Oefenen"), "utf-8"
    )
    import_content([changed])  # a draft v2
    draft = Course.objects.get(slug="test-alles").versions.get(status=CourseVersion.Status.DRAFT)
    # An author tried the draft's quiz: its questions now have answers and cannot be replaced.
    learner = factories.make_user()
    enrollment = learner.enrollments.create(course=draft.course, version=draft)
    quiz = draft.quizzes.get(key="oefenen")
    attempt = enrollment.attempts.create(quiz=quiz)
    attempt.answers.create(question=quiz.questions.first(), response={})
    personas = tmp_path / "personas.yaml"
    personas.write_text("personas:\n  - slug: nieuw\n    name: Nieuw\n", encoding="utf-8")
    changed.write_text(
        changed.read_text(encoding="utf-8").replace("Oefenen", "Oefenvragen 2"), "utf-8"
    )
    before = model_counts()

    with pytest.raises(ContentFilesInvalid) as excinfo:
        import_content([personas, changed])

    assert "er zijn al antwoorden op gegeven" in excinfo.value.errors[0].message
    assert model_counts() == before
    assert not Persona.objects.filter(slug="nieuw").exists()


# --- Commands ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_exits_validate_course_with_1_and_the_errors_on_stderr():
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as excinfo:
        call_command(
            "validate_course", str(BROKEN / "pass-mark.yaml"), str(SMALL), stdout=out, stderr=err
        )

    assert excinfo.value.code == 1
    line = line_of(BROKEN / "pass-mark.yaml", "pass_mark: 150")
    assert f"pass-mark.yaml:{line}: quizzes[0].pass_mark: 150 is te groot" in err.getvalue()
    assert model_counts()["Course"] == 0


@pytest.mark.django_db
def test_it_validates_good_files_with_exit_code_0_and_writes_nothing(media_root):
    out = StringIO()
    call_command("validate_course", str(VALID), stdout=out)

    assert "every-kind.yaml: cursus – in orde" in out.getvalue()
    assert set(model_counts().values()) == {0}
    assert not media_root.exists() or not any(media_root.rglob("*"))


@pytest.mark.django_db
def test_it_imports_and_exports_with_the_commands(tmp_path):
    out = StringIO()
    call_command(
        "import_course",
        str(VALID / "personas.yaml"),
        str(VALID / "glossary.yaml"),
        str(SMALL),
        "--publish",
        stdout=out,
    )
    assert (
        "test-klein v1 (gepubliceerd) – nieuw en gepubliceerd; 1 modules, 1 lessen, 1 blokken"
        in out.getvalue()
    )

    out = StringIO()
    call_command("export_course", "test-klein", "-o", str(tmp_path / "uit.yaml"), stdout=out)
    exported = yaml.safe_load((tmp_path / "uit.yaml").read_text(encoding="utf-8"))
    assert exported["slug"] == "test-klein" and exported["version"] == 1
    assert exported["modules"][0]["lessons"][0]["blocks"] == [
        {"type": "text", "key": "text-1", "html": "<p>Hallo.</p>"}
    ]
    with pytest.raises(CommandError, match="geen concept"):
        call_command("export_course", "test-klein", "-o", str(tmp_path / "x.yaml"), "--draft")
    with pytest.raises(CommandError, match="fout"):
        call_command("import_course", str(BROKEN / "unknown-block.yaml"), stderr=StringIO())


@pytest.mark.django_db
def test_it_exports_the_draft_with_draft_flag(tmp_path):
    import_valid_set()
    changed = copy_course(tmp_path)
    changed.write_text(
        changed.read_text(encoding="utf-8").replace("Alle onderdelen", "Alles"), "utf-8"
    )
    import_content([changed])

    call_command(
        "export_course", "test-alles", "-o", str(tmp_path / "out/"), "--draft", stdout=StringIO()
    )
    draft = yaml.safe_load((tmp_path / "out/test-alles.yaml").read_text(encoding="utf-8"))
    call_command("export_course", "test-alles", "-o", str(tmp_path / "pub/"), stdout=StringIO())
    published = yaml.safe_load((tmp_path / "pub/test-alles.yaml").read_text(encoding="utf-8"))

    assert (draft["title"], draft["version"]) == ("Alles", 2)
    assert (published["title"], published["version"]) == ("Alle onderdelen", 1)
    assert (tmp_path / "out/media/test-alles/pixel.png").read_bytes() == (
        VALID / "courses/media/pixel.png"
    ).read_bytes()


@pytest.mark.django_db
def test_it_loads_seed_content_idempotently(tmp_path):
    content = tmp_path / "content"
    (content / "courses").mkdir(parents=True)
    (content / "personas.yaml").write_text(
        "personas:\n  - slug: kim\n    name: Kim\n", encoding="utf-8"
    )
    (content / "glossary.yaml").write_text(
        "terms:\n  - term: Queer\n    definition: <p>Een verzamelterm.</p>\n", encoding="utf-8"
    )
    (content / "courses" / "mini.yaml").write_text(
        """format: 1
slug: mini
title: Mini
glossary: [Queer]
modules:
  - key: m
    title: M
    lessons:
      - key: l
        title: L
        blocks:
          - type: persona_story
            persona: kim
            title: Kim
            situation: <p>Kim vertelt.</p>
""",
        encoding="utf-8",
    )
    (content / "tracks.yaml").write_text(
        "tracks:\n  - slug: mini-lijn\n    title: Mini-lijn\n    courses:\n      - course: mini\n",
        encoding="utf-8",
    )

    out = StringIO()
    call_command("load_seed_content", "--path", str(content), stdout=out)
    assert "mini v1 (gepubliceerd) – nieuw en gepubliceerd" in out.getvalue()
    course = Course.objects.get(slug="mini")
    assert course.published_version.number == 1
    assert course.glossary_terms.get().term == "Queer"
    assert LearningTrack.objects.get(slug="mini-lijn").entries.get().course == course
    before = model_counts()

    out = StringIO()
    with CaptureQueriesContext(connection) as second_run:
        call_command("load_seed_content", "--path", str(content), stdout=out)
    assert model_counts() == before
    assert out.getvalue().count("– ongewijzigd;") == 4
    assert not [
        q
        for q in second_run.captured_queries
        if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))
    ]


# --- Performance and the schema ----------------------------------------------------------------


def course_with_questions(folder: Path, n: int) -> Path:
    questions = "\n".join(
        f"""      - key: q{i}
        type: single_choice
        prompt: "<p>Vraag {i}</p>"
        options:
          - {{text: "Ja", correct: true}}
          - {{text: "Nee"}}
          - {{text: "Misschien"}}"""
        for i in range(n)
    )
    path = folder / f"vragen-{n}.yaml"
    path.write_text(
        f"""format: 1
slug: vragen-{n}
title: Vragen
modules:
  - key: m
    title: M
    lessons:
      - key: l
        title: L
        blocks:
          - type: quiz
            quiz: toets
quizzes:
  - key: toets
    title: Toets
    kind: final
    questions:
{questions}
""",
        encoding="utf-8",
    )
    return path


@pytest.mark.django_db
def test_it_imports_a_course_in_a_bounded_number_of_queries(tmp_path):
    counts = {}
    for n in (2, 12):
        path = course_with_questions(tmp_path, n)
        with CaptureQueriesContext(connection) as ctx:
            import_content([path], publish=True)
        counts[n] = len(ctx.captured_queries)
        assert (
            Option.objects.filter(question__quiz__version__course__slug=f"vragen-{n}").count()
            == 3 * n
        )

    # A polymorphic question is two inserts (base and subclass row); its options are bulk-inserted.
    assert counts[12] - counts[2] <= 2 * 10
    assert counts[2] < 40

    # Re-importing the unchanged course reads a fixed number of queries, whatever its size.
    rereads = {}
    for n in (2, 12, 2):  # the first round also fills Django's content-type cache
        with CaptureQueriesContext(connection) as ctx:
            import_content([tmp_path / f"vragen-{n}.yaml"], publish=True)
        rereads[n] = len(ctx.captured_queries)
    assert rereads[2] == rereads[12]
    assert Course.objects.get(slug="vragen-12").versions.count() == 1


def test_it_publishes_a_schema_that_accepts_the_valid_corpus_and_rejects_a_broken_file():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    for path in sorted(VALID.rglob("*.yaml")):
        errors = list(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8"))))
        assert errors == [], (path, errors)
    broken = yaml.safe_load((BROKEN / "unknown-block.yaml").read_text(encoding="utf-8"))
    assert any(list(e.absolute_path)[-1:] == ["type"] for e in validator.iter_errors(broken))


@pytest.mark.django_db
def test_it_reads_a_version_for_export_in_a_fixed_number_of_queries(django_assert_num_queries):
    import_valid_set()
    version = CourseVersion.objects.select_related("course").get(course__slug="test-alles")
    version_to_dict(version, media_as_digest)  # warms Django's content-type cache, as in a server

    # modules + lessons, blocks (1 + 8 block types), scenario steps, choices, personas, quizzes,
    # questions (1 + 6 question types), options, glossary terms.
    with django_assert_num_queries(2 + 9 + 2 + 1 + 1 + 7 + 1 + 1):
        data = version_to_dict(version, media_as_digest)

    scenario = data["modules"][0]["lessons"][1]["blocks"][1]
    assert scenario["persona"] == "test-jaimy"
    assert scenario["steps"][0]["choices"][0]["next"] == "vervolg"
    assert data["modules"][0]["lessons"][0]["blocks"][2]["file"].startswith("sha256:")


@pytest.mark.django_db
def test_it_updates_personas_glossary_and_tracks_in_place(tmp_path):
    import_valid_set()
    levi = Persona.objects.get(slug="test-levi")
    folder = tmp_path / "set"
    shutil.copytree(VALID, folder)
    personas = folder / "personas.yaml"
    personas.write_text(personas.read_text(encoding="utf-8").replace("age: 16", "age: 17"), "utf-8")
    glossary = folder / "glossary.yaml"
    glossary.write_text(
        glossary.read_text(encoding="utf-8").replace("Hoe iemand", "Wie iemand"), "utf-8"
    )
    tracks = folder / "tracks.yaml"
    tracks.write_text(
        tracks.read_text(encoding="utf-8").replace("        requires: [test-alles]\n", ""), "utf-8"
    )
    before = model_counts()

    results = {r.kind: r for r in import_content([folder], publish=True)}

    assert results["personas"].counts["gewijzigd"] == 1 and results["course"].action == "unchanged"
    levi.refresh_from_db()
    assert levi.age == 17
    assert "Wie iemand" in GlossaryTerm.objects.get(term="Genderidentiteit").definition
    entries = LearningTrack.objects.get(slug="test-leerlijn").entries.order_by("position")
    assert [list(e.prerequisites.all()) for e in entries] == [[], []]
    assert model_counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("reference", ["../buiten.png", "/etc/passwd", "media/link.png"])
def test_it_refuses_media_paths_that_leave_the_course_folder(tmp_path, reference):
    outside = tmp_path / "buiten.png"
    shutil.copy(VALID / "courses/media/pixel.png", outside)
    folder = tmp_path / "cursus"
    (folder / "media").mkdir(parents=True)
    (folder / "media" / "link.png").symlink_to(outside)  # a link inside that points outside
    course = folder / "cursus.yaml"
    course.write_text(
        SMALL.read_text(encoding="utf-8").replace("slug: test-klein", "slug: met-plaatje")
        + f'          - type: image\n            file: "{reference}"\n            alt: Stip\n',
        encoding="utf-8",
    )

    [error] = refused([course])

    assert error.path == "modules[0].lessons[0].blocks[1].file"
    assert "buiten de map" in error.message or "binnen de map" in error.message
    assert not list((tmp_path / "media").rglob("*.png"))


@pytest.mark.django_db
def test_it_refuses_a_key_given_twice_in_one_mapping(tmp_path):
    course = tmp_path / "dubbel.yaml"
    course.write_text(
        SMALL.read_text(encoding="utf-8").replace('title: "Kleine cursus"', "title: A\ntitle: B"),
        encoding="utf-8",
    )

    [error] = refused([course])

    assert (error.path, error.line) == ("title", line_of(course, "title: B"))
    assert "twee keer" in error.message


@pytest.mark.django_db
def test_it_reports_only_the_unreadable_file_when_personas_do_not_parse(tmp_path):
    personas = tmp_path / "personas.yaml"
    personas.write_text("personas:\n  - slug: test-levi\n   name: [\n", encoding="utf-8")

    errors = refused([personas, EVERY_KIND])

    assert [Path(e.file).name for e in errors if "persona" in e.message] == []
    # The glossary was not given: its two terms are real errors, reported as well.
    assert [(Path(e.file).name, e.path) for e in errors] == [
        ("personas.yaml", ""),
        ("every-kind.yaml", "glossary[0]"),
        ("every-kind.yaml", "glossary[1]"),
    ]
    assert errors[0].line == 3 and "ongeldige YAML" in errors[0].message


@pytest.mark.django_db
def test_it_refuses_yaml_aliases_so_a_billion_laughs_cannot_expand(tmp_path):
    laughs = tmp_path / "lachen.yaml"
    lines = ["format: 1", 'a0: &a0 ["ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    laughs.write_text("\n".join(lines) + "\n", encoding="utf-8")

    [error] = refused([laughs])

    assert error.line == 3 and "niet ondersteund" in error.message


@pytest.mark.django_db
def test_it_imports_item_pools_tags_and_pinned_options_and_exports_them_back(tmp_path):
    import_valid_set()
    version = Course.objects.get(slug="test-alles").published_version
    final = version.quizzes.get(kind=Quiz.Kind.FINAL)
    assert final.draw == {"doel-1": 1, "doel-2": 1}
    assert [q.tags for q in final.questions.order_by("position")] == [
        ["doel-1"],
        ["doel-1"],
        ["doel-2"],
    ]
    assert list(
        Option.objects.filter(question__quiz=final, pinned=True).values_list("text", flat=True)
    ) == ["Geen van bovenstaande"]

    data = yaml.safe_load(export_version(version, tmp_path / "x.yaml").read_text("utf-8"))
    exported = next(q for q in data["quizzes"] if q["kind"] == "final")
    assert exported["draw"] == {"doel-1": 1, "doel-2": 1}
    assert exported["questions"][0]["tags"] == ["doel-1"]
    assert exported["questions"][0]["options"][2]["pinned"] is True
    assert "pinned" not in exported["questions"][0]["options"][0]


@pytest.mark.django_db
def test_it_refuses_a_draw_larger_than_its_pool_and_pins_outside_choice_questions(tmp_path):
    bad = tmp_path / "pool.yaml"
    bad.write_text(
        """format: 1
slug: pool
title: Pool
modules:
  - key: m
    title: M
    lessons:
      - key: l
        title: L
        blocks: []
quizzes:
  - key: a
    title: A
    kind: final
    draw: 3
    questions:
      - type: true_false
        prompt: "<p>?</p>"
        options: [{text: Waar, correct: true}, {text: Niet waar, pinned: true}]
      - type: single_choice
        prompt: "<p>?</p>"
        options: [{text: Een, correct: true}, {text: Twee}]
  - key: b
    title: B
    kind: test
    draw: {doel-1: 2, doel-2: 1}
    questions:
      - type: single_choice
        tags: [doel-1, doel-2]
        prompt: "<p>?</p>"
        options: [{text: Een, correct: true}, {text: Twee}]
  - key: c
    title: C
    kind: practice
    draw: 1
    questions:
      - type: single_choice
        prompt: "<p>?</p>"
        options: [{text: Een, correct: true}, {text: Twee}]
""",
        encoding="utf-8",
    )
    errors = {e.path: e.message for e in refused([bad])}

    assert "trekt 3 vragen" in errors["quizzes[0].draw"]
    assert "pinned" in errors["quizzes[0].questions[0].options[1].pinned"]
    assert "‘doel-1’" in errors["quizzes[1].draw.doel-1"]
    assert "meer dan één" in errors["quizzes[1].draw"]
    assert "toets" in errors["quizzes[2].draw"]


@pytest.mark.django_db
def test_it_leaves_statement_sets_in_a_content_folder_to_the_conversation_tool(tmp_path):
    folder = tmp_path / "content"
    (folder / "statements").mkdir(parents=True)
    shutil.copy(SMALL, folder / "course.yaml")
    statements = folder / "statements" / "set.yaml"
    statements.write_text("format: 1\nslug: set\nstatements: []\n", encoding="utf-8")
    checked = check_files([folder])
    assert [item.path.name for item in checked] == ["course.yaml"]
    errors = refused([statements])
    assert any("import_statements" in error.message for error in errors)


MINI_COURSE = """format: 1
slug: mini
title: Mini
glossary: [%s]
modules:
  - key: m
    title: M
    lessons:
      - key: l
        title: L
        blocks:
          - type: text
            html: <p>Over LHBTI en queer zijn.</p>
"""


@pytest.mark.django_db
def test_a_glossary_file_is_the_whole_glossary_and_published_versions_keep_theirs(tmp_path, client):
    content = tmp_path / "content"
    (content / "courses").mkdir(parents=True)
    glossary = content / "glossary.yaml"
    glossary.write_text(
        "terms:\n"
        "  - term: LHBTI\n    definition: <p>Oude term.</p>\n"
        "  - term: Queer\n    definition: <p>Een verzamelterm.</p>\n",
        encoding="utf-8",
    )
    (content / "courses" / "mini.yaml").write_text(MINI_COURSE % "LHBTI, Queer", "utf-8")
    call_command("load_seed_content", "--path", str(content), stdout=StringIO())
    published = Course.objects.get(slug="mini").published_version

    # The next glossary file renames a term; the course refers to what the file has.
    glossary.write_text(
        "terms:\n"
        "  - term: LHBTIQIA+\n    definition: <p>Nieuwe term.</p>\n"
        "  - term: Queer\n    definition: <p>Een verzamelterm.</p>\n",
        encoding="utf-8",
    )
    (content / "courses" / "mini.yaml").write_text(MINI_COURSE % "LHBTIQIA+, Queer", "utf-8")
    out = StringIO()
    call_command("load_seed_content", "--path", str(content), stdout=out)

    assert sorted(GlossaryTerm.objects.values_list("term", flat=True)) == ["LHBTIQIA+", "Queer"]
    course = Course.objects.get(slug="mini")
    assert sorted(course.glossary_terms.values_list("term", flat=True)) == ["LHBTIQIA+", "Queer"]
    # Unchanged lessons: the published version stays, with the terms it was approved with.
    assert course.published_version == published
    assert [(t.term, t.definition) for t in published.glossary_terms()] == [
        ("LHBTI", "<p>Oude term.</p>"),
        ("Queer", "<p>Een verzamelterm.</p>"),
    ]
    client.force_login(factories.make_user())
    page = client.get("/begrippen/?cursus=mini&versie=1").content.decode()
    assert "Oude term." in page and "Nieuwe term." not in page

    # A course file may not refer to a term the glossary file of the same import dropped.
    (content / "courses" / "mini.yaml").write_text(MINI_COURSE % "LHBTI", "utf-8")
    errors = StringIO()
    with pytest.raises(CommandError):
        call_command("load_seed_content", "--path", str(content), stderr=errors)
    assert "LHBTI" in errors.getvalue() and "begrippenlijst" in errors.getvalue()


@pytest.mark.django_db
def test_reloading_the_seed_content_removes_glossary_terms_the_file_dropped():
    call_command("load_seed_content", stdout=StringIO())
    seed = Course.objects.filter(published_version__isnull=False).first()
    for term in ("LHBTI", "LHBTIQ+"):  # as left in databases seeded from older files
        GlossaryTerm.objects.create(term=term, definition="<p>Oud.</p>").courses.add(seed)

    call_command("load_seed_content", stdout=StringIO())

    in_file = yaml.safe_load((Path("content") / "glossary.yaml").read_text("utf-8"))["terms"]
    assert sorted(GlossaryTerm.objects.values_list("term", flat=True)) == sorted(
        t["term"] for t in in_file
    )
