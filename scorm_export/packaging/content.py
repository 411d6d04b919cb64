"""Reading a course version for a package: all lessons, blocks, scenarios and quizzes in a fixed
number of queries.

The result is a plain structure the package templates render to static HTML at build time, and the
answer data the in-browser grader needs. Nothing here renders; nothing here writes.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from courses.models import (
    Block,
    Lesson,
    Option,
    Persona,
    Question,
    Quiz,
    ScenarioBlock,
    ScenarioChoice,
    ScenarioStep,
)

MEDIA_PREFIX = "media/"


class PackageContentError(ValueError):
    """The course cannot be packaged as it is (a message for the author, in Dutch)."""


def answer_hash(salt: str, name: str, value: str) -> str:
    """FNV-1a (32 bit, hex) of `salt|name|value`; player.js computes the same (`answerHash`).

    Deterrence, not secrecy: it keeps the answer key out of view-source, but anyone who runs the
    page's own code can still try every option. Graded results that count live in Spreekkamer.
    """
    digest = 0x811C9DC5
    for byte in f"{salt}|{name}|{value}".encode():
        digest = ((digest ^ byte) * 0x01000193) & 0xFFFFFFFF
    return f"{digest:08x}"


@dataclass
class QuestionItem:
    question: Question
    options: list[Option]
    name: str  # the form field name, unique in the page
    salt: str = ""

    @property
    def kind(self) -> str:
        return self.question.kind

    @property
    def display_options(self) -> list[Option]:
        return self.question.package_options(self.options)

    @property
    def match_choices(self) -> list[dict]:
        """The matches as (opaque value, text): a select's value never names its option."""
        return [
            {"value": self.hash("match:" + o.key), "match": o.match}
            for o in sorted(self.options, key=lambda o: (o.match.casefold(), o.key))
        ]

    def hash(self, value: str) -> str:
        return answer_hash(self.salt, self.name, value)

    def answer_data(self) -> dict:
        """What the in-browser grader needs for this question (mirrors Question.grade()): salted
        hashes of the right option keys, of the right order, never the keys themselves."""
        return {
            "name": self.name,
            "kind": self.kind,
            "points": self.question.points,
            "scored": bool(self.question.scored),
            "salt": self.salt,
            "correct": self.question.package_answer_key(self.options, self.hash),
        }


@dataclass
class QuizItem:
    quiz: Quiz
    questions: list[QuestionItem]
    dom_id: str

    def answer_data(self) -> dict:
        return {
            "kind": self.quiz.kind,
            "scored": self.quiz.is_scored,
            "passMark": self.quiz.pass_mark,
            "questions": [q.answer_data() for q in self.questions],
        }


@dataclass
class BlockItem:
    block: Block
    dom_id: str
    template: str
    steps: list[tuple[ScenarioStep, list[ScenarioChoice]]] = field(default_factory=list)
    quiz: QuizItem | None = None
    src: str = ""
    captions_src: str = ""
    portrait_src: str = ""


@dataclass
class PackageReader:
    """A version's content as read once for a whole package; each block's
    `fill_package_item()` takes what its page needs from here (no queries)."""

    personas: dict[int, Persona]
    steps_by_scenario: dict[int, list[ScenarioStep]]
    quizzes: dict[int, Quiz]
    questions_by_quiz: dict[int, list[Question]]
    salt: str
    media: dict[str, str] = field(default_factory=dict)  # package path → storage name
    quiz_items: dict[str, QuizItem] = field(default_factory=dict)  # by dom id

    def add_media(self, file_field) -> str:
        """The package path of a file field's file (empty when there is none); it is copied in."""
        if not file_field:
            return ""
        path = media_path(file_field.name)
        self.media[path] = file_field.name
        return path

    def add_persona(self, block, item: BlockItem) -> None:
        """The block's persona as approved, and its portrait, when the block has one."""
        if block.persona_id:
            block.persona = self.personas[block.persona_id]  # fills the FK cache: no query
            item.portrait_src = self.add_media(block.persona.portrait)

    def add_quiz(self, quiz: Quiz, dom_id: str) -> QuizItem:
        """The quiz asked in the element `dom_id`, with its questions and answer data."""
        items = [
            QuestionItem(
                question=q, options=list(q.options.all()), name=f"{dom_id}-{q.key}", salt=self.salt
            )
            for q in self.questions_by_quiz[quiz.pk]
        ]
        self.quiz_items[dom_id] = QuizItem(quiz=quiz, questions=items, dom_id=dom_id)
        return self.quiz_items[dom_id]


