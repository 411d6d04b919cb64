"""Simulated learners for demos, reports and benchmarks (`manage.py seed_activity`).

A learner's path is scripted once (`simulate_course`, `simulate_guesser`) against an object with
the learning services' steps: `services.LearningBatch` for seed_activity, which applies the
services' rules (limits, layouts, grading, time credited per heartbeat, completion) in memory and
writes a batch of learners with bulk inserts, sending the same signals (so the same outbox
statements); or `OneByOne`, the services one call at a time as the views call them (the demo
accounts, and the reference the batch is tested against). The outcome per learner depends only
on (seed, learner number), so a run is reproducible; timestamps are the real clock."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch

from accounts.models import RegisterNumber, User

from . import services
from .learner_mail import no_learner_mail
from .models import (
    Course,
    Lesson,
    Quiz,
    QuizBlock,
    ReflectionBlock,
    ScenarioBlock,
    ScenarioStep,
)

FIRST_NAMES = [
    "Sam",
    "Noor",
    "Robin",
    "Fatima",
    "Daan",
    "Lotte",
    "Yusuf",
    "Eva",
    "Jesse",
    "Anouk",
    "Mohamed",
    "Sanne",
    "Levi",
    "Mila",
    "Thijs",
    "Priya",
    "Bram",
    "Iris",
    "Kiran",
    "Julia",
]
PREFIXES = ["", "", "", "de", "van", "van der", "van den", "ter"]
LAST_NAMES = [
    "Jansen",
    "Vries",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Bos",
    "Mulder",
    "Yilmaz",
    "Dijk",
    "Brink",
    "El Amrani",
    "Hoek",
    "Vermeulen",
    "Kaya",
    "Peters",
    "Graaf",
    "Wit",
]
REFLECTIONS = [
    "Ik ga vaker vragen hoe iemand zelf het liefst genoemd wil worden.",
    "Ik merk dat ik bij klachten snel aan een partner van het andere geslacht denk.",
    "Volgende keer vraag ik open naar relaties in plaats van naar 'je vriendin'.",
    "Ik wil in het team bespreken hoe we voornaamwoorden in het dossier vastleggen.",
]
# Professions and the register a learner of that profession would use.
PROFESSION_REGISTER = {
    User.Profession.HUISARTS: RegisterNumber.Register.BIG,
    User.Profession.POH_S: RegisterNumber.Register.VVN,
    User.Profession.POH_GGZ: RegisterNumber.Register.POH_GGZ,
    User.Profession.DOKTERSASSISTENT: RegisterNumber.Register.KABIZ,
    User.Profession.VERPLEEGKUNDIGE: RegisterNumber.Register.VVN,
}
# Digits per register number (accounts.registers); KABIZ/POH-GGZ lengths are not published.
NUMBER_DIGITS = {RegisterNumber.Register.VVN: 6}

COMPLETE, FAIL, STOP = "complete", "fail", "stop"
# Profiles: "mixed" learners complete, fail or stop; a "guesser" enrols and takes the final test
# at once, answering by position only (see guess_data).
PROFILES = ("mixed", "guesser")
LUCKY_GUESS = "guessed-pass"
# Learners created (and committed) together: one transaction per batch.
BATCH_SIZE = 100


@dataclass
class SeedReport:
    learners: int = 0
    skipped: int = 0
    enrollments: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: {COMPLETE: 0, FAIL: 0, STOP: 0})


@dataclass
class CoursePlan:
    """What a simulated learner needs of one course, loaded once per run."""

    course: Course
    lessons: list[Lesson]
    blocks: dict[int, list]  # lesson pk -> real block instances in order
    quizzes: dict[int, list]  # quiz pk -> questions with options
    quiz_objects: dict[int, Quiz]
    final: Quiz | None
    self_assessment: Quiz | None


def load_plan(course: Course) -> CoursePlan:
    version = course.published_version
    if version is None:
        raise ValueError(f"{course.slug} has no published version")
    lessons = list(
        Lesson.objects.filter(module__version=version)
        .order_by("module__position", "position")
        .prefetch_related("blocks")
    )
    blocks = {lesson.pk: list(lesson.blocks.all()) for lesson in lessons}
    scenarios = [b for bs in blocks.values() for b in bs if isinstance(b, ScenarioBlock)]
    if scenarios:
        steps = Prefetch("steps", queryset=ScenarioStep.objects.prefetch_related("choices"))
        by_pk = {
            s.pk: s
            for s in ScenarioBlock.objects.filter(
                pk__in=[s.pk for s in scenarios]
            ).prefetch_related(steps)
        }
        for lesson_pk, bs in blocks.items():
            blocks[lesson_pk] = [
                by_pk.get(b.pk, b) if isinstance(b, ScenarioBlock) else b for b in bs
            ]
    quizzes = list(version.quizzes.all())
    return CoursePlan(
        course=course,
        lessons=lessons,
        blocks=blocks,
        quizzes={q.pk: services.questions_for_grading(q.pk) for q in quizzes},
        quiz_objects={q.pk: q for q in quizzes},
        final=next((q for q in quizzes if q.kind == Quiz.Kind.FINAL), None),
        self_assessment=next((q for q in quizzes if q.kind == Quiz.Kind.SELF_ASSESSMENT), None),
    )


def answer_data(questions, rng: random.Random, correct: bool, layout=None) -> dict:
    """Form data answering every question right (or, when not `correct`, every scored one wrong).

    `layout` is the attempt's: matching selects then carry its opaque values, as on the page.
    """
    data: dict = {}
    match_values = (layout or {}).get("match", {})
    for q in questions:
        data.update(q.simulated_answer(rng, correct, match_values.get(str(q.pk), {})))
    return data


def guess_data(questions, layout) -> dict:
    """Form data of a learner who answers by position, never by content: the first option shown,
    "Niet waar", every option shown but the last, the order shown, the matches in the order shown.
    """
    data: dict = {}
    options_shown = layout.get("options", {})
    match_values = layout.get("match", {})
    for q in questions:
        by_pk = {o.pk: o for o in q.options_in_order()}
        shown = [by_pk[pk] for pk in options_shown.get(str(q.pk), by_pk) if pk in by_pk]
        data.update(q.guessed_answer(shown, match_values.get(str(q.pk), {})))
    return data


class OneByOne:
    """The learning services one call at a time, as the views call them: the reference that
    `services.LearningBatch` (what seed_activity uses) must match, with the same methods."""

    def enroll(self, user, course):
        return services.enroll_learner(user, course)

    def complete_lesson(self, enrollment, lesson, heartbeat_gaps):
        services.start_lesson(enrollment, lesson)
        beat = enrollment.last_activity_at
        for gap in heartbeat_gaps:
            beat += timedelta(seconds=gap)
            services.record_time(enrollment, lesson.key, now=beat)
        return services.complete_lesson(enrollment, lesson)

    def choose(self, enrollment, choice):
        services.record_scenario_choice(enrollment, choice)

    def reflect(self, user, block, text):
        services.save_reflection(user, block, text)

    def take_attempt(self, enrollment, quiz, answer, phase="", rng=None, questions=None):
        attempt = services.start_attempt(
            enrollment, quiz, phase=phase, rng=rng, questions=questions
        )
        return services.submit_attempt(
            attempt.pk, answer(attempt), enrollment.user, questions=questions
        ).attempt

    def save(self):
        pass


def simulate_guesser(learning, user, plan: CoursePlan, rng: random.Random) -> str:
    """Enrol and take the final test straight away, answering by position; return the outcome."""
    if plan.final is None:
        return STOP
    enrollment = learning.enroll(user, plan.course)
    questions = plan.quizzes[plan.final.pk]
    result = learning.take_attempt(
        enrollment,
        plan.final,
        lambda attempt: guess_data(questions, attempt.layout),
        rng=rng,
        questions=questions,
    )
    return LUCKY_GUESS if result.passed else FAIL


def _submit(learning, enrollment, quiz, questions, rng, correct, phase=""):
    """The learner's attempt at `quiz`, answered right (or wrong); None when none is allowed."""
    try:
        return learning.take_attempt(
            enrollment,
            quiz,
            lambda attempt: answer_data(questions, rng, correct, attempt.layout),
            phase=phase,
            rng=rng,
            questions=questions,
        )
    except PermissionDenied:
        return None


