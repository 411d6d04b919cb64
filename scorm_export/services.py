"""Workflows of the export area: requesting a package export (built later by a Celery task)."""

from __future__ import annotations

from django.db import transaction

from .models import PackageExport


def request_package_export(user, version, standard: str) -> PackageExport:
    """Queue a build of the `standard` package of `version` for `user`; returns the new
    PackageExport.

    Writes one PackageExport row; the build task is sent only after the transaction commits, so the
    worker always finds the row.
    """
    from . import tasks  # tasks import the builder; keep services importable without it

    with transaction.atomic():
        export = PackageExport.objects.create(version=version, standard=standard, requested_by=user)
        transaction.on_commit(lambda: tasks.build_package.delay(export.pk))
    return export
