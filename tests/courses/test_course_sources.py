"""Sources, review dates and the estimated study load of course files."""

import datetime
import re
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

from courses.course_files import ContentFilesInvalid, check_files, import_content
from courses.course_files.study_load import (
    MINUTES_PER_QUESTION,
    MINUTES_PER_REFLECTION,
    MINUTES_PER_SCALE_ITEM,
    MINUTES_PER_SCENARIO_STEP,
    count_words,
    estimate_minutes,
    study_load_warning,
)
from courses.models import Course
from tests import factories

CORPUS = Path(__file__).parent / "course_files" / "valid"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def words(n: int) -> str:
    return "<p>" + " ".join(["woord"] * n) + "</p>"


def course(blocks=(), quizzes=(), hours=1, **lesson_fields) -> dict:
    return {
        "format": 1,
        "slug": "bronnen",
        "title": "Bronnen",
        "study_load_hours": hours,
        "modules": [
            {
                "key": "m",
                "title": "M",
                "lessons": [
                    {"key": "les", "title": "Les", "blocks": list(blocks), **lesson_fields}
                ],
            }
        ],
        "quizzes": list(quizzes),
    }


def write(tmp_path, data: dict) -> Path:
    path = tmp_path / "bronnen.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def plan_of(tmp_path, data: dict) -> dict:
    return check_files([write(tmp_path, data)])[0].plan


def single_choice(key: str) -> dict:
    return {
        "key": key,
        "type": "single_choice",
        "prompt": "<p>Vraag</p>",
        "options": [{"text": "A", "correct": True}, {"text": "B"}],
    }


# --- The estimate ------------------------------------------------------------------------------


def test_it_counts_words_of_html_without_tags_or_entities():
    assert count_words("<p>Een <strong>huis-arts</strong> &amp; een POH’s.</p>") == 5
    assert count_words("") == 0


@pytest.mark.django_db
def test_it_estimates_reading_at_200_words_a_minute(tmp_path):
    plan = plan_of(tmp_path, course([{"type": "text", "html": words(1000)}]))
    assert estimate_minutes(plan) == pytest.approx(5)


@pytest.mark.django_db
def test_it_adds_fixed_minutes_per_question_reflection_scenario_step_and_media(tmp_path):
    blocks = [
        {"type": "reflection", "key": "r", "prompt": "<p>…</p>"},
        {
            "type": "scenario",
            "title": "S",
            "steps": [
                {"key": "a", "situation": "<p>…</p>", "choices": [{"text": "…", "feedback": "…"}]},
                {"key": "b", "situation": "<p>…</p>", "choices": [{"text": "…", "feedback": "…"}]},
            ],
        },
        {
            "type": "media",
            "title": "V",
            "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "transcript": "<p>x</p>",
            "duration_minutes": 7,
        },
        {"type": "quiz", "quiz": "oefenen"},
    ]
    quizzes = [
        {"key": "oefenen", "title": "O", "questions": [single_choice("a"), single_choice("b")]},
        {
            "key": "zelf",
            "title": "Z",
            "kind": "self_assessment",
            "questions": [{"type": "scale", "prompt": "<p>…</p>"} for _ in range(4)],
        },
    ]
    plan = plan_of(tmp_path, course(blocks, quizzes))
    expected = (
        MINUTES_PER_REFLECTION
        + 2 * MINUTES_PER_SCENARIO_STEP
        + 7  # the media's playing time, instead of its transcript
        + 2 * MINUTES_PER_QUESTION
        + 2 * 4 * MINUTES_PER_SCALE_ITEM  # the self-assessment is taken twice
    )
    assert estimate_minutes(plan) == pytest.approx(expected)


def test_it_counts_only_the_drawn_questions_of_a_pool():
    plan = course(quizzes=[{"key": "t", "kind": "final", "draw": 3, "questions": [{}] * 6}])
    plan["modules"][0]["lessons"][0]["blocks"] = []
    assert estimate_minutes(plan) == pytest.approx(3 * MINUTES_PER_QUESTION)
    plan["quizzes"][0]["draw"] = {"doel-1": 1, "doel-2": 1}
    assert estimate_minutes(plan) == pytest.approx(2 * MINUTES_PER_QUESTION)


@pytest.mark.django_db
def test_it_warns_only_when_the_stated_load_differs_more_than_a_quarter(tmp_path):
    blocks = [{"type": "text", "html": words(200 * 60)}]  # 60 minutes of reading
    assert study_load_warning(plan_of(tmp_path, course(blocks, hours=1.25))) is None
    assert study_load_warning(plan_of(tmp_path, course(blocks, hours=0.75))) is None
    assert "wijkt meer dan 25% af" in study_load_warning(plan_of(tmp_path, course(blocks, hours=2)))
    assert "(60 minuten)" in study_load_warning(plan_of(tmp_path, course(blocks, hours=0.5)))