@dataclass
class Page:
    index: int
    kind: str  # "lesson" or "final"
    key: str
    title: str
    dom_id: str
    required: bool = True
    items: list[BlockItem] = field(default_factory=list)


@dataclass
class CourseContent:
    version: object
    pages: list[Page]
    final: QuizItem | None
    quizzes: dict[str, QuizItem]
    media: dict[str, str]  # package path → storage name

    @property
    def lesson_pages(self) -> list[Page]:
        return [p for p in self.pages if p.kind == "lesson"]


def media_path(name: str) -> str:
    """The package path of an uploaded file with storage name `name`."""
    return MEDIA_PREFIX + name


def load_course_content(version) -> CourseContent:
    """Return the whole version as a CourseContent.

    Queries: lessons 1, blocks 1 + one per block type, personas 1, scenario steps 1 + choices 1,
    quizzes 1, questions 1 + one per question type + options 1.
    """
    lessons = list(
        Lesson.objects.filter(module__version=version)
        .select_related("module")
        .order_by("module__position", "position")
    )
    blocks_by_lesson: dict[int, list[Block]] = defaultdict(list)
    for block in Block.objects.filter(lesson__module__version=version).order_by(
        "lesson_id", "position"
    ):
        blocks_by_lesson[block.lesson_id].append(block)
    all_blocks = [b for blocks in blocks_by_lesson.values() for b in blocks]

    persona_ids = {pk for b in all_blocks if (pk := getattr(b, "persona_id", None))}
    personas = Persona.objects.in_bulk(persona_ids) if persona_ids else {}
    for pk, data in version.personas.items():  # as approved when the version was published
        if int(pk) in personas:
            personas[int(pk)] = Persona.from_snapshot(int(pk), data)
    scenario_ids = [b.pk for b in all_blocks if isinstance(b, ScenarioBlock)]
    steps_by_scenario: dict[int, list[ScenarioStep]] = defaultdict(list)
    if scenario_ids:
        steps = (
            ScenarioStep.objects.filter(scenario_id__in=scenario_ids)
            .order_by("position")
            .prefetch_related(
                Prefetch(
                    "choices",
                    queryset=ScenarioChoice.objects.order_by("position").select_related(
                        "next_step"
                    ),
                )
            )
        )
        for step in steps:
            steps_by_scenario[step.scenario_id].append(step)

    quizzes = {q.pk: q for q in Quiz.objects.filter(version=version).order_by("pk")}
    questions_by_quiz: dict[int, list[Question]] = defaultdict(list)
    if quizzes:
        questions = (
            Question.objects.filter(quiz__version=version)
            .order_by("quiz_id", "position")
            .prefetch_related(Prefetch("options", queryset=Option.objects.order_by("position")))
        )
        for question in questions:
            questions_by_quiz[question.quiz_id].append(question)

    # One salt per package build of this version: stable, so rebuilding gives the same bytes.
    salt = hashlib.sha256(f"spk-answers:{version.pk}".encode()).hexdigest()[:12]
    package = PackageReader(personas, steps_by_scenario, quizzes, questions_by_quiz, salt)

    pages: list[Page] = []
    for index, lesson in enumerate(lessons):
        page = Page(
            index=index,
            kind="lesson",
            key=lesson.key,
            title=lesson.title,
            dom_id=f"p{index}",
            required=lesson.required,
        )
        for block in blocks_by_lesson[lesson.pk]:
            dom_id = f"p{index}-{block.key}"
            item = BlockItem(block=block, dom_id=dom_id, template=block.package_template_name)
            block.fill_package_item(item, package)
            page.items.append(item)
        pages.append(page)

    final_quiz = next((q for q in quizzes.values() if q.kind == Quiz.Kind.FINAL), None)
    final = None
    if final_quiz is not None:
        if not questions_by_quiz[final_quiz.pk]:
            raise PackageContentError(
                _("De eindtoets “%(title)s” heeft nog geen vragen.") % {"title": final_quiz.title}
            )
        final = package.add_quiz(final_quiz, "final")
        pages.append(
            Page(
                index=len(pages),
                kind="final",
                key=final_quiz.key,
                title=final_quiz.title,
                dom_id="final",
            )
        )
    if not lessons:
        raise PackageContentError(_("Deze cursusversie heeft nog geen lessen."))
    return CourseContent(
        version=version, pages=pages, final=final, quizzes=package.quiz_items, media=package.media
    )
