import pytest

from tests import factories


@pytest.fixture
def learner(db):
    return factories.make_user(email="learner@example.org", profession="huisarts")


@pytest.fixture
def outsider(db):
    return factories.make_user(email="outsider@example.org")


@pytest.fixture
def course(db):
    return factories.make_course(slug="basis")


@pytest.fixture
def author(db, course):
    return factories.make_author(course, email="author@example.org")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database plus the `lms_cache` table the default (database) cache uses.

    Cache rows are written inside each test's transaction, so they roll back with it.
    """
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("createcachetable", verbosity=0)
