"""The status page follows a running export by itself (static JS poll) and offers the download when
done.
"""

import pytest
from django.core.files.base import ContentFile
from django.db import connections

from scorm_export.models import PackageExport
from tests import factories
from tests.scorm_export.harness import browser_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_updates_progress_and_shows_the_download_link(
    live_server, client, settings, tmp_path, monkeypatch
):
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are still
    # synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.MEDIA_ROOT = tmp_path / "media"
    course = factories.make_course(slug="poll")
    author = factories.make_author(course)
    export = PackageExport.objects.create(
        version=course.published_version,
        standard="scorm12",
        status=PackageExport.Status.RUNNING,
        progress=10,
        requested_by=author,
    )
    client.force_login(author)
    session_cookie = client.cookies["sessionid"].value
    with browser_page() as (page, console_errors):
        page.context.add_cookies(
            [{"name": "sessionid", "value": session_cookie, "url": live_server.url}]
        )
        page.goto(live_server.url + export.get_absolute_url())
        assert page.locator("#package-progress").get_attribute("value") == "10"
        page.locator("#package-refresh").wait_for(
            state="hidden"
        )  # JS took over from the refresh link

        PackageExport.objects.filter(pk=export.pk).update(progress=60)
        page.wait_for_function("() => document.getElementById('package-progress').value === 60")
        assert page.locator("#package-progress-text").inner_text() == "60%"

        export.file.save("poll.zip", ContentFile(b"PK"), save=False)
        export.status, export.progress = PackageExport.Status.DONE, 100
        export.save()
        link = page.get_by_role("link", name="Download het pakket (zip)")
        link.wait_for(state="visible")
        assert page.locator("#package-status-label").inner_text() == "klaar"
        assert link.get_attribute("href").endswith(f"/auteur/pakketten/{export.pk}/download/")
        # Console errors include CSP violations: the poll is a static file, no inline script.
        assert [e for e in console_errors if "favicon.ico" not in e] == []
        # Inside Playwright's loop the ORM got its own connection; close it here, where it lives.
        connections.close_all()
