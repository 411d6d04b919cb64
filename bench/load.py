#!/usr/bin/env python
"""`make load`: 300 learners start the final test at the same moment (bench/locustfile.py).

Creates a fresh PostgreSQL database `<DATABASE_URL name>_load`, a course with a 10-question final
test, and 300 learners who are enrolled, have done every lesson and are logged in. Starts gunicorn
on 127.0.0.1 (free port), runs locust headless against it for a bounded time, then checks in the
database that every submission was stored, and writes bench/results/load.md (errors, target 0,
and p50/p95 per step, throughput, and the logged-in 1-query baseline measured on the same server
just before) and load.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH_DIR))

import run as bench  # noqa: E402 - bench/run.py: database, environment and gunicorn helpers

QUESTIONS = 10
SLUG = "last-eindtoets"


def check_paths() -> None:
    """Exit with a clear message when the learner views this scenario drives are not served."""
    from django.urls import Resolver404, resolve

    for name in ("quiz", "quiz_start", "attempt"):
        try:
            resolve(bench.PATHS[name].format(slug=SLUG, quiz="eindtoets", attempt=1))
        except Resolver404:
            sys.exit(
                f"make load: {bench.PATHS[name]} is not served yet (courses/urls.py; see PATHS "
                "in bench/run.py)"
            )


def prepare(learners: int) -> dict:
    """The course, the learners and their sessions; returns what the locustfile needs."""
    import secrets

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import transaction

    from accounts.models import User
    from courses import services
    from courses.models import Lesson
    from tests import factories

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    course = factories.make_course(
        slug=SLUG,
        lessons=3,
        blocks_per_lesson=3,
        final_questions=QUESTIONS,
        title="Eindtoets onder last",
    )
    version = course.published_version
    assert version is not None  # make_course publishes
    final = version.final_test
    questions = list(final.questions.all())
    right = {f"q-{q.pk}": str(q.options.get(is_correct=True).pk) for q in questions}
    wrong = {f"q-{q.pk}": str(q.options.get(position=1).pk) for q in questions}
    lessons = list(Lesson.objects.filter(module__version=course.published_version))

    password = factories.make_user().password  # one hash for all: logging in is not the scenario
    users = User.objects.bulk_create(
        [
            User(
                email=f"last-{i:04d}@example.org",
                username=f"last-{i:04d}@example.org",
                first_name="Last",
                last_name=f"Leerling {i}",
                profession="huisarts",
                password=password,
            )
            for i in range(learners)
        ]
    )
    sessions = []
    for user in users:
        with transaction.atomic():
            enrollment = services.enroll_learner(user, course)
            for lesson in lessons:
                services.start_lesson(enrollment, lesson)
                services.complete_lesson(enrollment, lesson)
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "accounts.backends.LoginLimitBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.append({"sessionid": store.session_key, "csrf": secrets.token_hex(16)})
    return {
        "quiz_url": bench.PATHS["quiz"].format(slug=SLUG, quiz=final.key),
        "start_url": bench.PATHS["quiz_start"].format(slug=SLUG, quiz=final.key),
        "right_answers": right,
        "wrong_answers": wrong,
        "sessions": sessions,
        "course_id": course.pk,
    }


def step_row(name: str, times: list[float], failures: list[str], every=False) -> dict:
    failed = len(failures) if every else sum(1 for f in failures if f.startswith(f"{name}: "))
    return {
        "name": name,
        "requests": len(times),
        "failures": failed,
        "p50": round(bench.percentile(times, 50)),
        "p95": round(bench.percentile(times, 95)),
        "max": round(max(times)) if times else 0,
    }


def baseline_throughput(port: int, server_pid: int, db_url: str, data: dict, seconds: float):
    """Requests/s of the logged-in 1-query view (session read + user lookup) on this server,
    from 4 client threads for `seconds`: what the scenario's throughput is compared with."""
    if seconds <= 0 or not data["sessions"]:
        return {}
    first = data["sessions"][0]
    session = bench.Session(0, first["sessionid"], first["csrf"])
    ctx = bench.Context(
        port=port,
        requests=1_000_000,
        seconds=seconds,
        concurrency=4,
        sessions=[session] * 4,
        server_cpu=bench.ServerCPU(server_pid, db_url.rsplit("/", 1)[-1]),
    )
    path = bench.PATHS["logged_in"].format(n=1)
    return bench.run_load(ctx, lambda c, s, i: bench.Request("GET", path, expect=(200,)))


def database_check(course_id: int, learners: int) -> dict:
    """What the server stored: one submitted attempt per learner, a completion per pass."""
    from courses.models import CourseCompletion, QuizAttempt

    submitted = QuizAttempt.objects.filter(
        enrollment__course_id=course_id, submitted_at__isnull=False
    )
    return {
        "learners": learners,
        "submitted_attempts": submitted.count(),
        "passed": submitted.filter(passed=True).count(),
        "completions": CourseCompletion.objects.filter(enrollment__course_id=course_id).count(),
        "open_attempts": QuizAttempt.objects.filter(
            enrollment__course_id=course_id, submitted_at__isnull=True
        ).count(),
    }


