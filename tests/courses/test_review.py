"""Review that cannot be skipped: review requests by e-mail, the reviewer's queue, previews of
every part of a draft with comments per block or question, the accredited-course rules, and the
change log as sentences."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from courses import publishing
from courses.authoring import services
from courses.models import ChangeRecord, CourseRole, ReviewComment, ReviewRequest
from tests import factories
from tests.records.registers_support import accredit

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(course, author):
    return publishing.create_draft(course, author)


@pytest.fixture
def reviewer(course):
    user = factories.make_user(
        email="reviewer@example.org", first_name="Ervarings", last_name="Deskundige"
    )
    CourseRole.objects.create(course=course, user=user, role=CourseRole.Role.REVIEWER)
    return user


@pytest.fixture
def admin(db):
    return factories.make_user(email="admin@example.org", is_superuser=True, is_staff=True)


def url(name, *args):
    return reverse(f"authoring:{name}", args=args)


def test_it_emails_the_reviewers_after_commit_and_queues_the_draft(
    client, course, draft, author, reviewer, django_capture_on_commit_callbacks
):
    client.force_login(author)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url("review_request", "basis"), {"note": "Graag vóór vrijdag"})
    assert response.status_code == 302
    assert len(callbacks) == 1  # the mail is sent by a task queued after commit
    assert [m.to for m in mail.outbox] == [["reviewer@example.org"]]
    message = mail.outbox[0]
    assert "Review gevraagd" in message.subject
    assert "Graag vóór vrijdag" in message.body
    assert "/auteur/te-reviewen/" in message.body
    assert ReviewRequest.objects.get().requested_by == author

    client.force_login(reviewer)
    queue = client.get(url("review_queue")).content.decode()
    assert draft.title in queue and "wacht op jou" in queue
    publishing.approve_version(draft, reviewer)
    assert "door jou goedgekeurd" in client.get(url("review_queue")).content.decode()


def test_it_refuses_a_review_request_without_reviewers(client, course, draft, author):
    client.force_login(author)
    page = client.post(url("review_request", "basis"), follow=True).content.decode()
    assert "nog geen reviewers" in page
    assert not ReviewRequest.objects.exists() and not mail.outbox


def test_it_lets_a_reviewer_preview_a_quiz_and_comment_on_one_question(
    client, course, draft, reviewer
):
    client.force_login(reviewer)
    assert client.get(url("quiz", "basis", "eindtoets")).status_code == 404  # the editor
    page = client.get(url("quiz_preview", "basis", "eindtoets"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Vraag 0" in html and "disabled" in html  # prompts as learners see them, inert
    assert 'class="tag">juiste antwoord<' not in html
    assert (
        'class="tag">juiste antwoord<'
        in client.get(url("quiz_preview", "basis", "eindtoets") + "?antwoorden=1").content.decode()
    )

    response = client.post(
        url("review_comment", "basis"),
        {"text": "Afleider B is te makkelijk.", "quiz_key": "eindtoets", "target": "q1"},
        follow=True,
    )
    assert response.redirect_chain[-1][0].startswith(url("quiz_preview", "basis", "eindtoets"))
    comment = ReviewComment.objects.get()
    assert (comment.quiz_key, comment.question_key) == ("eindtoets", "q1")
    assert "vraag q1" in response.content.decode()

    # A question of another quiz (or none at all) is refused.
    client.post(
        url("review_comment", "basis"),
        {"text": "Bestaat niet", "quiz_key": "eindtoets", "target": "q99"},
    )
    assert ReviewComment.objects.count() == 1


def test_it_lets_a_reviewer_comment_on_one_block_of_a_lesson(client, course, draft, reviewer):
    client.force_login(reviewer)
    preview = client.get(url("preview", "basis", "les-1")).content.decode()
    assert "Blok 1: Tekst" in preview
    client.post(
        url("review_comment", "basis"),
        {"text": "Dit woord is verouderd.", "lesson_key": "les-1", "target": "b0"},
    )
    comment = ReviewComment.objects.get()
    assert (comment.lesson_key, comment.block_key) == ("les-1", "b0")


def test_it_needs_an_independent_approval_for_an_accredited_course(course, draft, author):
    accredit(course, "big")
    assert any("geaccrediteerd" in p for p in publishing.publish_blockers(draft))
    with pytest.raises(ValidationError):
        publishing.publish_draft(draft, author)

    # A reviewer who edited the draft earlier (as an author) cannot approve it.
    editor = factories.make_author(course, email="editor@example.org")
    lesson = draft.lessons_in_order().first()
    lesson.title = "Nieuwe titel"
    lesson.save()
    publishing.record_change(editor, course, ChangeRecord.Action.UPDATE, version=draft, obj=lesson)
    CourseRole.objects.filter(user=editor).update(role=CourseRole.Role.REVIEWER)
    with pytest.raises(PermissionDenied):
        publishing.approve_version(draft, editor)

    independent = factories.make_user(email="onafhankelijk@example.org")
    CourseRole.objects.create(course=course, user=independent, role=CourseRole.Role.REVIEWER)
    publishing.approve_version(draft, independent)
    assert publishing.publish_blockers(draft) == []
    publishing.publish_draft(draft, author)
    course.refresh_from_db()
    assert course.published_version == draft


def test_it_refuses_the_bypass_of_removing_the_reviewer_on_an_accredited_course(
    client, course, draft, author, reviewer
):
    accredit(course, "big")
    client.force_login(author)
    role = CourseRole.objects.get(user=reviewer)
    page = client.post(url("roles", "basis"), {"remove": role.pk}, follow=True).content.decode()
    assert "alleen een beheerder" in page
    assert CourseRole.objects.filter(user=reviewer, role="reviewer").exists()
    page = client.post(url("publish", "basis"), follow=True).content.decode()
    assert "geaccrediteerd" in page
    course.refresh_from_db()
    assert course.published_version != draft
    with pytest.raises(PermissionDenied):
        services.set_role(course, author, reviewer, "reviewer", remove=True)


def test_it_drops_the_approval_of_a_removed_reviewer(course, draft, author, reviewer, admin):
    publishing.approve_version(draft, reviewer)
    assert publishing.valid_approvals(draft)
    services.set_role(course, admin, reviewer, "reviewer", remove=True)
    assert publishing.valid_approvals(draft) == []


def test_it_lets_a_site_admin_change_roles_and_logs_who_and_when(
    client, course, draft, author, reviewer, admin
):
    accredit(course, "big")
    client.force_login(admin)
    role = CourseRole.objects.get(user=reviewer)
    client.post(url("roles", "basis"), {"remove": role.pk})
    assert not CourseRole.objects.filter(user=reviewer).exists()
    record = ChangeRecord.objects.filter(action="role").get()
    assert record.user == admin and record.created_at is not None
    assert record.changes == {"user": "reviewer@example.org", "role": "reviewer", "removed": True}
    log = client.get(url("changes", "basis")).content.decode()
    assert "heeft de rol reviewer van reviewer@example.org verwijderd" in log


def test_it_writes_the_change_log_as_dutch_sentences_with_dutch_dates(
    client, course, draft, author, time_machine
):
    time_machine.move_to("2026-03-04 10:00:00+01:00")
    lesson = draft.lessons_in_order().first()
    publishing.record_change(
        author,
        course,
        ChangeRecord.Action.UPDATE,
        version=draft,
        obj=lesson,
        changes={"title": ["Les 1", "Sekse en gender"]},
    )
    publishing.publish_draft(draft, author)
    client.force_login(author)
    log = client.get(url("changes", "basis")).content.decode()
    assert f"Versie {draft.number} gepubliceerd door {author}." in log
    assert "maart 2026" in log and "woensdag" in log
    assert "titel: van ‘Les 1’ naar ‘Sekse en gender’" in log
    assert "retired_version" not in log and "None" not in log
