"""Learning events. Sent inside the service's transaction, so a receiver that writes
(e.g. an xAPI outbox row) commits or rolls back together with the event itself.

Every signal is sent with `sender=<model class>` and the keyword arguments named here.
"""

from django.dispatch import Signal

enrollment_created = Signal()  # enrollment
lesson_started = Signal()  # enrollment, lesson, progress
lesson_completed = Signal()  # enrollment, lesson, progress
attempt_submitted = Signal()  # attempt, answers (list of Answer with .question set)
course_completed = Signal()  # completion
# Sent by courses.privacy.delete_learner_account inside its transaction, before the user row is
# pseudonymised: receivers delete or pseudonymise their own rows about `user` (e.g. undelivered
# xAPI statements). Raising rolls the whole deletion back.
account_deleting = Signal()  # user
