"""Participant evaluations: recording one, and the aggregates authors and committees read.

The free text is only ever returned without a name or account (aggregates per version).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.utils.translation import gettext as _

from .models import CourseEvaluation, CourseVersion, Enrollment

SCORE_FIELDS = ("relevance", "quality", "independence")


def record_evaluation(enrollment: Enrollment, data: dict) -> CourseEvaluation:
    """Store the evaluation of a completed enrolment once; returns it (the existing one if the
    learner submitted twice). Locks the enrolment so a double submit writes one row."""
    with transaction.atomic():
        enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        existing = CourseEvaluation.objects.filter(enrollment=enrollment).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                return CourseEvaluation.objects.create(
                    enrollment=enrollment, version_id=enrollment.version_id, **data
                )
        except IntegrityError:
            return CourseEvaluation.objects.get(enrollment=enrollment)


@dataclass
class VersionSummary:
    version: CourseVersion
    count: int
    relevance: float | None
    quality: float | None
    independence: float | None
    minutes: float | None
    distribution: dict  # field -> [count of 1, ..., count of 5]
    comments: list[str]

    @property
    def rows(self) -> list[tuple[str, float | None, list[int], list[tuple[int, int, int, int]]]]:
        """(label, mean, counts, bars) per question; a bar is (score, x, y, height) in a
        160×40 chart scaled to the largest count."""
        labels = {
            "relevance": _("Relevantie voor de praktijk"),
            "quality": _("Kwaliteit"),
            "independence": _("Onafhankelijk van commerciële belangen"),
        }
        rows = []
        for name in SCORE_FIELDS:
            counts = self.distribution.get(name, [0] * 5)
            top = max(counts) or 1
            bars = []
            for i, n in enumerate(counts):
                height = round(36 * n / top)
                bars.append((i + 1, i * 32, 40 - height, height))
            rows.append((str(labels[name]), getattr(self, name), counts, bars))
        return rows


def evaluation_summaries(course) -> list[VersionSummary]:
    """Per version of `course` (newest first): count, means, the 1–5 distribution per question
    and the free-text comments without names. Three queries."""
    versions = {v.pk: v for v in CourseVersion.objects.filter(course=course).order_by("-number")}
    means = {
        row["version_id"]: row
        for row in CourseEvaluation.objects.filter(version__course=course)
        .values("version_id")
        .annotate(
            count=Count("pk"),
            relevance=Avg("relevance"),
            quality=Avg("quality"),
            independence=Avg("independence"),
            minutes=Avg("minutes_spent"),
        )
    }
    distribution: dict[int, dict[str, list[int]]] = {}
    comments: dict[int, list[str]] = {}
    for row in CourseEvaluation.objects.filter(version__course=course).values(
        "version_id", *SCORE_FIELDS, "comment"
    ):
        dist = distribution.setdefault(row["version_id"], {f: [0] * 5 for f in SCORE_FIELDS})
        for name in SCORE_FIELDS:
            dist[name][row[name] - 1] += 1
        if row["comment"].strip():
            comments.setdefault(row["version_id"], []).append(row["comment"].strip())
    summaries = []
    for pk, version in versions.items():
        row = means.get(pk)
        if row is None:
            continue
        summaries.append(
            VersionSummary(
                version=version,
                count=row["count"],
                relevance=row["relevance"],
                quality=row["quality"],
                independence=row["independence"],
                minutes=row["minutes"],
                distribution=distribution.get(pk, {}),
                comments=sorted(comments.get(pk, [])),  # sorted: no order that hints at who
            )
        )
    return summaries


def evaluation_csv(course) -> str:
    """The aggregates as CSV (UTF-8 with BOM, ;-separated): one row per version and question."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        ["versie", "vraag", "aantal", "gemiddelde", "1", "2", "3", "4", "5", "minuten_gemiddeld"]
    )
    for summary in evaluation_summaries(course):
        for name in SCORE_FIELDS:
            mean = getattr(summary, name)
            writer.writerow(
                [
                    summary.version.number,
                    name,
                    summary.count,
                    f"{mean:.2f}".replace(".", ",") if mean is not None else "",
                    *summary.distribution.get(name, [0] * 5),
                    f"{summary.minutes:.0f}" if summary.minutes is not None else "",
                ]
            )
    return out.getvalue()