@pytest.mark.django_db
def test_it_prints_the_load_warning_from_validate_course_but_exits_0(tmp_path):
    path = write(tmp_path, course([{"type": "text", "html": words(200 * 60)}], hours=3))
    out, err = StringIO(), StringIO()
    call_command("validate_course", str(path), stdout=out, stderr=err)  # no SystemExit
    assert "in orde" in out.getvalue()
    assert "waarschuwing" in err.getvalue() and "(60 minuten)" in err.getvalue()


# --- Sources and review dates ------------------------------------------------------------------

SOURCES = [
    {"title": "Standaard", "publisher": "NHG", "year": 2024, "url": "https://example.org/s"},
    {"title": "Zonder link", "publisher": "RIVM", "year": 2022},
]


@pytest.mark.django_db
def test_it_stores_sources_and_review_dates_on_the_version(tmp_path):
    data = course([{"type": "text", "html": words(5)}], sources=SOURCES, reviewed_on="2026-11-30")
    data["next_review"] = "2027-12-01"
    import_content([write(tmp_path, data)], publish=True)

    version = Course.objects.get(slug="bronnen").published_version
    lesson = version.lessons_in_order().get()
    assert version.next_review == datetime.date(2027, 12, 1)
    assert lesson.reviewed_on == datetime.date(2026, 11, 30)
    assert lesson.sources == [SOURCES[0], {**SOURCES[1], "url": ""}]


@pytest.mark.django_db
def test_it_refuses_a_date_that_does_not_exist_and_a_source_without_publisher(tmp_path):
    data = course(sources=[{"title": "T", "year": 2020}], reviewed_on="2026-02-30")
    data["next_review"] = "volgend jaar"
    with pytest.raises(ContentFilesInvalid) as caught:
        check_files([write(tmp_path, data)])
    paths = {e.path for e in caught.value.errors}
    assert paths == {"next_review", "modules[0].lessons[0].sources[0].publisher"}

    data = course(reviewed_on="2026-02-30")
    with pytest.raises(ContentFilesInvalid) as caught:
        check_files([write(tmp_path, data)])
    [error] = caught.value.errors
    assert error.path == "modules[0].lessons[0].reviewed_on"
    assert "geen bestaande datum" in error.message


@pytest.mark.django_db
def test_it_shows_sources_on_the_lesson_page_and_review_dates_on_the_course_page(tmp_path, client):
    data = course([{"type": "text", "html": words(5)}], sources=SOURCES, reviewed_on="2026-11-30")
    data["next_review"] = "2027-12-01"
    import_content([write(tmp_path, data)], publish=True)
    client.force_login(factories.make_user())
    client.post(reverse("courses:enroll", args=["bronnen"]))

    page = client.get(reverse("courses:course_detail", args=["bronnen"])).content.decode()
    assert "Laatst beoordeeld" in page and "30 november 2026" in page
    assert "Volgende herziening" in page and "december 2027" in page

    lesson = client.get(reverse("courses:lesson", args=["bronnen", "les"])).content.decode()
    assert ">Bronnen</h2>" in lesson
    assert '<a href="https://example.org/s" rel="noopener">Standaard</a>. NHG, 2024.' in lesson
    assert "Zonder link. RIVM, 2022." in lesson
    assert lesson.index(">Bronnen</h2>") > lesson.index("woord woord")


@pytest.mark.django_db
def test_it_round_trips_sources_and_dates_through_export(tmp_path):
    data = course([{"type": "text", "html": words(5)}], sources=SOURCES, reviewed_on="2026-11-30")
    data["next_review"] = "2027-12-01"
    import_content([write(tmp_path, data)], publish=True)
    out = StringIO()
    call_command("export_course", "bronnen", "-o", str(tmp_path / "export"), stdout=out)
    exported = yaml.safe_load((tmp_path / "export" / "bronnen.yaml").read_text(encoding="utf-8"))
    lesson = exported["modules"][0]["lessons"][0]
    assert str(exported["next_review"]) == "2027-12-01"
    assert str(lesson["reviewed_on"]) == "2026-11-30"
    assert lesson["sources"] == [SOURCES[0], SOURCES[1]]
    # Importing the export again changes nothing.
    [result] = import_content([tmp_path / "export" / "bronnen.yaml"], publish=True)
    assert result.action == "unchanged"


# --- The seed courses under content/ -----------------------------------------------------------

CONTENT = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture
def seed_plans(db):
    """The plans of the three seed courses, as the importer checks them (nothing is written)."""
    return [item.plan for item in check_files([CONTENT]) if item.kind == "course"]


def final_test(plan):
    [final] = [q for q in plan["quizzes"] if q["kind"] == "final"]
    return final


