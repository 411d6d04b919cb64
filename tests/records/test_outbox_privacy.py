"""Deleting an account drops the learner's undelivered statements and keeps everyone else's."""

import pytest

from accounts.services import delete_learner_account
from records.models import StatementOutbox, XapiStatement
from records.services import fan_out_statements
from tests import factories
from tests.lrs_support import make_rich_course, run_journey

pytestmark = pytest.mark.django_db


def test_it_drops_a_deleted_learners_undelivered_statements(lrs):
    course = make_rich_course()
    leaving = factories.make_user()
    staying = factories.make_user()
    leaving_enrollment = run_journey(leaving, course)
    run_journey(staying, course)
    fan_out_statements()
    mine = str(leaving_enrollment.registration)
    pending = StatementOutbox.objects.filter(status=StatementOutbox.Status.PENDING)
    assert pending.filter(xapi_statement__payload__context__registration=mine).exists()
    others_before = pending.exclude(xapi_statement__payload__context__registration=mine).count()
    assert others_before > 0
    statements_before = XapiStatement.objects.exclude(payload__context__registration=mine).count()

    delete_learner_account(leaving)

    assert not StatementOutbox.objects.filter(
        xapi_statement__payload__context__registration=mine
    ).exists()
    assert not XapiStatement.objects.filter(payload__context__registration=mine).exists()
    assert pending.exclude(xapi_statement__payload__context__registration=mine).count() == (
        others_before
    )
    assert XapiStatement.objects.count() == statements_before