def _walk_scenario(learning, enrollment, scenario: ScenarioBlock, rng: random.Random) -> None:
    """Make the learner's choices in `scenario`."""
    steps = {s.pk: s for s in scenario.steps.all()}
    step = scenario.first_step
    for _hop in range(len(steps) + 1):  # a loop in authored content cannot trap the simulation
        if step is None:
            break
        choices = list(step.choices.all())
        if not choices:
            break
        recommended = [c for c in choices if c.recommended]
        choice = rng.choice(recommended if recommended and rng.random() < 0.7 else choices)
        learning.choose(enrollment, choice)
        step = steps.get(choice.next_step_id)


def _heartbeat_gaps(rng: random.Random) -> list[int]:
    """Seconds between the heartbeats the lesson page sends, every half minute or so (a gap
    longer than services.HEARTBEAT_MAX_GAP_SECONDS credits nothing)."""
    return [rng.randint(25, 80) for _i in range(rng.randint(2, 8))]


def simulate_course(
    learning,
    user,
    plan: CoursePlan,
    rng: random.Random,
    outcome: str = "",
    stop_after: int | None = None,
) -> str:
    """Enrol `user` and work through `plan`'s course with `learning` (a services.LearningBatch,
    or OneByOne); return the outcome (complete/fail/stop).

    `outcome` (and for STOP, `stop_after` lessons) may be given instead of drawn at random.
    """
    outcome = outcome or rng.choices([COMPLETE, FAIL, STOP], weights=[55, 20, 25])[0]
    if plan.final is None and outcome == FAIL:
        outcome = COMPLETE
    enrollment = learning.enroll(user, plan.course)
    if plan.self_assessment:
        questions = plan.quizzes[plan.self_assessment.pk]
        _submit(learning, enrollment, plan.self_assessment, questions, rng, True, phase="pre")
    if stop_after is None and outcome == STOP and plan.lessons:
        stop_after = rng.randrange(len(plan.lessons))
    for index, lesson in enumerate(plan.lessons):
        if stop_after is not None and index >= stop_after:
            break
        gaps = _heartbeat_gaps(rng)
        for block in plan.blocks[lesson.pk]:
            if isinstance(block, ReflectionBlock) and rng.random() < 0.5:
                learning.reflect(user, block, rng.choice(REFLECTIONS))
            elif isinstance(block, ScenarioBlock):
                _walk_scenario(learning, enrollment, block, rng)
            elif isinstance(block, QuizBlock) and block.quiz_id in plan.quiz_objects:
                quiz = plan.quiz_objects[block.quiz_id]
                if quiz.kind not in (Quiz.Kind.FINAL, Quiz.Kind.SELF_ASSESSMENT):
                    correct = rng.random() < 0.8
                    _submit(learning, enrollment, quiz, plan.quizzes[quiz.pk], rng, correct)
        learning.complete_lesson(enrollment, lesson, gaps)
    if outcome == STOP or plan.final is None:
        return outcome
    questions = plan.quizzes[plan.final.pk]
    if outcome == COMPLETE:
        if rng.random() < 0.25:  # some pass only at the second try
            _submit(learning, enrollment, plan.final, questions, rng, False)
        passed = _submit(learning, enrollment, plan.final, questions, rng, True)
        if passed is None or not passed.passed:
            return FAIL
        if plan.self_assessment:
            questions = plan.quizzes[plan.self_assessment.pk]
            _submit(learning, enrollment, plan.self_assessment, questions, rng, True, phase="post")
        return COMPLETE
    for _try in range(rng.randint(1, 2)):
        if _submit(learning, enrollment, plan.final, questions, rng, False) is None:
            break  # no attempts left
    return FAIL


