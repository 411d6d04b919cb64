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
