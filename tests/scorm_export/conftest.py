import pytest

from courses.models import Lesson
from tests import factories


@pytest.fixture
def rich_course(db):
    """Two lessons (the first with every block kind) and a final test of three questions, pass mark
    70.
    """
    course = factories.make_course(slug="diversiteit", lessons=2, final_questions=3, pass_mark=70)
    first = (
        Lesson.objects.filter(module__version=course.published_version).order_by("position").first()
    )
    factories.add_every_block_kind(first, start=10)
    return course
