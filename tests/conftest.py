import os

import pytest

from tests import factories


def pytest_configure(config):
    """A fast password hasher: PBKDF2's deliberate slowness is not what the tests measure, and it
    made user factories most of the suite's time. The login tests that need the real hasher's
    cost set it themselves."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Staff logins all over the suite would otherwise stop at the two-factor page; the tests of
    # two-factor authentication switch it on (tests/accounts/test_two_factor.py).
    settings.TWO_FACTOR_REQUIRED = False


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


LIVE_SERVER_DRAIN_SECONDS = 60


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server (same address options), behind a gate that the teardown
    below closes before the database is flushed (tests/live_server_support.py)."""
    from tests.live_server_support import start_live_server

    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = start_live_server(addr)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def live_server_quiet_before_flush(request):
    """A live-server test ends in this order: the browser contexts it left open are closed,
    the server stops taking requests and waits for those still running, then pytest-django
    flushes the database. Without this a poll or heartbeat still being served could deadlock
    the flush and leave rows for the next test."""
    if "live_server" not in request.fixturenames:
        yield
        return
    # Requested here so that it (and its flush) is torn down after this fixture.
    request.getfixturevalue("transactional_db")
    gate = request.getfixturevalue("live_server").thread.httpd
    gate.open()
    yield
    from tests.browser_support import close_open_contexts

    try:
        close_open_contexts()
    finally:
        gate.close_and_drain(timeout=LIVE_SERVER_DRAIN_SECONDS)


@pytest.fixture(autouse=True)
def fresh_lesson_page_memory():
    """Each test starts with an empty cache (its rows roll back), so this process's copy of
    lesson snapshots, course outlines, question pools, page shells and rendered partials starts
    empty too."""
    from courses import catalog_content, lesson_pages, outlines, question_pools
    from lms import fragments, page_shell

    catalog_content.forget_local()
    lesson_pages.forget_local()
    outlines.forget_local()
    question_pools.forget_local()
    page_shell.forget_local()
    fragments.forget_local()
    yield
    catalog_content.forget_local()
    lesson_pages.forget_local()
    outlines.forget_local()
    question_pools.forget_local()
    page_shell.forget_local()
    fragments.forget_local()


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts in the default language (Dutch): a request in English leaves English
    active in the thread (LocaleMiddleware does not undo it), and messages written through
    gettext outside a request would follow it into the next test."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


CHROMIUM_MISSING = pytest.StashKey[str]()
BROWSER_FIXTURES = {"browser", "page", "chromium", "tab"}
BROWSER_HELPERS = {"browser_page", "shared_browser"}


def pytest_collection_finish(session):
    """Start chromium before any test opens its database transaction, when a test will need it.

    Starting Playwright in the middle of a test (inside pytest-django's atomic block) leaves the
    block unusable at teardown, so the shared browser is started up front.
    """
    for item in session.items:
        module = getattr(item, "module", None)
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())) or (
            module is not None and BROWSER_HELPERS & set(vars(module))
        ):
            from tests.browser_support import CHROMIUM, shared_browser

            if not os.access(CHROMIUM, os.X_OK):
                missing = (
                    f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), "
                    "set CHROMIUM_PATH, or leave out the browser tests with -m 'not browser'"
                )
                if not hasattr(session.config, "workerinput"):
                    pytest.exit(missing, returncode=4)
                # An xdist worker cannot stop the run without an INTERNALERROR: its browser tests
                # fail with that one line instead.
                session.config.stash[CHROMIUM_MISSING] = missing
                return
            shared_browser()
            return


def pytest_runtest_setup(item):
    missing = item.config.stash.get(CHROMIUM_MISSING, "")
    if missing and BROWSER_FIXTURES & set(item.fixturenames) | {"browser"} & {
        m.name for m in item.iter_markers()
    }:
        pytest.fail(missing, pytrace=False)


def pytest_sessionfinish(session, exitstatus):
    from tests.browser_support import stop_shared_browser

    stop_shared_browser()
