"""Deleting an account drops the learner's undelivered statements and keeps everyone else's."""

import pytest

from accounts.services import delete_learner_account
from records.models import StatementOutbox
from tests import factories
from tests.lrs_support import make_rich_course, run_journey

pytestmark = pytest.mark.django_db


def test_it_drops_a_deleted_learners_undelivered_statements(lrs):
    course = make_rich_course()
    leaving = factories.make_user()
    staying = factories.make_user()
    leaving_enrollment = run_journey(leaving, course)
    run_journey(staying, course)
    mine = str(leaving_enrollment.registration)
    pending = StatementOutbox.objects.filter(status=StatementOutbox.Status.PENDING)
    assert pending.filter(payload__context__registration=mine).exists()
    others_before = pending.exclude(payload__context__registration=mine).count()
    assert others_before > 0

    delete_learner_account(leaving)

    assert not StatementOutbox.objects.filter(payload__context__registration=mine).exists()
    assert pending.exclude(payload__context__registration=mine).count() == others_before
