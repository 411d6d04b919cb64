"""One table of responses and expected scores (tests/fixtures/grading_cases.json), run against the
server's grader (Question.grade()) and the package's (grading.js, with node): they must agree."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from courses.models import Option, Question, Quiz
from scorm_export.packaging.builder import PACKAGE_STATIC
from scorm_export.packaging.content import QuestionItem
from tests import factories

CASES = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "grading_cases.json").read_text("utf-8")
)["cases"]


def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


QUESTION_CLASSES = {cls.kind: cls for cls in subclasses(Question)}
GRADING_JS = PACKAGE_STATIC / "grading.js"

pytestmark = pytest.mark.django_db


def build_questions():
    """Every case as a saved question in a draft course: [(case, question, options by key)]."""
    course = factories.make_course(slug="beoordeling", final_questions=0, publish=False)
    quiz = Quiz.objects.create(version=course.versions.get(), key="tabel", title="Tabel")
    built = []
    for position, case in enumerate(CASES):
        question = QUESTION_CLASSES[case["kind"]].objects.create(
            quiz=quiz, position=position, key=f"q{position}", prompt="<p>Vraag</p>"
        )
        options = {}
        for index, spec in enumerate(case["options"]):
            options[spec["key"]] = Option.objects.create(
                question=question,
                position=index,
                key=spec["key"],
                text=spec["key"],
                match=spec.get("match", ""),
                is_correct=spec.get("correct", False),
            )
        built.append((case, question, options))
    return built


def python_response(case, options):
    """The case's response as the server stores it (what parse_response() returns)."""
    kind, response = case["kind"], case["response"]
    if kind in {"single_choice", "true_false"}:
        return {"option": options[response[0]].pk if response else None}
    if kind == "multiple_choice":
        return {"options": sorted(options[k].pk for k in response)}
    if kind == "ordering":
        return {"order": [options[k].pk for k in response]}
    if kind == "matching":
        return {
            "pairs": {str(options[k].pk): options[v].pk if v else None for k, v in response.items()}
        }
    return {"value": response}


def js_response(case, item):
    """The case's response as the package's player collects it (responseOf in player.js):
    matching selects carry hashed values (QuestionItem.match_choices)."""
    kind, response = case["kind"], case["response"]
    if kind == "matching":
        return [
            {"option": k, "value": item.hash("match:" + v) if v else ""}
            for k, v in response.items()
        ]
    if kind == "scale":
        return [str(response)]
    return response


def test_it_grades_every_case_on_the_server():
    for case, question, options in build_questions():
        question = type(question).objects.prefetch_related("options").get(pk=question.pk)
        fraction = question.grade(python_response(case, options)).fraction
        assert fraction == case["score"], case["name"]


def test_it_grades_every_case_in_the_package_the_same(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    items = []
    for case, question, options in build_questions():
        data = QuestionItem(
            question=question, options=list(options.values()), name="q", salt="zout"
        )
        items.append({"question": data.answer_data(), "response": js_response(case, data)})
    script = (
        "const grade = require(process.argv[1]).grade;"
        "const items = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(items.map(i => grade(i.question, i.response))));"
    )
    result = subprocess.run(
        [node, "-e", script, str(GRADING_JS)],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    scores = json.loads(result.stdout)
    assert [(c["name"], s) for c, s in zip(CASES, scores, strict=True)] == [
        (c["name"], c["score"]) for c in CASES
    ]