def seed_activity(
    learners: int,
    seed: int,
    *,
    email_prefix="leerling",
    password: str | None = None,
    courses=None,
    progress=None,
    profile="mixed",
) -> SeedReport:
    """Create `learners` learners who enrol in and work through the published courses.

    `profile` "guesser" makes every learner enrol in every course and take its final test at
    once by position only (outcome "fail", or "guessed-pass" when a test can be passed that way).

    Learners are created in batches of BATCH_SIZE, one transaction each (an error or an
    interruption loses that batch, never half a learner), written with a few dozen queries per
    batch. Learners whose e-mail address already exists are skipped, so a re-run
    adds nothing.
    """
    report = SeedReport()
    courses = list(
        courses
        if courses is not None
        else Course.objects.published().order_by("slug").select_related("published_version")
    )
    plans = [load_plan(course) for course in courses]
    # One hash for every simulated learner: hashing per learner would dominate the run.
    password_hash = make_password(password) if password else make_password(None)
    professions = list(PROFESSION_REGISTER) + [User.Profession.PRAKTIJKMANAGER]
    for start in range(0, learners, BATCH_SIZE):
        numbers = range(start, min(start + BATCH_SIZE, learners))
        emails = {n: f"{email_prefix}-{seed}-{n:05d}@example.org" for n in numbers}
        existing = set(
            User.objects.filter(email__in=emails.values()).values_list("email", flat=True)
        )
        new = [n for n in numbers if emails[n] not in existing]
        report.skipped += len(numbers) - len(new)
        with transaction.atomic(), no_learner_mail():  # simulated learners get no mail
            learners_in_batch = []
            registers = []
            for number in new:
                rng = random.Random(f"spreekkamer:{seed}:{number}")  # noqa: S311 - simulation
                profession = rng.choice(professions)
                user = User(
                    email=emails[number],
                    username=emails[number],
                    first_name=rng.choice(FIRST_NAMES),
                    surname_prefix=rng.choice(PREFIXES),
                    last_name=rng.choice(LAST_NAMES),
                    profession=profession,
                    password=password_hash,
                    course_reminders=False,
                )
                register = PROFESSION_REGISTER.get(profession)
                if register and rng.random() < 0.8:
                    digits = NUMBER_DIGITS.get(register, 11)
                    number_text = f"{rng.randint(10 ** (digits - 1), 10**digits - 1)}"
                    registers.append(
                        RegisterNumber(user=user, register=register, number=number_text)
                    )
                learners_in_batch.append((number, user, rng))
            User.objects.bulk_create([user for _n, user, _rng in learners_in_batch])
            for register_number in registers:
                register_number.user_id = register_number.user.pk
            RegisterNumber.objects.bulk_create(registers)
            learning = services.LearningBatch()
            for _number, user, rng in learners_in_batch:
                for plan in plans:
                    if profile == "guesser":
                        guessed = simulate_guesser(learning, user, plan, rng)
                        report.outcomes[guessed] = report.outcomes.get(guessed, 0) + 1
                        report.enrollments += 1
                    elif rng.random() < 0.8:
                        report.outcomes[simulate_course(learning, user, plan, rng)] += 1
                        report.enrollments += 1
            learning.save()
        report.learners += len(new)
        if progress:
            for number in new:
                progress(number + 1, learners)
    return report
