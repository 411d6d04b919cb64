"""Checks on the seed content under content/ (the three courses, personas, glossary and track).

These read the YAML files directly with PyYAML, so they run without the importer or a database.
They pin what the seed courses promise (docs/course-format.md plus the brief for the seed content):
enough lessons, persona stories, a real branching scenario, reflection, practice and final quizzes
with feedback everywhere, a self-assessment, and references that resolve.
"""

import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

CONTENT = Path(__file__).resolve().parents[2] / "content"
COURSE_FILES = sorted((CONTENT / "courses").glob("*.yaml"))
EXPECTED_COURSES = {"sgd-basis", "transgender-huisartsenpraktijk", "seksediversiteit-intersekse"}

KEY_RE = re.compile(r"^[a-z0-9-]{1,64}$")
# The brief asks for simple HTML only; anything else would be stripped or rejected on import.
ALLOWED_TAGS = {"p", "ul", "ol", "li", "strong", "em"}
TAG_RE = re.compile(r"</?\s*([a-zA-Z0-9]+)[^>]*>")
CHOICE_TYPES = {"single_choice", "multiple_choice", "true_false"}
SCORED_TYPES = CHOICE_TYPES | {"ordering", "matching"}
ALL_TYPES = SCORED_TYPES | {"scale"}
TAGS = {"knowledge", "attitude", "skill"}


