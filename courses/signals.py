"""Learning events, sent by `courses.services` (and `accounts.services` for account deletion).

Sent inside the service's transaction, so a receiver that writes (e.g. an xAPI outbox row)
commits or rolls back together with the event itself. Every signal is sent with
`sender=<model class>` and the keyword arguments named here.

Receivers (connected in `records/apps.py`; keep this list in step):

- `enrollment_created` → `records.services.on_enrollment_created`: course "registered" statement
- `lesson_started` → `records.services.on_lesson_started`: lesson "launched" statement
- `lesson_completed` → `records.services.on_lesson_completed`: lesson "completed" statement
- `attempt_submitted` → `records.services.on_attempt_submitted`: answers and the quiz result
- `course_completed` → `records.services.on_course_completed`: course "completed" per LRS/body
- `account_deleting` → `records.services.on_account_deleting`: deletes undelivered outbox rows;
  `conversations.services.on_account_deleting` (connected in `conversations/apps.py`): deletes
  the user's 'Wat vind jij?' group sessions

No receiver listens to saves of content rows: published content cannot change
(`courses.models.VersionedContent`), so cached lesson pages are never invalidated.
"""

from django.dispatch import Signal

enrollment_created = Signal()  # enrollment
lesson_started = Signal()  # enrollment, lesson, progress
lesson_completed = Signal()  # enrollment, lesson, progress
attempt_submitted = Signal()  # attempt, answers (list of Answer with .question set)
course_completed = Signal()  # completion
# Sent by accounts.services.delete_learner_account inside its transaction, before the user row is
# pseudonymised: receivers delete or pseudonymise their own rows about `user` (e.g. undelivered
# xAPI statements). Raising rolls the whole deletion back.
account_deleting = Signal()  # user
