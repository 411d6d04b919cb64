"""Every completion export, byte for byte, against files written before the exports were tuned.

The fixture holds what makes exports go wrong: revoked certificates, deleted accounts, learners
with several register numbers (and none, invalid and unconfirmed ones), names with quotes, commas,
newlines, formula characters and non-ASCII letters, completions on both sides of the Dutch
daylight-saving changes and of midnight, failed first attempts, a PE-online rejection and an
already reported row. Ids, registrations and times are fixed, so the files are stable.

To rewrite the files after a deliberate change of an export's format:
REWRITE_EXPORT_BYTES=1 pytest tests/records/test_export_bytes.py
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import RegisterNumber, User
from accounts.services import DELETED_EMAIL_DOMAIN
from courses.models import CourseCompletion, Enrollment, LessonProgress, QuizAttempt
from records.attendance import (
    attendance_rows,
    blocked_csv_chunks,
    pe_online_xml_chunks,
    presence_csv_chunks,
)
from records.exports import FORMATS, completions_for_export, export_lines
from records.models import AttendanceReport, PeOnlineSubmission, PeOnlineSubmissionRow
from tests import factories
from tests.records.registers_support import accredit

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "fixtures" / "export_bytes"
UTC = dt.UTC
Reg = RegisterNumber.Register

# (first name, initials, prefix, last name, profession, e-mail, completed at (UTC), score).
# Moments around the switch to summer time (29 March 2026, 01:00 UTC) and back (25 October 2026,
# 01:00 UTC, when 02:00–03:00 local happens twice), around local midnight and the BIG
# accreditation's last valid day (30 June).
D = dt.datetime
LEARNERS = [
    (
        'Anne-Marie "Joke"',
        "",
        "van 't",
        "O'Brien, jr.",
        "huisarts",
        "anne@example.org",
        D(2026, 3, 29, 0, 59, 59, tzinfo=UTC),
        "0.9",
    ),
    (
        "Zoë Åsa",
        "",
        "",
        "Øztürk-Ñúñez",
        "huisarts",
        "zoe@example.org",
        D(2026, 3, 29, 1, 0, 0, tzinfo=UTC),
        "1",
    ),
    (
        "Lijn",
        "L.",
        "",
        "Twee\nregels",
        "huisarts",
        "lijn@example.org",
        D(2026, 6, 30, 21, 59, 59, 999999, tzinfo=UTC),
        "0.9",
    ),
    (
        "Formule",
        "=SUM(1+1)",
        "",
        "+31 Bakker",
        "huisarts",
        "formule@example.org",
        D(2026, 6, 30, 22, 0, tzinfo=UTC),
        "0.5833",
    ),
    (
        "Revo",
        "R.",
        "",
        "Ingetrokken",
        "huisarts",
        "revo@example.org",
        D(2026, 10, 25, 0, 30, tzinfo=UTC),
        "0",
    ),
    (
        "Weg",
        "",
        "",
        "",
        "",
        f"user-9@{DELETED_EMAIL_DOMAIN}",
        D(2026, 10, 25, 1, 30, tzinfo=UTC),
        "0.9",
    ),
    (
        "Karin",
        "K.",
        "",
        "Smit",
        "doktersassistent",
        "karin@example.org",
        D(2026, 12, 31, 22, 59, tzinfo=UTC),
        "1",
    ),
    (
        "Geen",
        "G.",
        "",
        "Nummer",
        "huisarts",
        "geen@example.org",
        D(2026, 12, 31, 23, 0, tzinfo=UTC),
        "0.75",
    ),
    (
        "Fout",
        "F.",
        "",
        "Nummer",
        "huisarts",
        "fout@example.org",
        D(2026, 1, 1, 0, 0, tzinfo=UTC),
        "0.75",
    ),
    (
        "Onbevestigd",
        "",
        "",
        "Nul",
        "huisarts",
        "nul@example.org",
        D(2026, 2, 14, 12, 0, 0, 123456, tzinfo=UTC),
        "0.75",
    ),
    (
        "Laag",
        "",
        "de",
        "Score",
        "huisarts",
        "laag@example.org",
        D(2026, 5, 5, 8, 0, tzinfo=UTC),
        "0.6999",
    ),
    (
        "Twee",
        "T.W.",
        "",
        "Pogingen",
        "poh_s",
        "twee@example.org",
        D(2026, 5, 6, 8, 0, tzinfo=UTC),
        "1",
    ),
    (
        "Afgewezen",
        "",
        "",
        "Door PE",
        "huisarts",
        "afgewezen@example.org",
        D(2026, 5, 7, 8, 0, tzinfo=UTC),
        "0.8",
    ),
    (
        "Gemeld",
        "",
        "",
        "Al",
        "huisarts",
        "gemeld@example.org",
        D(2026, 5, 8, 8, 0, tzinfo=UTC),
        "0.8",
    ),
    (
        "Fatima",
        "",
        "",
        "Yılmaz",
        "poh_s",
        "fatima@example.org",
        D(2026, 5, 9, 8, 0, tzinfo=UTC),
        "0.7",
    ),
    ("Zonder", "", "", "Beroep", "", "zonder@example.org", D(2026, 5, 10, 8, 0, tzinfo=UTC), None),
]
FIRST_FAILED = {3, 11}  # Formule and Twee passed the final test at their second attempt


def number(user, register, value, register_name="", needs_confirmation=False):
    RegisterNumber.objects.create(
        user=user,
        register=register,
        register_name=register_name,
        number=value,
        needs_confirmation=needs_confirmation,
    )


@pytest.fixture
def edge_cases():
    course = factories.make_course(slug="randgevallen", final_questions=1, pass_mark=50)
    version = course.published_version
    quiz = version.final_test
    accreditations = {
        "big": accredit(course, Reg.BIG, valid_until=dt.date(2026, 6, 30), pe_org_id=19),
        "vvn": accredit(
            course,
            Reg.VVN,
            pe_course_id="98765",
            pe_course_type="editions",
            pe_edition_id="45324",
            points=Decimal("1.5"),
            first_attempt_only=True,
            valid_until=None,
        ),
        "other": accredit(
            course,
            Reg.OTHER,
            register_name="  Mijn Register ",
            pe_course_id="777",
            points=Decimal("0.25"),
            min_score=0,
        ),
    }
    completions = []
    for i, (first, initials, prefix, last, profession, email, moment, score) in enumerate(LEARNERS):
        user = User.objects.create_user(
            id=990_001 + i,
            email=email,
            password=None,
            first_name=first,
            initials=initials,
            surname_prefix=prefix,
            last_name=last,
            profession=profession,
        )
        enrollment = Enrollment.objects.create(
            user=user,
            course=course,
            version=version,
            registration=uuid.UUID(int=0x5EED_0000 + i),
        )
        completions.append(
            CourseCompletion.objects.create(
                enrollment=enrollment,
                version=version,
                completed_at=moment,
                score=score,
                passed=score is None or Decimal(score) >= Decimal("0.5"),
            )
        )
        if i % 3 == 0:
            LessonProgress.objects.create(
                enrollment=enrollment, lesson_key=f"l{i}", seconds_spent=3_600 + 61 * i
            )
        if i % 4 == 1:
            LessonProgress.objects.create(enrollment=enrollment, lesson_key="x", seconds_spent=59)
        for attempt in range(2 if i in FIRST_FAILED else 1):
            QuizAttempt.objects.create(
                enrollment=enrollment,
                quiz=quiz,
                number=attempt + 1,
                submitted_at=moment - dt.timedelta(minutes=10 - attempt),
                passed=attempt == 1 or i not in FIRST_FAILED,
            )
    users = {c.enrollment.user.last_name: c.enrollment.user for c in completions}
    # Several numbers: BIG, V&VN and a named register, in the order the learner added them.
    number(users["O'Brien, jr."], Reg.VVN, "123456")
    number(users["O'Brien, jr."], Reg.BIG, "19012345601")
    number(users["O'Brien, jr."], Reg.OTHER, "A-1", register_name="mijn register")
    number(users["Øztürk-Ñúñez"], Reg.BIG, "29012345601")
    number(users["Øztürk-Ñúñez"], Reg.OTHER, "Z-9", register_name="Ander register")
    number(users["Twee\nregels"], Reg.BIG, "39012345601")
    number(users["+31 Bakker"], Reg.BIG, "49012345601")
    number(users["+31 Bakker"], Reg.VVN, "223344")
    number(users["Ingetrokken"], Reg.BIG, "59012345601")
    number(users[""], Reg.BIG, "69012345601")
    number(users["Smit"], Reg.KABIZ, "555666777")
    number(users["Nummer"], Reg.BIG, "12AB-345")  # the second "Nummer": invalid
    number(users["Nul"], Reg.BIG, "00987654321", needs_confirmation=True)
    number(users["Score"], Reg.BIG, "79012345601")
    number(users["Score"], Reg.OTHER, "S-1", register_name="MIJN REGISTER")
    number(users["Pogingen"], Reg.BIG, "89012345601")
    number(users["Pogingen"], Reg.VVN, "334455")
    number(users["Door PE"], Reg.BIG, "99012345601")
    number(users["Al"], Reg.BIG, "10012345601")
    number(users["Yılmaz"], Reg.VVN, "112233")
    number(users["Beroep"], Reg.BIG, "11012345601")
    CourseCompletion.objects.filter(pk=completions[4].pk).update(
        revoked_at=dt.datetime(2026, 7, 1, tzinfo=UTC)
    )
    submission = PeOnlineSubmission.objects.create(accreditation=accreditations["big"])
    PeOnlineSubmissionRow.objects.create(
        submission=submission,
        completion=completions[12],
        line=1,
        register_number="99012345601",
        status=PeOnlineSubmissionRow.Status.REJECTED,
        error_text="Persoon onbekend; ‘controleer’",
    )
    AttendanceReport.objects.create(
        completion=completions[13],
        accreditation=accreditations["big"],
        reported_at=dt.datetime(2026, 6, 1, tzinfo=UTC),
        file_name="eerder.csv",
    )
    # Another course's completion stays out of every file.
    factories.make_course(slug="ander")
    return course, accreditations


def outputs(course, accreditations) -> dict[str, bytes]:
    files = {}
    periods = {"": (None, None), "-zomer": (dt.date(2026, 3, 29), dt.date(2026, 6, 30))}
    for suffix, (since, until) in periods.items():
        completions = completions_for_export(course, since, until)
        files[f"afronding{suffix}.csv"] = "".join(
            export_lines(completions, "csv", chunk_size=3)
        ).encode()
        for actor in ("account", "email", "big"):
            lines = export_lines(completions, FORMATS[1], actor, chunk_size=3)
            files[f"afronding{suffix}-{actor}.jsonl"] = "".join(lines).encode()
        for name, accreditation in accreditations.items():
            for reported in (False, True):
                key = f"{name}{suffix}{'-alle' if reported else ''}"
                rows = list(
                    attendance_rows(
                        accreditation, since, until, include_reported=reported, chunk_size=3
                    )
                )
                files[f"presentie-{key}.csv"] = b"".join(presence_csv_chunks(rows, 2))
                files[f"blokkade-{key}.csv"] = b"".join(blocked_csv_chunks(rows, 2))
                files[f"pe-{key}.xml"] = b"".join(pe_online_xml_chunks(accreditation, rows, 2))
    return files


def test_every_export_writes_the_same_bytes_as_before(edge_cases, settings):
    settings.PE_ONLINE_USER_ID = "4711"
    settings.XAPI_ACTOR_KEY = "vaste-sleutel-voor-de-test"
    settings.SITE_URL = "https://spreekkamer.example"
    files = outputs(*edge_cases)
    if os.environ.get("REWRITE_EXPORT_BYTES"):
        FILES.mkdir(exist_ok=True)
        for old in FILES.iterdir():
            old.unlink()
        for name, data in files.items():
            (FILES / name).write_bytes(data)
    expected = {path.name: path.read_bytes() for path in FILES.iterdir()}
    assert sorted(files) == sorted(expected)
    for name, data in files.items():
        assert data == expected[name], name
    # The fixture reaches what it is meant to reach.
    blocked = expected["blokkade-big-alle.csv"].decode()
    for reason in (
        "revoked",
        "account_deleted",
        "profession_not_eligible",
        "no_number",
        "invalid_number",
        "unconfirmed_number",
        "outside_validity",
        "score_too_low",
        "rejected_by_pe_online",
    ):
        assert f";{reason};" in blocked, reason
    assert ";not_first_attempt;" in expected["blokkade-vvn.csv"].decode()
    assert expected["presentie-vvn.csv"].count(b"\r\n") >= 2
    assert (
        expected["presentie-big-alle.csv"].count(b"\r\n")
        == expected["presentie-big.csv"].count(b"\r\n") + 1
    )
    assert 'Twee\nregels",' in expected["afronding.csv"].decode()
