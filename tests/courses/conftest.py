"""Fixtures shared by the author-area tests: the course's draft and its author, logged in."""

import pytest

from courses import publishing


@pytest.fixture
def draft(course, author):
    return publishing.create_draft(course, author)


@pytest.fixture
def author_client(client, author):
    client.force_login(author)
    return client
