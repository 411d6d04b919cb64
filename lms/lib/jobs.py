"""What a background job's page polls for (static/js/job_status.js).

A job is any row with `status`, `get_status_display()`, `progress` (0–100) and `is_finished`:
a course import (courses) or a package export (scorm_export).
"""

from __future__ import annotations

from typing import Any


def status_payload(job: Any, **extra: Any) -> dict[str, Any]:
    """The job's status as its page's poll reads it, plus the page's own `extra` fields."""
    return {
        "status": job.status,
        "label": str(job.get_status_display()),
        "progress": job.progress,
        "finished": job.is_finished,
        **extra,
    }
