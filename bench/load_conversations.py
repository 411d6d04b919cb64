#!/usr/bin/env python
"""`make load`, second scenario: 100 'Wat vind jij?' sessions of 10 phones at once.

Creates a fresh database `<DATABASE_URL name>_load`, a statement set, the sessions and their
facilitators' logins; serves gunicorn on 127.0.0.1; runs bench/locust_conversations.py headless;
checks in the database that every answer was counted (and nothing else stored); writes
bench/results/load-conversations.md and .json with errors (target 0) and the distribution
latency p50/p95 (last answer stored → distribution on a phone), throughput, and the logged-in
1-query baseline measured on the same server just before. `--sessions 3` is a smoke run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH_DIR))

import run as bench  # noqa: E402 - bench/run.py: database, environment and gunicorn helpers
from load import (  # noqa: E402 - shared with the final-test scenario
    baseline_throughput,
    run_locust,
    step_row,
)

GROUP = 11  # a facilitator and ten participants


def prepare(sessions: int, statements: int) -> dict:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.cache import cache
    from django.core.management import call_command

    from conversations import services
    from tests import factories
    from tests.conversations.support import make_set

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    cache.clear()
    statement_set = make_set(statements, slug="last")
    rows = []
    for i in range(sessions):
        facilitator = factories.make_user(email=f"gespreksleider-{i:03d}@example.org")
        session = services.start_session(facilitator, statement_set)
        store = SessionStore()
        store[SESSION_KEY] = str(facilitator.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = facilitator.get_session_auth_hash()
        store.create()
        rows.append({"code": session.code, "sessionid": store.session_key, "id": session.pk})
    return {
        "sessions": rows,
        "statements": statements,
        "csrf": [secrets.token_hex(16) for _ in range(sessions * GROUP)],
    }


def database_check(data: dict) -> dict:
    from django.contrib.sessions.models import Session
    from django.db.models import Sum

    from conversations.models import AnswerTally, GroupSession, SessionStatement

    ids = [s["id"] for s in data["sessions"]]
    return {
        "participants": GroupSession.objects.filter(pk__in=ids).aggregate(
            n=Sum("participant_count")
        )["n"]
        or 0,
        "statements_shown": SessionStatement.objects.filter(session_id__in=ids).count(),
        "answers_counted": AnswerTally.objects.filter(shown__session_id__in=ids).aggregate(
            n=Sum("count")
        )["n"]
        or 0,
        # Only the facilitators have Django sessions; participants leave no row.
        "django_sessions": Session.objects.count(),
    }


def markdown(report: dict) -> str:
    check, lat = report["database"], report["distribution_latency_ms"]
    lines = [
        f"# Load: {report['sessions']} 'Wat vind jij?' sessions of 10 phones at once",
        "",
        f"Code: {report['code']}.",
        "",
        f"Run {report['started_at']}: {report['users']} locust users "
        f"({report['sessions']} facilitators, {report['sessions'] * 10} participants), "
        f"{report['statements']} statements per session; gunicorn {report['server']} on "
        f"127.0.0.1; participants poll once a second as the page does. Times in ms.",
        "",
        f"**Errors: {report['errors']}** (target 0: failed requests + answers not counted + "
        f"sessions not completed). Wall time: {report['wall_seconds']} s.",
        "",
        f"**Distribution latency** (last answer stored → distribution on a phone), "
        f"{lat['n']} measurements: p50 {lat['p50']} ms, **p95 {lat['p95']} ms**, "
        f"max {lat['max']} ms (target: within 2000 ms).",
        "",
        f"Throughput: {report['throughput_rps']} requests/s over the run (every request, "
        "including the participants' polls). Baseline on the same server just before: the "
        f"logged-in 1-query view at {report['baseline'].get('rps', '–')} requests/s from "
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
        f"Stored afterwards: {check['participants']} participants counted, "
        f"{check['statements_shown']} statements shown, {check['answers_counted']} answers "
        f"counted; {check['django_sessions']} Django sessions (the facilitators').",
    ]
    if report.get("failures"):
        lines += ["", "Failures:", ""] + [f"- {f}" for f in report["failures"][:10]]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--statements", type=int, default=5)
    parser.add_argument("--run-time", default="300s", help="upper bound for the locust run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--out", type=Path, default=bench.RESULTS_DIR)
    parser.add_argument(
        "--baseline-seconds", type=float, default=10, help="logged-in baseline run (0: skip)"
    )
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args(argv)

    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/spreekkamer")
    db_url = bench.bench_database_url(base_url).removesuffix("_bench") + "_load"
    env = bench.configure_environment(db_url, tempfile.mkdtemp(prefix="spk-load-static-"))
    import django

    django.setup()
    print(f"load database {db_url}", flush=True)
    bench.recreate_database(db_url)
    data = prepare(args.sessions, args.statements)
    from django.db import connections

    connections.close_all()
    workdir = Path(tempfile.mkdtemp(prefix="spk-load-conv-"))
    data_path = workdir / "sessions.json"
    data_path.write_text(json.dumps(data))
    results_path = workdir / "results.json"
    port = bench.free_port()
    server = bench.start_gunicorn(port, env, args.workers, args.threads, workdir / "gunicorn.log")
    users = args.sessions * GROUP
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    try:
        # A facilitator's session: the logged-in 1-query view, what the run is compared with.
        facilitator = {"sessionid": data["sessions"][0]["sessionid"], "csrf": data["csrf"][0]}
        baseline = baseline_throughput(
            port, server.pid, db_url, {"sessions": [facilitator]}, args.baseline_seconds
        )
        t0 = time.monotonic()
        run_locust(
            BENCH_DIR / "locust_conversations.py",
            users,
            args.run_time,
            port,
            data_path,
            results_path,
            timeout=900,
        )
        wall = round(time.monotonic() - t0, 1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    if not results_path.exists():
        print("locust wrote no results", file=sys.stderr)
        return 1
    results = json.loads(results_path.read_text())
    failures = results["failures"]
    steps = [step_row(n, t, failures) for n, t in sorted(results["timings_ms"].items())]
    timed = sum(len(t) for t in results["timings_ms"].values())
    throughput = round(timed / wall, 1) if wall else 0.0
    connections.close_all()
    check = database_check(data)
    connections.close_all()
    if not args.keep_db:
        bench.recreate_database(db_url, create=False)
    expected_answers = args.sessions * 10 * args.statements
    errors = (
        len(failures)
        + (expected_answers - check["answers_counted"])
        + (args.sessions - results["completed_sessions"])
    )
    latencies = results["latencies_ms"]
    report = {
        "started_at": started,
        "code": bench.code_version(),
        "sessions": args.sessions,
        "statements": args.statements,
        "users": users,
        "server": f"{args.workers} workers × {args.threads} threads (gthread)",
        "wall_seconds": wall,
        "throughput_rps": throughput,
        "baseline": baseline,
        "errors": errors,
        "distribution_latency_ms": {
            "n": len(latencies),
            "p50": round(bench.percentile(latencies, 50)),
            "p95": round(bench.percentile(latencies, 95)),
            "max": round(max(latencies)) if latencies else 0,
        },
        "steps": steps,
        "failures": failures,
        "database": check,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "load-conversations.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "load-conversations.md").write_text(markdown(report))
    print(markdown(report))
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
