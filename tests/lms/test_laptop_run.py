"""`make run` on a laptop: SQLite, no broker, tasks in-process. Publishing a course runs a task
there, and neither that nor anything else may print Celery's "No hostname was supplied" warning
or a line per task between the URL and the demo accounts."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "tests" / "courses" / "course_files" / "valid"


def run(args, env):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_the_laptop_path_publishes_and_prints_the_demo_accounts_without_celery_noise(tmp_path):
    drop = {"CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "EMAIL_HOST", "CACHE_URL"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env |= {"DATABASE_URL": f"sqlite:///{tmp_path}/laptop.sqlite3", "MEDIA_ROOT": str(tmp_path)}
    output = run(["migrate", "--noinput", "-v", "0"], env)
    output += run(["createcachetable"], env)
    # Publishing queues the lesson-page warm-up task: it runs in-process here.
    output += run(["import_course", str(VALID), "--publish"], env)
    output += run(["create_demo_accounts"], env)
    output += run(["send_course_reminders"], env)
    assert "gepubliceerd" in output
    assert "leerling@example.org" in output and "password: spreekkamer-demo" in output
    assert "hostname" not in output.lower(), output
    assert "Task courses." not in output, output

    # The triggers of courses/migrations/0016_content_integrity exist on SQLite as well (a
    # later migration that rebuilds one of these tables would drop its triggers: this notices).
    with sqlite3.connect(tmp_path / "laptop.sqlite3") as db:
        found = {
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
        for rule in (
            "courses_enrollment_course_of_version",
            "courses_quizblock_quiz_of_version",
            "courses_scenariochoice_next_step_of_scenario",
        ):
            assert {f"{rule}_insert", f"{rule}_update"} <= found
