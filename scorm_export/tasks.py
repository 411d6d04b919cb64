"""Celery tasks of the export area."""

from __future__ import annotations

import logging
import tempfile

from celery import shared_task
from django.core.files import File
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import PackageExport
from .packaging.builder import PackageError, builder_for

logger = logging.getLogger(__name__)


@shared_task
def build_package(export_id: int) -> str:
    """Build the package of PackageExport `export_id`, updating its progress (0–100) as it goes.

    Writes the zip to the export's `file` and marks it done, or marks it failed with a message for
    the author. Returns the final status. A finished export is left alone, so a redelivered task is
    harmless.
    """
    export = PackageExport.objects.select_related("version__course").get(pk=export_id)
    if export.is_finished:
        return export.status
    export.status = PackageExport.Status.RUNNING
    export.started_at = timezone.now()
    export.progress = 0
    export.save(update_fields=["status", "started_at", "progress"])

    last = {"progress": 0}

    def report(percent: int) -> None:
        # One UPDATE per step the status page can show; the builder reports only a handful of steps
        # plus one per media file.
        if percent > last["progress"]:
            last["progress"] = percent
            PackageExport.objects.filter(pk=export_id).update(progress=min(percent, 99))

    try:
        # A temporary file keeps large courses out of memory while the zip is written.
        with tempfile.TemporaryFile() as fh:
            builder_for(export.standard, export.version, progress=report).build(fh)
            fh.seek(0)
            export.file.save(export.download_name, File(fh), save=False)
    except PackageError as exc:
        return _fail(export, str(exc))
    except Exception:
        logger.exception("Building package export %s failed", export_id)
        return _fail(
            export,
            _(
                "Het pakket kon niet worden gemaakt door een interne fout. "
                "Probeer het later opnieuw."
            ),
        )
    export.status = PackageExport.Status.DONE
    export.progress = 100
    export.finished_at = timezone.now()
    export.error = ""
    export.save(update_fields=["file", "status", "progress", "finished_at", "error"])
    return export.status


def _fail(export: PackageExport, message: str) -> str:
    export.status = PackageExport.Status.FAILED
    export.error = message
    export.finished_at = timezone.now()
    export.save(update_fields=["status", "error", "finished_at"])
    return export.status