def load(path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


COURSES = {path.name: load(path) for path in COURSE_FILES}
PERSONAS = load(CONTENT / "personas.yaml")["personas"]
GLOSSARY = load(CONTENT / "glossary.yaml")["terms"]
TRACKS = load(CONTENT / "tracks.yaml")["tracks"]

course_params = pytest.mark.parametrize("name", sorted(COURSES))


def blocks(course):
    for module in course["modules"]:
        for lesson in module["lessons"]:
            yield from lesson["blocks"]


def blocks_of(course, kind):
    return [b for b in blocks(course) if b["type"] == kind]


def quizzes_of(course, kind):
    return [q for q in course.get("quizzes", []) if q["kind"] == kind]


def html_fields(course):
    """Yield (path, value) for every field the format marks (html)."""
    yield "description", course.get("description", "")
    for m, module in enumerate(course["modules"]):
        for li, lesson in enumerate(module["lessons"]):
            for b, block in enumerate(lesson["blocks"]):
                at = f"modules[{m}].lessons[{li}].blocks[{b}]"
                for field in (
                    "html",
                    "situation",
                    "lesson_learned",
                    "introduction",
                    "prompt",
                    "guidance",
                    "transcript",
                ):
                    if field in block:
                        yield f"{at}.{field}", block[field]
                for s, step in enumerate(block.get("steps", [])):
                    yield f"{at}.steps[{s}].situation", step["situation"]
                    for c, choice in enumerate(step["choices"]):
                        yield f"{at}.steps[{s}].choices[{c}].feedback", choice["feedback"]
    for q, quiz in enumerate(course.get("quizzes", [])):
        yield f"quizzes[{q}].introduction", quiz.get("introduction", "")
        for n, question in enumerate(quiz["questions"]):
            at = f"quizzes[{q}].questions[{n}]"
            yield f"{at}.prompt", question["prompt"]
            yield f"{at}.explanation", question.get("explanation", "")
            for o, option in enumerate(question.get("options", [])):
                yield f"{at}.options[{o}].feedback", option.get("feedback", "")


def plain_fields(course):
    """Yield (path, value, max_length) for plain-text fields, with the model's length limit."""
    yield "title", course["title"], 200
    yield "audience", course.get("audience", ""), 200
    yield "accreditation_reference", course.get("accreditation_reference", ""), 100
    for i, objective in enumerate(course["learning_objectives"]):
        yield f"learning_objectives[{i}]", objective, 1000
    for m, module in enumerate(course["modules"]):
        yield f"modules[{m}].title", module["title"], 200
        for li, lesson in enumerate(module["lessons"]):
            yield f"modules[{m}].lessons[{li}].title", lesson["title"], 200
            for b, block in enumerate(lesson["blocks"]):
                at = f"modules[{m}].lessons[{li}].blocks[{b}]"
                if "title" in block:
                    yield f"{at}.title", block["title"], 200
                for i, impact in enumerate(block.get("impacts", [])):
                    yield f"{at}.impacts[{i}].label", impact["label"], 200
                    yield f"{at}.impacts[{i}].text", impact["text"], 2000
                for s, step in enumerate(block.get("steps", [])):
                    for c, choice in enumerate(step["choices"]):
                        yield f"{at}.steps[{s}].choices[{c}].text", choice["text"], 500
    for q, quiz in enumerate(course.get("quizzes", [])):
        yield f"quizzes[{q}].title", quiz["title"], 200
        for n, question in enumerate(quiz["questions"]):
            for o, option in enumerate(question.get("options", [])):
                yield f"quizzes[{q}].questions[{n}].options[{o}].text", option["text"], 500
                yield (
                    f"quizzes[{q}].questions[{n}].options[{o}].match",
                    option.get("match", ""),
                    500,
                )


def test_it_ships_the_three_seed_courses():
    assert {c["slug"] for c in COURSES.values()} == EXPECTED_COURSES
    for name, course in COURSES.items():
        assert name == f"{course['slug']}.yaml"
        assert course["format"] == 1
        assert course["language"] == "nl"


@course_params
def test_it_describes_each_course_for_the_catalog(name):
    course = COURSES[name]
    assert course["summary"].strip()
    assert course["description"].strip()
    assert Decimal(str(course["study_load_hours"])) > 0
    assert len(course["learning_objectives"]) >= 3
    # A real accreditation id comes from the accrediting body (records.CourseAccreditation),
    # never from us: no placeholder that a certificate, export or statement could repeat.
    assert course["accreditation_reference"] == ""


@course_params
def test_it_spreads_at_least_four_lessons_over_two_modules(name):
    modules = COURSES[name]["modules"]
    assert len(modules) >= 2
    lessons = [lesson for module in modules for lesson in module["lessons"]]
    assert len(lessons) >= 4
    for lesson in lessons:
        assert lesson["blocks"], lesson["key"]
        assert lesson.get("estimated_minutes", 0) > 0, lesson["key"]


@course_params
def test_it_uses_unique_slug_shaped_keys(name):
    course = COURSES[name]
    module_keys = [m["key"] for m in course["modules"]]
    lesson_keys = [lesson["key"] for m in course["modules"] for lesson in m["lessons"]]
    block_keys = [b["key"] for b in blocks(course) if "key" in b]
    quiz_keys = [q["key"] for q in course["quizzes"]]
    for keys in (module_keys, lesson_keys, block_keys, quiz_keys):
        assert len(keys) == len(set(keys)), keys
        assert all(KEY_RE.match(k) for k in keys), keys
    for quiz in course["quizzes"]:
        question_keys = [q["key"] for q in quiz["questions"]]
        assert len(question_keys) == len(set(question_keys)), quiz["key"]
        assert all(KEY_RE.match(k) for k in question_keys), quiz["key"]


@course_params
def test_it_tells_a_persona_story_about_a_known_persona(name):
    stories = blocks_of(COURSES[name], "persona_story")
    assert stories
    known = {p["slug"] for p in PERSONAS}
    for story in stories:
        assert story["persona"] in known
        assert story["situation"].strip()
        kinds = {impact["kind"] for impact in story["impacts"]}
        assert kinds == {"domain", "stakeholder"}, story["title"]


def test_it_gives_levis_impact_card_per_life_domain_and_stakeholder():
    course = COURSES["sgd-basis.yaml"]
    levi = [s for s in blocks_of(course, "persona_story") if s["persona"] == "levi"]
    assert len(levi) == 1
    impacts = levi[0]["impacts"]
    domains = {i["label"] for i in impacts if i["kind"] == "domain"}
    stakeholders = {i["label"] for i in impacts if i["kind"] == "stakeholder"}
    # The five life domains and five stakeholder groups of the seeds' impact card 3.
    assert domains == {
        "Lichaamsfuncties",
        "Mentaal welbevinden",
        "Zingeving en kwaliteit van leven",
        "Meedoen",
        "Dagelijks functioneren",
    }
    assert len(stakeholders) == 5
    assert any("huisarts" in label.lower() for label in stakeholders)


def test_it_uses_jaimy_in_the_transgender_course():
    course = COURSES["transgender-huisartsenpraktijk.yaml"]
    stories = [s["persona"] for s in blocks_of(course, "persona_story")]
    scenarios = [s.get("persona") for s in blocks_of(course, "scenario")]
    assert "jaimy" in stories
    assert "jaimy" in scenarios


@course_params
def test_it_branches_a_scenario_over_linked_steps(name):
    scenarios = blocks_of(COURSES[name], "scenario")
    assert scenarios
    linked = False
    for scenario in scenarios:
        steps = scenario["steps"]
        assert len(steps) >= 2, scenario["title"]
        step_keys = [s["key"] for s in steps]
        assert len(step_keys) == len(set(step_keys))
        reached = {step_keys[0]}
        for step in steps:
            assert len(step["choices"]) >= 2, step["key"]
            assert any(c.get("recommended") for c in step["choices"]), step["key"]
            for choice in step["choices"]:
                assert choice["text"].strip() and choice["feedback"].strip()
                if "next" in choice:
                    assert choice["next"] in step_keys, choice["next"]
                    assert choice["next"] != step["key"], "a choice must not loop onto its own step"
                    reached.add(choice["next"])
                    linked = True
        # Every step beyond the first must be reachable through some choice.
        assert reached == set(step_keys), scenario["title"]
    assert linked


@course_params
def test_it_invites_a_private_reflection(name):
    reflections = blocks_of(COURSES[name], "reflection")
    assert reflections
    assert all(r["prompt"].strip() for r in reflections)


@course_params
def test_it_offers_callouts(name):
    callouts = blocks_of(COURSES[name], "callout")
    assert callouts
    assert {c["style"] for c in callouts} <= {"info", "tip", "warning", "quote"}


@course_params
def test_it_places_every_quiz_block_on_a_quiz_of_the_same_file(name):
    course = COURSES[name]
    quiz_keys = {q["key"] for q in course["quizzes"]}
    used = {b["quiz"] for b in blocks_of(course, "quiz")}
    assert used <= quiz_keys
    # Practice and final quizzes must be reachable from a lesson; the self-assessment is run
    # by the course itself before the first lesson and after the final test.
    for quiz in course["quizzes"]:
        if quiz["kind"] in {"practice", "final"}:
            assert quiz["key"] in used, quiz["key"]


@course_params
def test_it_has_practice_quizzes_with_feedback(name):
    practice = quizzes_of(COURSES[name], "practice")
    assert practice
    assert all(len(q["questions"]) >= 2 for q in practice)


@course_params
def test_it_has_one_final_test_of_knowledge_and_skill_items(name):
    finals = quizzes_of(COURSES[name], "final")
    assert len(finals) == 1
    final = finals[0]
    assert final["pass_mark"] == 70
    assert final["max_attempts"] == 3
    questions = final["questions"]
    assert len(questions) >= 10
    # Attitude is measured by the self-assessment and reflections, not by recall items (issue 16).
    assert {q["tag"] for q in questions} == {"knowledge", "skill"}
    assert {q["type"] for q in questions} <= SCORED_TYPES
    for question in questions:
        assert question.get("explanation", "").strip(), question["key"]


@course_params
def test_it_explains_every_scored_question_and_gives_feedback_per_option(name):
    for quiz in COURSES[name]["quizzes"]:
        for question in quiz["questions"]:
            assert question["type"] in ALL_TYPES
            assert question["tag"] in TAGS
            assert question["prompt"].strip()
            if question["type"] == "scale":
                continue
            assert question.get("explanation", "").strip(), (quiz["key"], question["key"])
            for option in question["options"]:
                assert option.get("feedback", "").strip(), (
                    quiz["key"],
                    question["key"],
                    option["text"],
                )


@course_params
def test_it_marks_correct_options_as_each_question_type_requires(name):
    for quiz in COURSES[name]["quizzes"]:
        for question in quiz["questions"]:
            kind, options = question["type"], question.get("options", [])
            correct = [o for o in options if o.get("correct")]
            where = (quiz["key"], question["key"])
            if kind == "single_choice":
                assert len(options) >= 3 and len(correct) == 1, where
            elif kind == "true_false":
                assert [o["text"] for o in options] == ["Waar", "Niet waar"], where
                assert len(correct) == 1, where
            elif kind == "multiple_choice":
                assert len(options) >= 3 and 1 <= len(correct) < len(options), where
            elif kind == "ordering":
                assert len(options) >= 3 and not correct, where
            elif kind == "matching":
                assert len(options) >= 3 and all(o.get("match", "").strip() for o in options), where
                matches = [o["match"] for o in options]
                assert len(matches) == len(set(matches)), where
            else:
                assert kind == "scale"
                assert not options, where


@course_params
def test_it_measures_itself_with_a_scale_self_assessment(name):
    course = COURSES[name]
    assessments = quizzes_of(course, "self_assessment")
    assert len(assessments) == 1
    questions = assessments[0]["questions"]
    assert 5 <= len(questions) <= 8
    for question in questions:
        assert question["type"] == "scale"
        assert 2 <= question["scale_max"] <= 10
        assert question["low_label"] and question["high_label"]
    # The 0-meting asks about both sexual orientation and gender identity (or sex characteristics).
    prompts = " ".join(q["prompt"].lower() for q in questions)
    assert "handelingsverlegen" in prompts or "op mijn gemak" in prompts
    assert "seksuele oriëntatie" in prompts or "intersekse" in prompts


@course_params
def test_it_references_only_existing_glossary_terms(name):
    terms = {t["term"] for t in GLOSSARY}
    used = COURSES[name]["glossary"]
    assert len(used) >= 5
    assert set(used) <= terms, set(used) - terms


@course_params
def test_it_keeps_html_simple_and_plain_text_plain(name):
    course = COURSES[name]
    for where, value in html_fields(course):
        tags = {t.lower() for t in TAG_RE.findall(value or "")}
        assert tags <= ALLOWED_TAGS, (where, tags - ALLOWED_TAGS)
    for where, value, max_length in plain_fields(course):
        assert "<" not in (value or ""), where
        assert len(value or "") <= max_length, (where, len(value))


def test_it_defines_personas_the_importer_can_store():
    slugs = [p["slug"] for p in PERSONAS]
    assert len(slugs) == len(set(slugs))
    assert {"levi", "jaimy"} <= set(slugs)
    for persona in PERSONAS:
        assert KEY_RE.match(persona["slug"])
        assert len(persona["name"]) <= 100
        assert len(persona["pronouns"]) <= 40
        assert 0 < len(persona["portrait_alt"]) <= 250
        assert {t.lower() for t in TAG_RE.findall(persona["bio"])} <= ALLOWED_TAGS


def test_it_defines_each_glossary_term_once_with_simple_html():
    terms = [t["term"] for t in GLOSSARY]
    assert len(terms) == len({t.lower() for t in terms})
    required = {
        "Sekse",
        "Gender",
        "Genderidentiteit",
        "Genderexpressie",
        "Seksuele oriëntatie",
        "LHBTI+",  # the one acronym the courses use (issue 16)
        "Cisgender",
        "Transgender",
        "Non-binair",
        "Intersekse",
        "DSD",
        "Variaties in geslachtskenmerken",
        "Bias",
        "Impliciete bias",
        "Normpatiënt",
        "Handelingsverlegenheid",
        "Bejegening",
    }
    assert required <= set(terms), required - set(terms)
    for term in GLOSSARY:
        assert len(term["term"]) <= 100
        assert term["definition"].strip()
        assert {t.lower() for t in TAG_RE.findall(term["definition"])} <= ALLOWED_TAGS


def test_it_starts_the_track_with_the_basics_course():
    track = next(t for t in TRACKS if t["slug"] == "inclusieve-gezondheidszorg")
    assert track["title"] == "Sekse, gender en seksuele oriëntatie – Inclusieve Gezondheidszorg"
    entries = track["courses"]
    assert entries[0] == {"course": "sgd-basis"}
    assert {e["course"] for e in entries} == EXPECTED_COURSES
    for entry in entries[1:]:
        assert entry["requires"] == ["sgd-basis"]
