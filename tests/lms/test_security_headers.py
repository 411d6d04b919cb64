import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def learner_pages(course):
    lesson_key = course.published_version.lessons_in_order().first().key
    return [
        reverse("courses:catalog"),
        reverse("courses:dashboard"),
        reverse("courses:course_detail", args=[course.slug]),
        reverse("courses:lesson", args=[course.slug, lesson_key]),
        reverse("profile"),
        reverse("privacy"),
        reverse("password_change"),
    ]


def assert_strict_headers(response):
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    # Frames only from the two video players (after consent), and no other host anywhere.
    assert directives["frame-src"] == "https://www.youtube-nocookie.com https://player.vimeo.com"
    assert set(directives) == {
        "default-src",
        "script-src",
        "style-src",
        "img-src",
        "media-src",
        "frame-src",
        "font-src",
        "object-src",
        "base-uri",
        "form-action",
        "frame-ancestors",
    }
    other_hosts = [v for k, v in directives.items() if k != "frame-src" and "://" in v]
    assert other_hosts == []
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_it_sends_security_headers_on_learner_pages(client, learner, course):
    from courses import services

    services.enroll_learner(learner, course)
    client.force_login(learner)
    for url in learner_pages(course):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict_headers(response)


def test_it_sends_security_headers_to_anonymous_visitors(client):
    for url in (reverse("login"), reverse("signup"), reverse("courses:catalog")):
        response = client.get(url)
        assert response.status_code == 200
        assert_strict_headers(response)


def test_it_has_no_inline_scripts_or_styles_on_account_pages(client, learner):
    client.force_login(learner)
    for url in (reverse("profile"), reverse("privacy"), reverse("password_change")):
        html = client.get(url).content.decode()
        assert "<script>" not in html and "style=" not in html and "<style" not in html
    client.logout()
    for url in (reverse("login"), reverse("signup")):
        html = client.get(url).content.decode()
        assert "<script>" not in html and "style=" not in html and "<style" not in html


def test_it_passes_the_deployment_checks(tmp_path):
    """`check --deploy` as CI runs it (.ci/run): production settings must raise no warning."""
    # Browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; CI's check runs without it.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DEBUG": "0",
        "SECRET_KEY": "test-check-deploy-a-long-random-enough-secret-value-0123456789abcdef",
        "SITE_URL": "https://spreekkamer.example",
        "ALLOWED_HOSTS": "spreekkamer.example",
        "STATIC_ROOT": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
