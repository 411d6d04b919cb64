"""Learning events, sent by `courses.services` (and `accounts.services` for account deletion).

Sent inside the service's transaction, so a receiver that writes (e.g. an xAPI outbox row)
commits or rolls back together with the event itself. Every signal is sent with
`sender=<model class>` and the keyword arguments named here.

Services that record many learners at once (`services.LearningBatch`) send a signal for many
events in one `send_batch(sender, events)` call: receivers connected with `connect_batch` get the
list in one call (`events`: the keyword arguments of each event), receivers connected with
`connect` one call per event, as with `send`. A plain `send` reaches batch receivers as a list of
one, so a receiver is written once, for lists.

Receivers (connected in `records/apps.py` unless said; keep this list in step):

- `enrollment_created` → `records.services.on_enrollment_created`: course "registered" statement
- `lesson_started` → `records.services.on_lesson_started`: lesson "launched" statement
- `lesson_completed` → `records.services.on_lesson_completed`: lesson "completed" statement
- `attempt_submitted` → `records.services.on_attempt_submitted`: answers and the quiz result
- `course_completed` → `records.services.on_course_completed`: course "completed" per LRS/body;
  `records.registers.on_course_completed`: the staff overview's stored verdicts
- `enrollment_created`, `lesson_started`, `lesson_completed`, `attempt_submitted`,
  `course_completed` → `courses.reports.on_learning_events` (connected in `courses/apps.py`):
  queues a refresh of the course's stored author report
- `account_deleting` → `records.services.on_account_deleting`: deletes undelivered outbox rows;
  `conversations.services.on_account_deleting` (connected in `conversations/apps.py`): deletes
  the user's 'Wat vind jij?' group sessions

No receiver listens to saves of content rows: published content cannot change
(`courses.models.VersionedContent`), so cached lesson pages are never invalidated.
"""

from django.dispatch import Signal


class BatchSignal(Signal):
    """A signal that may carry many events in one send (see the module's docstring)."""

    def __init__(self):
        super().__init__()
        self.batch_receivers: list = []

    def connect_batch(self, receiver) -> None:
        """Connect `receiver(sender, events)`; strongly referenced, connected once."""
        if receiver not in self.batch_receivers:
            self.batch_receivers.append(receiver)

    def send(self, sender, **named):
        responses = super().send(sender, **named)
        for receiver in self.batch_receivers:
            responses.append((receiver, receiver(sender=sender, events=[named])))
        return responses

    def send_batch(self, sender, events: list[dict]) -> None:
        """Send one event per dict of keyword arguments; batch receivers get them in one call."""
        if not events:
            return
        for named in events:
            super().send(sender, **named)
        for receiver in self.batch_receivers:
            receiver(sender=sender, events=events)


enrollment_created = BatchSignal()  # enrollment
lesson_started = BatchSignal()  # enrollment, lesson, progress
lesson_completed = BatchSignal()  # enrollment, lesson, progress
attempt_submitted = BatchSignal()  # attempt, answers (list of Answer with .question set)
course_completed = BatchSignal()  # completion
# Sent by accounts.services.delete_learner_account inside its transaction, before the user row is
# pseudonymised: receivers delete or pseudonymise their own rows about `user` (e.g. undelivered
# xAPI statements). Raising rolls the whole deletion back.
account_deleting = Signal()  # user