def markdown(report: dict) -> str:
    check = report["database"]
    lines = [
        "# Load: 300 learners start the final test at once",
        "",
        f"Code: {report['code']}.",
        "",
        f"Run {report['started_at']}: {report['users']} locust users spawned at once, each "
        f"waiting for all others before starting; gunicorn {report['server']} on 127.0.0.1; "
        f"locust run bounded to {report['run_time']}. Scenario per learner: open test page → "
        "start attempt → load form → submit (80 % pass) → see result. Times in ms.",
        "",
        f"**Errors: {report['errors']}** (target 0: failed requests + missing submissions + "
        f"learners who did not finish). Wall time: {report['wall_seconds']} s.",
        "",
        f"Throughput: {report['throughput_rps']} requests/s over the run (every step, including "
        "the learners' waits). Baseline on the same server just before: the logged-in 1-query "
        f"view at {report['baseline'].get('rps', '–')} requests/s from "
        f"{report['baseline'].get('concurrency', '–')} client threads "
        f"(p50 {report['baseline'].get('p50_ms', '–')} ms, "
        f"{report['baseline'].get('cpu_ms', '–')} ms server CPU per request).",
        "",
        "| step | requests | failures | p50 | p95 | max |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in report["steps"]:
        lines.append(
            f"| {row['name']} | {row['requests']} | {row['failures']} | {row['p50']} | "
            f"{row['p95']} | {row['max']} |"
        )
    lines += [
        "",
        "Stored by the server afterwards: "
        f"{check['submitted_attempts']} submitted attempts for {check['learners']} learners "
        f"({check['passed']} passed, {check['completions']} completions, "
        f"{check['open_attempts']} attempts left open).",
    ]
    if report.get("failures"):
        lines += ["", "Failures:", ""] + [f"- {f}" for f in report["failures"][:10]]
    return "\n".join(lines) + "\n"


def run_locust(locustfile, users, run_time, port, data_path, results_path, *, timeout) -> None:
    """Run `locustfile` headless against gunicorn on 127.0.0.1:`port`, all `users` spawned at
    once; the locustfile reads LOAD_DATA and writes its results to LOAD_RESULTS."""
    subprocess.run(  # noqa: S603 - fixed arguments, loopback host
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(locustfile),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            run_time,
            "--stop-timeout",
            "10",
            "--host",
            f"http://127.0.0.1:{port}",
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, "LOAD_DATA": str(data_path), "LOAD_RESULTS": str(results_path)},
        check=False,
        timeout=timeout,
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--run-time", default="120s", help="upper bound for the locust run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--out", type=Path, default=bench.RESULTS_DIR)
    parser.add_argument(
        "--baseline-seconds", type=float, default=10, help="logged-in baseline run (0: skip)"
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the load database afterwards")
    args = parser.parse_args(argv)

    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/spreekkamer")
    db_url = bench.bench_database_url(base_url).removesuffix("_bench") + "_load"
    env = bench.configure_environment(db_url, tempfile.mkdtemp(prefix="spk-load-static-"))
    import django

    django.setup()
    check_paths()
    print(f"load database {db_url}", flush=True)
    bench.recreate_database(db_url)
    print(f"preparing {args.learners} learners …", flush=True)
    data = prepare(args.learners)
    from django.db import connections

    connections.close_all()

    workdir = Path(tempfile.mkdtemp(prefix="spk-load-"))
    data_path = workdir / "learners.json"
    data_path.write_text(json.dumps(data))
    port = bench.free_port()
    server = bench.start_gunicorn(port, env, args.workers, args.threads, workdir / "gunicorn.log")
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    results_path = workdir / "results.json"
    try:
        baseline = baseline_throughput(port, server.pid, db_url, data, args.baseline_seconds)
        print(f"gunicorn on 127.0.0.1:{port}; locust with {args.learners} users", flush=True)
        t0 = time.monotonic()
        run_locust(
            BENCH_DIR / "locustfile.py",
            args.learners,
            args.run_time,
            port,
            data_path,
            results_path,
            timeout=600,
        )
        wall = round(time.monotonic() - t0, 1)
    finally:
        server.terminate()
        server.wait(timeout=30)

    results = json.loads(results_path.read_text()) if results_path.exists() else None
    if results is None:
        print("locust wrote no results", file=sys.stderr)
        return 1
    failures = results["failures"]
    steps = [
        step_row(name, times, failures) for name, times in sorted(results["timings_ms"].items())
    ]
    everything = [t for times in results["timings_ms"].values() for t in times]
    steps.append(step_row("all requests", everything, failures, every=True))
    throughput = round(len(everything) / wall, 1) if wall else 0.0
    connections.close_all()
    check = database_check(data["course_id"], args.learners)
    connections.close_all()
    if not args.keep_db:
        bench.recreate_database(db_url, create=False)
    # Missing submissions are errors too, even if no request failed.
    errors = len(failures) + (args.learners - check["submitted_attempts"]) + results["unfinished"]
    report = {
        "started_at": started,
        "code": bench.code_version(),
        "users": args.learners,
        "server": f"{args.workers} workers × {args.threads} threads (gthread)",
        "run_time": args.run_time,
        "wall_seconds": wall,
        "throughput_rps": throughput,
        "baseline": baseline,
        "errors": errors,
        "steps": steps,
        "failures": failures,
        "unfinished": results["unfinished"],
        "database": check,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "load.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "load.md").write_text(markdown(report))
    print(markdown(report))
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
