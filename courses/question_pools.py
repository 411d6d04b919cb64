"""The questions of a test with their options, as grading and the test pages read them.

A published or retired version's content never changes (`courses.models.VersionedContent`), so
each process reads a quiz's questions once (1 + one query per question type + 1) and keeps them
pickled under the quiz's id: every call unpickles fresh instances, because the pages annotate
them (`courses.player.annotate_question`). A draft's questions are read on every call.
"""

from __future__ import annotations

import pickle
import threading

from .models import CourseVersion, Quiz

LOCAL_POOLS = 256

_local_lock = threading.Lock()
_local: dict[int, bytes] = {}


def quiz_questions(quiz: Quiz, version: CourseVersion) -> list:
    """`services.questions_for_grading(quiz.pk)` for `quiz` of `version` (its version, passed so
    that its status needs no query): no query when this process has read them before."""
    from .services import questions_for_grading

    if version.pk != quiz.version_id:
        raise ValueError(f"quiz {quiz.pk} is not of version {version.pk}")
    if version.status == CourseVersion.Status.DRAFT:
        return questions_for_grading(quiz.pk)
    pickled = _local.get(quiz.pk)
    if pickled is not None:
        return pickle.loads(pickled)  # noqa: S301  # bytes this process pickled itself
    questions = questions_for_grading(quiz.pk)
    pickled = pickle.dumps(questions, protocol=pickle.HIGHEST_PROTOCOL)
    with _local_lock:
        if len(_local) >= LOCAL_POOLS:
            _local.pop(next(iter(_local)))
        _local[quiz.pk] = pickled
    return questions


def forget_local() -> None:
    """Drop this process's question pools (the next read asks the database)."""
    with _local_lock:
        _local.clear()
