"""The course page's parts, each rendered from the few values it shows (`lms.fragments`).

A published (or retired) version's content never changes, so its introduction (title, facts,
links), its description and objectives, and each lesson's row as done, started or new are the
same for every learner: they are rendered once per process, keyed by the version's (or the
lesson's) id with the course's slug and the learner-state values they show, and never
invalidated. The accreditations shown are part of the introduction's key: a change is on the
next page. What an enrolled learner can do next is keyed by its values too, so learners at the
same point share it. An author's draft is rendered every time.
"""

from __future__ import annotations

from django.utils.safestring import SafeString

from lms.fragments import Fragments

from . import services
from .models import CourseVersion, Quiz
from .outlines import Outline


def course_parts(slug: str, version, outline: Outline, enrollment, progress, accreditations, today):
    """The rendered parts of the course page of `version` (of the course `slug`) for a learner
    with `enrollment` (None: not enrolled) and lesson `progress` (lesson key -> completed at, or
    None when started); `accreditations` are the course's, of which those still valid on `today`
    are shown. Returns the context entries `intro`, `about`, `contents` ((module title, rows),
    …), `actions` (enrolled only) and `contents_end`."""
    rendered = Fragments()
    # A draft's content changes: its parts are rendered every time.
    keyed = version.status != CourseVersion.Status.DRAFT
    enrolled = enrollment is not None
    lessons = outline.lessons
    resume_key = enrollment.last_lesson_key if enrollment else None
    contents = []
    for module in outline.modules:
        rows = []
        for lesson in module.lessons:
            status = "new"
            if lesson.key in progress:
                status = "done" if progress[lesson.key] else "started"
            here = lesson.key == resume_key
            rows.append(
                rendered(
                    "courses/_course_lesson.html",
                    (lesson.pk, slug, enrolled, status, here) if keyed else None,
                    {
                        "course_slug": slug,
                        "lesson": lesson,
                        "enrolled": enrolled,
                        "status": status,
                        "here": here,
                    },
                )
            )
        contents.append((module.title, rows))
    # Only a real accreditation is shown: never a reference placeholder.
    shown = tuple(
        (accreditation.register_label, accreditation.points)
        for accreditation in accreditations
        if accreditation.valid_until is None or accreditation.valid_until >= today
    )
    final_test = outline.quiz(kind=Quiz.Kind.FINAL)
    self_assessment = outline.quiz(kind=Quiz.Kind.SELF_ASSESSMENT)
    pre_done = enrollment.pre_done if enrollment else False
    end = {
        "course_slug": slug,
        "final_test": final_test,
        "enrolled": enrolled,
        "passed": enrollment.final_passed if enrollment else False,
        "self_assessment_done": bool(self_assessment) and pre_done,
    }
    return {
        "intro": rendered(
            "courses/_course_intro.html",
            (version.pk, slug, shown) if keyed else None,
            {
                "course_slug": slug,
                "version": version,
                "accreditations": shown,
                # The version's most recent content review (its lessons are reviewed one by one).
                "reviewed_on": max(
                    (item.reviewed_on for item in lessons if item.reviewed_on), default=None
                ),
            },
        ),
        "about": rendered(
            "courses/_course_about.html", version.pk if keyed else None, {"version": version}
        ),
        "contents": contents,
        "actions": enrolled
        and learner_actions(rendered, slug, enrollment, self_assessment, lessons),
        "contents_end": rendered(
            "courses/_course_contents_end.html",
            (version.pk, *end.values()) if keyed else None,
            end,
        ),
    }


def learner_actions(
    rendered: Fragments, slug: str, enrollment, self_assessment, lessons
) -> SafeString:
    """What the enrolled learner can do next: resume, start, the self-assessment, their
    certificate; with their progress and the time on task still expected."""
    resume = next((lesson for lesson in lessons if lesson.key == enrollment.last_lesson_key), None)
    pre_done = enrollment.pre_done
    values = {
        "slug": slug,
        "completed": enrollment.is_completed,
        # Minutes of time on task an accredited course still expects before it completes.
        "time_still_expected": services.time_still_expected(enrollment),
        "percent": enrollment.progress_percent,
        "done": enrollment.lessons_done,
        "total": enrollment.lessons_required,
        "prompt_self_assessment": bool(self_assessment)
        and not pre_done
        and not enrollment.lessons_done,
        "resume_key": resume.key if resume else None,
        "resume_title": resume.title if resume else None,
        "first_lesson_key": lessons[0].key if lessons else None,
        "first_lesson_secondary": bool(self_assessment) and not pre_done,
    }
    return rendered("courses/_course_actions.html", tuple(values.values()), values)
