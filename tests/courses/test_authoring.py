"""The author area: access, editing a draft, blocks, questions, scenarios, review and publishing."""

import pytest
from django.urls import reverse

from courses import publishing, services
from courses.models import (
    Block,
    CalloutBlock,
    ChangeRecord,
    Course,
    CourseRole,
    CourseVersion,
    ImageBlock,
    Lesson,
    MediaBlock,
    Persona,
    PersonaStoryBlock,
    Question,
    Quiz,
    QuizBlock,
    ReflectionBlock,
    ReviewApproval,
    ReviewComment,
    RichTextBlock,
    ScenarioBlock,
    ScenarioChoice,
    ScenarioStep,
    SingleChoiceQuestion,
)
from tests import factories

pytestmark = pytest.mark.django_db

PNG = factories.image_bytes("PNG")
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
VTT = b"WEBVTT\n\n00:00.000 --> 00:01.000\nHallo\n"


@pytest.fixture
def reviewer(course):
    user = factories.make_user(
        email="reviewer@example.org", first_name="Ervarings", last_name="Deskundige"
    )
    CourseRole.objects.create(course=course, user=user, role=CourseRole.Role.REVIEWER)
    return user


def url(name, *args):
    return reverse(f"authoring:{name}", args=args)


def draft_lesson(draft, key="les-1"):
    return Lesson.objects.get(module__version=draft, key=key)


def test_it_404s_for_courses_the_user_is_not_an_author_of(client, course, draft, outsider, learner):
    other_author = factories.make_author(factories.make_course(slug="ander"))
    for user in (outsider, learner, other_author):
        client.force_login(user)
        assert client.get(url("course", "basis")).status_code == 404
        assert client.get(url("lesson", "basis", "les-1")).status_code == 404
        assert client.post(url("publish", "basis")).status_code == 404
        assert client.get(url("preview", "basis", "les-1")).status_code == 404
        assert client.get(url("report", "basis")).status_code == 404