def test_it_gives_every_seed_lesson_sources_and_a_review_date(seed_plans):
    assert len(seed_plans) == 3
    for plan in seed_plans:
        assert datetime.date.fromisoformat(plan["next_review"]) > datetime.date(2026, 12, 1)
        for module in plan["modules"]:
            for lesson in module["lessons"]:
                where = (plan["slug"], lesson["key"])
                assert lesson["reviewed_on"], where
                assert lesson["sources"], where
                for source in lesson["sources"]:
                    assert source["title"] and source["publisher"], where
                    assert not source["url"] or source["url"].startswith("https://"), where


def test_it_states_seed_study_loads_within_a_quarter_of_the_estimate(seed_plans):
    for plan in seed_plans:
        assert study_load_warning(plan) is None, (plan["slug"], study_load_warning(plan))


def test_it_balances_the_answer_keys_of_each_seed_final_test(seed_plans):
    for plan in seed_plans:
        positions = Counter()
        for question in final_test(plan)["questions"]:
            if question["type"] == "single_choice":
                positions[[o["correct"] for o in question["options"]].index(True)] += 1
        total = sum(positions.values())
        assert total >= 10, plan["slug"]
        # No position holds more than half of the keys, and every position is used.
        assert max(positions.values()) <= total / 2, (plan["slug"], positions)
        assert len(positions) == max(
            len(q.get("options", [])) for q in final_test(plan)["questions"]
        )


def test_it_draws_each_seed_final_test_from_a_pool_tagged_per_objective(seed_plans):
    for plan in seed_plans:
        final = final_test(plan)
        draw = final["draw"]
        assert isinstance(draw, dict), plan["slug"]
        objectives = {f"doel-{n}" for n in range(1, len(plan["learning_objectives"]) + 1)}
        assert set(draw) <= objectives, plan["slug"]
        for question in final["questions"]:
            assert len(question["tags"]) == 1 and question["tags"][0] in draw, question["key"]
        # A pool of about twice the test: a retake asks mostly different questions.
        assert len(final["questions"]) >= 1.5 * sum(draw.values()), plan["slug"]


ABSOLUTES = re.compile(r"\b(altijd|nooit|alleen)\b", re.IGNORECASE)


def test_it_gives_no_absolute_giveaways_in_seed_final_test_options(seed_plans):
    for plan in seed_plans:
        for question in final_test(plan)["questions"]:
            for option in question.get("options", []):
                assert not ABSOLUTES.search(option["text"]), (plan["slug"], option["text"])


def test_it_never_repeats_a_practice_item_in_a_seed_final_test(seed_plans):
    for plan in seed_plans:
        practice = {
            question["prompt"]
            for quiz in plan["quizzes"]
            if quiz["kind"] == "practice"
            for question in quiz["questions"]
        }
        finals = {question["prompt"] for question in final_test(plan)["questions"]}
        assert not practice & finals, plan["slug"]


def test_it_illustrates_each_seed_course_and_persona_with_alt_text(seed_plans):
    for plan in seed_plans:
        images = [
            block
            for module in plan["modules"]
            for lesson in module["lessons"]
            for block in lesson["blocks"]
            if block["type"] == "image"
        ]
        assert images, plan["slug"]
        assert all(image["alt"] and image["caption"] for image in images), plan["slug"]
    [personas] = [item.plan for item in check_files([CONTENT / "personas.yaml"])]
    for persona in personas:
        assert persona["portrait"] and persona["portrait_alt"], persona["slug"]
        # The portrait is a rendering of an original SVG kept next to it.
        assert (CONTENT / "media" / "portretten" / f"{persona['slug']}.svg").is_file()


@pytest.mark.django_db
def test_it_imports_the_seed_content_with_sources_and_exports_them_again(tmp_path):
    import_content([CONTENT], publish=True)
    version = Course.objects.get(slug="transgender-huisartsenpraktijk").published_version
    lessons = list(version.lessons_in_order())
    assert all(lesson.sources and lesson.reviewed_on for lesson in lessons)

    call_command("export_course", version.course.slug, "-o", str(tmp_path), stdout=StringIO())
    [result] = import_content([tmp_path / f"{version.course.slug}.yaml"], publish=True)
    assert result.action == "unchanged"


@pytest.mark.django_db
def test_it_shows_the_persona_portrait_and_the_diagram_on_a_seed_lesson_page(client):
    import_content([CONTENT], publish=True)
    client.force_login(factories.make_user())
    client.post(reverse("courses:enroll", args=["transgender-huisartsenpraktijk"]))

    page = client.get(
        reverse("courses:lesson", args=["transgender-huisartsenpraktijk", "wettelijk-kader"])
    ).content.decode()
    assert 'class="persona-portrait"' in page
    assert 'alt="Getekend portret van Ruben' in page
    assert 'alt="Schema: het geslacht in de BRP' in page
    assert page.index(">Bronnen</h2>") > page.index("persona-portrait")