def test_it_sends_anonymous_visitors_to_the_login_page(client, course):
    response = client.get(url("course", "basis"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_lets_reviewers_read_comment_and_approve_but_not_edit(
    client, course, draft, reviewer, author
):
    client.force_login(reviewer)
    overview = client.get(url("course", "basis"))
    assert overview.status_code == 200
    assert "Concept goedkeuren" in overview.content.decode()
    assert client.get(url("preview", "basis", "les-1")).status_code == 200
    assert client.get(url("lesson", "basis", "les-1")).status_code == 404
    assert client.get(url("block", "basis", "les-1", "b0")).status_code == 404
    assert client.post(url("draft_create", "basis")).status_code == 404

    response = client.post(
        url("review_comment", "basis"),
        {"text": "Levi zou dit anders zeggen.", "lesson_key": "les-1"},
        follow=True,
    )
    assert "Levi zou dit anders zeggen." in response.content.decode()  # back on the lesson preview
    assert response.redirect_chain[-1][0] == url("preview", "basis", "les-1") + "#comments"
    comment = ReviewComment.objects.get()
    assert comment.author == reviewer and comment.lesson_key == "les-1" and comment.version == draft
    client.post(url("review_approve", "basis"), {"note": "Klopt met onze ervaring"})
    assert ReviewApproval.objects.get().reviewer == reviewer

    # The author sees the comment next to the lesson and may publish now.
    client.force_login(author)
    page = client.get(url("lesson", "basis", "les-1")).content.decode()
    assert "Levi zou dit anders zeggen." in page
    client.post(url("publish", "basis"))
    course.refresh_from_db()
    assert course.published_version == draft


def test_it_escapes_review_comments(client, course, draft, reviewer, author):
    client.force_login(reviewer)
    client.post(url("review_comment", "basis"), {"text": "<script>alert(1)</script>"})
    client.force_login(author)
    page = client.get(url("course", "basis")).content.decode()
    assert (
        "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    )


def test_it_lets_staff_create_a_course_and_makes_them_its_author(client, learner):
    client.force_login(learner)
    assert client.get(url("course_create")).status_code == 404
    staff = factories.make_user(is_staff=True)
    client.force_login(staff)
    response = client.post(
        url("course_create"), {"title": "Nieuwe cursus", "slug": "nieuw-1", "summary": "Kort"}
    )
    course = Course.objects.get(slug="nieuw-1")
    assert response.status_code == 302 and response["Location"] == url("course", "nieuw-1")
    assert CourseRole.objects.filter(course=course, user=staff, role="author").exists()
    assert course.versions.get().status == CourseVersion.Status.DRAFT
    assert course.published_version is None
    assert ChangeRecord.objects.filter(course=course, user=staff, action="create").exists()
    # A duplicate slug gets a Dutch error and writes nothing.
    response = client.post(url("course_create"), {"title": "Nog een", "slug": "nieuw-1"})
    assert "Er bestaat al een cursus met dit webadres." in response.content.decode()
    assert Course.objects.filter(slug="nieuw-1").count() == 1


def test_it_edits_the_draft_only_and_records_who_changed_what(author_client, course, draft, author):
    published = course.published_version
    response = author_client.post(
        url("block", "basis", "les-1", "b0"), {"html": "<p>Nieuwe uitleg</p>"}
    )
    assert response.status_code == 302
    assert (
        RichTextBlock.objects.get(lesson=draft_lesson(draft), key="b0").html
        == "<p>Nieuwe uitleg</p>"
    )
    assert (
        RichTextBlock.objects.get(lesson__module__version=published, lesson__key="les-1").html
        == "<p>Tekst 0</p>"
    )
    record = ChangeRecord.objects.filter(action="update").get()
    assert record.user == author and record.version == draft and record.object_key == "b0"
    assert record.changes == {"html": ["<p>Tekst 0</p>", "<p>Nieuwe uitleg</p>"]}
    log = author_client.get(url("changes", "basis")).content.decode()
    assert "Nieuwe uitleg" in log and author.display_name in log


def test_it_has_no_edit_pages_without_a_draft(author_client, course):
    assert author_client.get(url("lesson", "basis", "les-1")).status_code == 404
    page = author_client.get(url("course", "basis")).content.decode()
    assert "Nieuwe versie bewerken" in page
    author_client.post(url("draft_create", "basis"))
    assert author_client.get(url("lesson", "basis", "les-1")).status_code == 200


@pytest.mark.parametrize(
    "kind, data",
    [
        ("text", {"html": "<p>Hoi</p><script>alert(1)</script><img src=x onerror=alert(1)>"}),
        (
            "callout",
            {
                "style": "tip",
                "title": "Tip",
                "html": '<p onclick="x()">Let op</p><script>x</script>',
            },
        ),
        (
            "reflection",
            {
                "prompt": "<p>Wat denk jij?</p><script>steal()</script>",
                "guidance": "<a href='javascript:x()'>a</a>",
            },
        ),
    ],
)
def test_it_sanitises_author_html_from_forms(author_client, draft, kind, data):
    response = author_client.post(url("block_create", "basis", "les-1", kind), data)
    assert response.status_code == 302, response.content.decode()
    block = Block.objects.filter(lesson=draft_lesson(draft)).order_by("-position").first()
    stored = " ".join(str(getattr(block, f)) for f in data)
    assert "<script" not in stored and "onerror" not in stored and "onclick" not in stored
    assert "javascript:" not in stored
    assert block.kind == kind


def test_it_sanitises_question_prompts_and_option_feedback(author_client, draft):
    quiz_key = "eindtoets"
    data = {
        "prompt": "<p>Vraag</p><svg onload=alert(1)></svg>",
        "explanation": "",
        "tag": "knowledge",
        "points": 1,
        **formset_data(
            "options",
            [
                {"text": "Ja", "is_correct": "on", "feedback": "<b>Goed</b><script>x</script>"},
                {"text": "Nee", "feedback": ""},
            ],
        ),
    }
    response = author_client.post(url("question_create", "basis", quiz_key, "single_choice"), data)
    assert response.status_code == 302, response.content.decode()
    question = (
        Question.objects.filter(quiz__version=draft, quiz__key=quiz_key)
        .order_by("-position")
        .first()
    )
    assert "onload" not in question.prompt and "<svg" not in question.prompt
    assert question.options.get(text="Ja").feedback == "<p><b>Goed</b></p>"


def formset_data(prefix, rows, initial=0):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


def test_it_adds_every_block_kind_through_the_forms(author_client, draft, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    persona = factories.make_persona(name="Jaimy")
    quiz = Quiz.objects.get(version=draft, key="eindtoets")
    lesson = draft_lesson(draft, "les-2")

    def add(kind, data):
        response = author_client.post(url("block_create", "basis", "les-2", kind), data)
        assert response.status_code == 302, (
            kind,
            response.context["form"].errors if response.context else "",
        )

    from django.core.files.uploadedfile import SimpleUploadedFile

    add("text", {"html": "<p>Tekst</p>"})
    add("callout", {"style": "warning", "title": "Let op", "html": "<p>Kader</p>"})
    add(
        "image",
        {
            "image": SimpleUploadedFile("levi.png", PNG, "image/png"),
            "alt": "Levi in de wachtkamer",
            "caption": "Levi",
        },
    )
    add(
        "media",
        {
            "media_kind": "video",
            "title": "Gesprek",
            "file": SimpleUploadedFile("gesprek.mp4", MP4, "video/mp4"),
            "captions": SimpleUploadedFile("gesprek.vtt", VTT, "text/vtt"),
            "transcript": "Wat er gezegd wordt.",
        },
    )
    add(
        "persona_story",
        {
            "persona": persona.pk,
            "title": "Het verhaal van Jaimy",
            "situation": "<p>Situatie</p>",
            "domain_impacts": "Werk: verzuimt vaker\nRelaties: minder contact",
            "stakeholder_impacts": "Werkgever: kosten",
            "lesson_learned": "",
        },
    )
    add("scenario", {"title": "Het consult", "persona": "", "introduction": "<p>Inleiding</p>"})
    add("reflection", {"prompt": "<p>Wat neem je mee?</p>", "guidance": ""})
    add("quiz", {"quiz": quiz.pk})

    kinds = [b.kind for b in Block.objects.filter(lesson=lesson).order_by("position")]
    assert kinds == [
        "text",
        "text",
        "callout",
        "image",
        "media",
        "persona_story",
        "scenario",
        "reflection",
        "quiz",
    ]
    image = ImageBlock.objects.get(lesson=lesson)
    assert image.alt == "Levi in de wachtkamer" and image.image.name.endswith(".png")
    media = MediaBlock.objects.get(lesson=lesson)
    assert media.file.name.endswith(".mp4") and media.captions.name.endswith(".vtt")
    story = PersonaStoryBlock.objects.get(lesson=lesson)
    assert story.domain_impacts == [
        {"kind": "domain", "label": "Werk", "text": "verzuimt vaker"},
        {"kind": "domain", "label": "Relaties", "text": "minder contact"},
    ]
    assert story.stakeholder_impacts == [
        {"kind": "stakeholder", "label": "Werkgever", "text": "kosten"}
    ]
    assert QuizBlock.objects.get(lesson=lesson).quiz == quiz
    assert (
        ReflectionBlock.objects.filter(lesson=lesson).exists()
        and ScenarioBlock.objects.filter(lesson=lesson).exists()
    )
    assert CalloutBlock.objects.get(lesson=lesson).style == "warning"


def test_it_refuses_unsafe_or_mislabelled_uploads_with_dutch_errors(
    author_client, draft, tmp_path, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    svg = SimpleUploadedFile("logo.svg", b"<svg onload='alert(1)'/>", "image/svg+xml")
    response = author_client.post(
        url("block_create", "basis", "les-1", "image"), {"image": svg, "alt": "Logo"}
    )
    assert "SVG-bestanden zijn niet toegestaan" in response.content.decode()
    fake = SimpleUploadedFile("foto.png", b"GIF89a" + b"\x00" * 20, "image/png")
    response = author_client.post(
        url("block_create", "basis", "les-1", "image"), {"image": fake, "alt": "Foto"}
    )
    assert "dit is geen geldig PNG-bestand" in response.content.decode()
    png = SimpleUploadedFile("foto.png", PNG, "image/png")
    response = author_client.post(
        url("block_create", "basis", "les-1", "image"), {"image": png, "alt": ""}
    )
    assert "Geef een alt-tekst" in response.content.decode()
    settings.MEDIA_MAX_UPLOAD_BYTES = 10
    png = SimpleUploadedFile("foto.png", PNG, "image/png")
    response = author_client.post(
        url("block_create", "basis", "les-1", "image"), {"image": png, "alt": "Foto"}
    )
    assert "Het bestand is te groot" in response.content.decode()
    # Audio in a video block, and a video without captions or transcript.
    settings.MEDIA_MAX_UPLOAD_BYTES = 10_000
    response = author_client.post(
        url("block_create", "basis", "les-1", "media"),
        {
            "media_kind": "video",
            "title": "x",
            "file": SimpleUploadedFile("a.mp3", b"ID3" + b"\x00" * 20),
        },
    )
    page = response.content.decode()
    assert "Dit bestandstype (.mp3) is hier niet toegestaan" in page
    assert "Een transcript is verplicht" in page
    assert not ImageBlock.objects.exists() and not MediaBlock.objects.exists()


def test_it_moves_blocks_and_lessons_up_and_down(author_client, draft):
    lesson = draft_lesson(draft)
    RichTextBlock.objects.create(lesson=lesson, key="b1", position=1, html="<p>Twee</p>")
    RichTextBlock.objects.create(lesson=lesson, key="b2", position=2, html="<p>Drie</p>")
    response = author_client.post(url("block_move", "basis", "les-1", "b2"), {"direction": "up"})
    assert response.status_code == 302 and response["Location"].endswith("#block-b2")
    order = list(
        Block.objects.filter(lesson=lesson).order_by("position").values_list("key", flat=True)
    )
    assert order == ["b0", "b2", "b1"]
    author_client.post(
        url("block_move", "basis", "les-1", "b0"), {"direction": "up"}
    )  # already first
    assert list(
        Block.objects.filter(lesson=lesson).order_by("position").values_list("key", flat=True)
    ) == ["b0", "b2", "b1"]
    author_client.post(url("lesson_move", "basis", "les-1"), {"direction": "down"})
    assert list(
        Lesson.objects.filter(module__version=draft)
        .order_by("position")
        .values_list("key", flat=True)
    ) == ["les-2", "les-1"]
    assert ChangeRecord.objects.filter(action="move").count() == 2
    # The editor offers the move buttons as labelled buttons in forms (keyboard reachable).
    page = author_client.get(url("lesson", "basis", "les-1")).content.decode()
    assert 'aria-label="Blok 2 omhoog verplaatsen"' in page


def test_it_builds_a_scenario_with_branching_steps(author_client, draft):
    lesson = draft_lesson(draft)
    author_client.post(
        url("block_create", "basis", "les-1", "scenario"), {"title": "Consult", "introduction": ""}
    )
    scenario = ScenarioBlock.objects.get(lesson=lesson)
    empty = formset_data("choices", [])
    author_client.post(
        url("step_create", "basis", "les-1", scenario.key), {"situation": "<p>Slot</p>", **empty}
    )
    ending = ScenarioStep.objects.get(scenario=scenario)
    response = author_client.post(
        url("step_create", "basis", "les-1", scenario.key),
        {
            "situation": "<p>Levi komt binnen.</p>",
            **formset_data(
                "choices",
                [
                    {
                        "text": "Vraag naar voornaamwoorden",
                        "feedback": "<p>Goed</p>",
                        "recommended": "on",
                        "next_step": str(ending.pk),
                    },
                    {"text": "Ga ervan uit", "feedback": "<p>Liever niet</p>"},
                ],
            ),
        },
    )
    assert response.status_code == 302
    start = ScenarioStep.objects.get(scenario=scenario, position=1)
    choices = list(ScenarioChoice.objects.filter(step=start).order_by("position"))
    assert [c.text for c in choices] == ["Vraag naar voornaamwoorden", "Ga ervan uit"]
    assert (
        choices[0].next_step == ending and choices[0].recommended and choices[1].next_step is None
    )
    author_client.post(
        url("step_move", "basis", "les-1", scenario.key, start.key), {"direction": "up"}
    )
    assert scenario.first_step.pk == start.pk
    page = author_client.get(url("block", "basis", "les-1", scenario.key)).content.decode()
    assert url("step", "basis", "les-1", scenario.key, start.key) in page
    assert "2 keuzes" in page


def test_it_checks_question_options_before_saving(author_client, draft):
    base = {"prompt": "<p>Welke?</p>", "explanation": "", "tag": "knowledge", "points": 1}
    response = author_client.post(
        url("question_create", "basis", "eindtoets", "single_choice"),
        {
            **base,
            **formset_data("options", [{"text": "A"}, {"text": "B"}]),
        },
    )
    assert "Vink precies één antwoord aan als juist." in response.content.decode()
    assert Question.objects.filter(quiz__version=draft).count() == 3
    response = author_client.post(
        url("question_create", "basis", "eindtoets", "multiple_choice"),
        {
            **base,
            **formset_data(
                "options",
                [
                    {"text": "A", "is_correct": "on"},
                    {"text": "B", "is_correct": "on"},
                    {"text": "C"},
                ],
            ),
        },
    )
    assert response.status_code == 302
    question = Question.objects.filter(quiz__version=draft).order_by("-position").first()
    assert question.kind == "multiple_choice"
    assert [(o.position, o.text, o.is_correct) for o in question.options.order_by("position")] == [
        (0, "A", True),
        (1, "B", True),
        (2, "C", False),
    ]
    response = author_client.post(
        url("question_create", "basis", "eindtoets", "scale"),
        {
            **base,
            "scale_max": 5,
            "low_label": "oneens",
            "high_label": "eens",
        },
    )
    assert response.status_code == 302


def test_it_edits_existing_options_and_deletes_one(author_client, draft):
    question = SingleChoiceQuestion.objects.get(quiz__version=draft, key="q0")
    options = list(question.options.order_by("position"))
    data = {
        "prompt": question.prompt,
        "explanation": "",
        "tag": "knowledge",
        "points": 1,
        **formset_data(
            "options",
            [
                {"id": options[0].pk, "text": "Eerste", "is_correct": "on", "feedback": ""},
                {"id": options[1].pk, "text": "Tweede", "feedback": ""},
                {"id": options[2].pk, "text": options[2].text, "feedback": "", "DELETE": "on"},
            ],
            initial=3,
        ),
    }
    response = author_client.post(url("question", "basis", "eindtoets", "q0"), data)
    assert response.status_code == 302, response.context["formset"].errors
    assert list(question.options.order_by("position").values_list("text", "key")) == [
        ("Eerste", "o0"),
        ("Tweede", "o1"),
    ]


def test_it_refuses_a_second_final_test(author_client, draft):
    response = author_client.post(
        url("quiz_create", "basis"), {"title": "Nog een", "kind": "final", "pass_mark": 70}
    )
    assert "Deze cursus heeft al een eindtoets." in response.content.decode()
    response = author_client.post(
        url("quiz_create", "basis"), {"title": "Oefenen", "kind": "practice", "pass_mark": 70}
    )
    assert (
        response.status_code == 302 and Quiz.objects.filter(version=draft, key="oefenen").exists()
    )


def test_it_explains_why_a_used_quiz_cannot_be_deleted(author_client, draft):
    quiz = Quiz.objects.get(version=draft, key="eindtoets")
    QuizBlock.objects.create(lesson=draft_lesson(draft), key="qb", position=5, quiz=quiz)
    response = author_client.post(url("quiz_delete", "basis", "eindtoets"), follow=True)
    assert "kan niet worden verwijderd" in response.content.decode()
    assert Quiz.objects.filter(pk=quiz.pk).exists()
    assert not ChangeRecord.objects.filter(action="delete").exists()


def test_it_previews_the_draft_lesson_as_a_learner_sees_it(author_client, draft):
    lesson = draft_lesson(draft)
    factories.add_every_block_kind(lesson, start=1)
    RichTextBlock.objects.filter(lesson=lesson, key="b0").update(
        html="<p>Alleen in het concept</p>"
    )
    response = author_client.get(url("preview", "basis", "les-1"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Alleen in het concept" in page and "Het verhaal van Levi" in page
    assert "Voorbeeld" in page and 'id="block-s1"' in page
    assert [t.name for t in response.templates].count("courses/_lesson_blocks.html") == 1
    assert response.context["preview"] is True


def test_it_publishes_from_the_publish_page(
    author_client, course, draft, learner, django_capture_on_commit_callbacks
):
    from courses import services

    enrollment = services.enroll_learner(learner, course)
    page = author_client.get(url("publish", "basis")).content.decode()
    assert "1 deelnemer die nog bezig is" in page
    # After commit the sweep (eager without a broker, as on a laptop) moves the learner.
    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post(url("publish", "basis"), follow=True)
    assert "Versie 2 is gepubliceerd. 1 deelnemers gaan verder" in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.version == draft


def test_it_shows_publish_blockers_instead_of_publishing(author_client, course, draft):
    Lesson.objects.create(module=draft.modules.get(), key="leeg", title="Lege les", position=7)
    response = author_client.post(url("publish", "basis"), follow=True)
    assert "Les ‘Lege les’ heeft nog geen inhoud." in response.content.decode()
    course.refresh_from_db()
    assert course.published_version.number == 1


def test_it_manages_roles_and_keeps_one_author(author_client, course, author, reviewer):
    author_client.post(
        url("roles", "basis"), {"email": "outsider2@example.org", "role": "reviewer"}
    )
    assert CourseRole.objects.filter(course=course).count() == 2
    newbie = factories.make_user(email="coauteur@example.org")
    author_client.post(url("roles", "basis"), {"email": "coauteur@example.org", "role": "author"})
    assert CourseRole.objects.filter(course=course, user=newbie, role="author").exists()
    own = CourseRole.objects.get(course=course, user=newbie, role="author")
    author_client.post(url("roles", "basis"), {"remove": own.pk})
    last = CourseRole.objects.get(course=course, user=author, role="author")
    response = author_client.post(url("roles", "basis"), {"remove": last.pk}, follow=True)
    assert "minstens één auteur" in response.content.decode()
    assert CourseRole.objects.filter(pk=last.pk).exists()


def test_it_creates_a_persona_with_a_checked_portrait(client, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client.force_login(factories.make_user(is_staff=True))
    response = client.post(
        url("persona_create"),
        {
            "name": "Sam",
            "slug": "sam",
            "age": 40,
            "pronouns": "hen/die",
            "bio": "<p>Sam</p><script>x</script>",
            "portrait": SimpleUploadedFile("sam.jpg", factories.image_bytes("JPEG")),
            "portrait_alt": "Sam lacht",
        },
    )
    assert response.status_code == 302
    persona = Persona.objects.get(slug="sam")
    assert persona.bio == "<p>Sam</p>" and persona.portrait.name.endswith(".jpg")
    record = ChangeRecord.objects.get(object_type="persona")
    assert (record.action, record.object_key, record.course) == ("create", "sam", None)


def test_it_keeps_the_lesson_editor_query_count_constant(
    author_client, draft, django_assert_num_queries
):
    lesson = draft_lesson(draft)
    factories.add_every_block_kind(lesson, start=1)
    with django_assert_num_queries(EDITOR_QUERIES):
        response = author_client.get(url("lesson", "basis", "les-1"))
    assert response.status_code == 200
    factories.add_every_block_kind(lesson, start=10)
    with django_assert_num_queries(EDITOR_QUERIES):
        response = author_client.get(url("lesson", "basis", "les-1"))
    assert len(response.context["blocks"]) == 13


def test_it_keeps_the_preview_query_count_constant(author_client, draft, django_assert_num_queries):
    lesson = draft_lesson(draft)
    factories.add_every_block_kind(lesson, start=1)
    with django_assert_num_queries(PREVIEW_QUERIES):
        author_client.get(url("preview", "basis", "les-1"))
    factories.add_every_block_kind(lesson, start=10)
    with django_assert_num_queries(PREVIEW_QUERIES):
        response = author_client.get(url("preview", "basis", "les-1"))
    assert len(response.context["blocks"]) == 13


# Session, user, course, draft, lesson, blocks (1 + one per block type: 6), persona, quiz, comments,
# the module choices.
EDITOR_QUERIES = 16
# As above, plus the lesson list (previous/next), steps, choices, questions
# (1 + one per question type: 3) and options.
PREVIEW_QUERIES = 23


def test_it_saves_a_true_false_question_with_its_prefilled_options(author_client, draft):
    form_page = author_client.get(
        url("question_create", "basis", "eindtoets", "true_false")
    ).content.decode()
    assert 'value="Waar"' in form_page and 'value="Niet waar"' in form_page
    response = author_client.post(
        url("question_create", "basis", "eindtoets", "true_false"),
        {
            "prompt": "<p>Klopt dit?</p>",
            "explanation": "",
            "tag": "knowledge",
            "points": 1,
            **formset_data(
                "options", [{"text": "Waar", "is_correct": "on"}, {"text": "Niet waar"}]
            ),
        },
    )
    assert response.status_code == 302
    question = Question.objects.filter(quiz__version=draft).order_by("-position").first()
    assert question.kind == "true_false"
    assert list(question.options.values_list("text", "is_correct")) == [
        ("Waar", True),
        ("Niet waar", False),
    ]


def test_it_explains_the_editor_without_asking_for_html(author_client, draft):
    page = author_client.get(url("block_create", "basis", "les-1", "text")).content.decode()
    assert "Gebruik de knoppen boven het tekstvak" in page
    assert "laat een witregel tussen alinea" in page
    main = page.split('<main id="main"')[1]
    assert "<strong>" not in main and "<em>" not in main


def test_it_refuses_to_change_a_published_version_even_through_the_services(course, author):
    from django.core.exceptions import ValidationError

    from courses.authoring import forms as author_forms
    from courses.authoring import services as author_services

    lesson = Lesson.objects.get(module__version=course.published_version, key="les-1")
    form = author_forms.LessonForm(
        {"title": "Stiekem", "module": lesson.module_id, "estimated_minutes": 5}, instance=lesson
    )
    assert form.is_valid()
    with pytest.raises(ValidationError):
        author_services.save_form(form, author, course.published_version)
    lesson.refresh_from_db()
    assert lesson.title == "Les 1" and not ChangeRecord.objects.exists()


def test_it_lists_the_courses_a_user_authors_or_reviews(client, course, reviewer, outsider):
    factories.make_course(slug="ander", title="Andere cursus")
    client.force_login(reviewer)
    page = client.get(url("index")).content.decode()
    assert "Testcursus" in page and "reviewer" in page and "Andere cursus" not in page
    assert "Nieuwe cursus" not in page
    client.force_login(outsider)
    assert client.get(url("index")).status_code == 404
    client.force_login(factories.make_user(is_staff=True))
    page = client.get(url("index")).content.decode()
    assert "Je bent nog geen auteur of reviewer van een cursus." in page and "Nieuwe cursus" in page


def test_it_moves_a_lesson_to_another_module(author_client, draft):
    author_client.post(url("module_create", "basis"), {"module-title": "Verdieping"})
    target = draft.modules.get(key="verdieping")
    response = author_client.post(
        url("lesson", "basis", "les-1"),
        {"title": "Les 1", "module": target.pk, "required": "on", "estimated_minutes": 10},
    )
    assert response.status_code == 302
    lesson = draft_lesson(draft)
    assert (lesson.module, lesson.position) == (target, 0)
    assert ChangeRecord.objects.get(action="update", object_key="les-1").changes["module"] == [
        "Module 1",
        "Verdieping",
    ]


def test_it_reorders_options_by_their_order_numbers(author_client, draft):
    question = SingleChoiceQuestion.objects.get(quiz__version=draft, key="q0")
    options = list(question.options.order_by("position"))
    rows = [
        {"id": options[0].pk, "text": options[0].text, "is_correct": "on", "ORDER": "3"},
        {"id": options[1].pk, "text": options[1].text, "ORDER": "1"},
        {"id": options[2].pk, "text": options[2].text, "ORDER": "2"},
    ]
    data = {
        "prompt": question.prompt,
        "explanation": "",
        "tag": "knowledge",
        "points": 1,
        **formset_data("options", rows, initial=3),
    }
    assert author_client.post(url("question", "basis", "eindtoets", "q0"), data).status_code == 302
    assert list(question.options.order_by("position").values_list("key", flat=True)) == [
        "o1",
        "o2",
        "o0",
    ]


def test_it_lets_authors_mark_review_comments_handled(client, course, draft, reviewer, author):
    comment = publishing.add_review_comment(draft, reviewer, "Te veel vakjargon.", "les-1")
    client.force_login(reviewer)
    assert client.post(url("review_resolve", "basis", comment.pk)).status_code == 404
    client.force_login(author)
    response = client.post(url("review_resolve", "basis", comment.pk), follow=True)
    comment.refresh_from_db()
    assert comment.resolved_at is not None
    assert "afgehandeld" in response.content.decode() and "Heropenen" in response.content.decode()
    # Handling a comment is not a content change: an approval stays valid.
    publishing.approve_version(draft, reviewer)
    client.post(url("review_resolve", "basis", comment.pk))
    comment.refresh_from_db()
    assert comment.resolved_at is None and publishing.valid_approvals(draft)


def test_it_speaks_english_when_the_author_chooses_english(author_client, draft, settings):
    author_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = author_client.get(url("lesson", "basis", "les-1")).content.decode()
    assert "Preview as a learner" in page and "Add a block" in page
    assert 'aria-label="Move Block 1 down"' in page
    page = author_client.get(url("publish", "basis")).content.decode()
    assert "What happens when you publish:" in page


def test_it_lists_an_authors_courses_in_a_fixed_number_of_queries(
    client, django_assert_num_queries
):
    author = factories.make_user(is_staff=True)
    client.force_login(author)
    for n in range(2):
        client.post(url("course_create"), {"title": f"Cursus {n}", "slug": f"cursus-{n}"})
    with django_assert_num_queries(4):  # session, user, roles with courses, drafts
        page = client.get(url("index")).content.decode()
    client.post(url("course_create"), {"title": "Cursus 2", "slug": "cursus-2"})
    with django_assert_num_queries(4):
        page = client.get(url("index")).content.decode()
    assert all(f"Cursus {n}" in page for n in range(3))


def test_it_discards_a_draft_and_keeps_the_published_version(author_client, course, draft):
    factories.add_every_block_kind(draft_lesson(draft), start=1)
    assert author_client.get(url("draft_discard", "basis")).status_code == 200
    response = author_client.post(url("draft_discard", "basis"), follow=True)
    assert "Het concept is weggegooid." in response.content.decode()
    assert not CourseVersion.objects.filter(pk=draft.pk).exists()
    course.refresh_from_db()
    assert course.published_version.number == 1
    assert Block.objects.filter(lesson__module__version=course.published_version).count() == 2
    assert ChangeRecord.objects.filter(action="delete", object_type="version").exists()


def test_it_does_not_discard_the_only_version_of_a_new_course(client):
    client.force_login(factories.make_user(is_staff=True))
    client.post(url("course_create"), {"title": "Nieuw", "slug": "nieuw-2"})
    response = client.post(url("draft_discard", "nieuw-2"), follow=True)
    assert "enige versie" in response.content.decode()
    assert CourseVersion.objects.filter(course__slug="nieuw-2").count() == 1


def test_it_moves_a_block_to_a_place_in_one_request_keeping_positions_unique(author_client, draft):
    lesson = draft_lesson(draft)
    factories.add_every_block_kind(lesson, start=1)
    before = list(
        Block.objects.filter(lesson=lesson).order_by("position").values_list("key", flat=True)
    )
    moving = before[-1]
    response = author_client.post(
        url("block_move", "basis", "les-1", moving),
        {"position": 1},
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 204
    rows = list(
        Block.objects.filter(lesson=lesson).order_by("position").values_list("key", "position")
    )
    assert [key for key, _p in rows] == [before[0], moving, *before[1:-1]]
    assert [p for _k, p in rows] == list(range(len(before)))
    record = ChangeRecord.objects.filter(action="move").latest("pk")
    assert record.object_key == moving and record.changes["position"][1] == 1


def test_it_calls_the_pass_mark_slaaggrens_for_authors_and_learners(
    author_client, course, draft, learner
):
    """Authors and learners read "slaaggrens" / "minimaal X% goed", not the jargon "cesuur"."""
    edit = author_client.get(url("quiz", "basis", "eindtoets")).content.decode()
    assert "Slaaggrens (%)" in edit and "Minimaal dit percentage goed om te slagen." in edit
    assert "cesuur" not in edit.lower()

    quiz = Quiz.objects.get(version=draft, key="eindtoets")
    author_client.post(
        url("quiz", "basis", "eindtoets"),
        {"title": quiz.title, "kind": quiz.kind, "pass_mark": 80, "introduction": ""},
    )
    history = author_client.get(url("changes", "basis")).content.decode()
    assert "slaaggrens" in history and "cesuur" not in history.lower()

    services.enroll_learner(learner, course)
    author_client.force_login(learner)
    page = author_client.get(reverse("courses:quiz", args=["basis", "eindtoets"])).content.decode()
    assert "Slaaggrens" in page and "minimaal 70% goed" in page
    assert "cesuur" not in page.lower()
