"""Models of exports and accreditation records; each area in its own module, imported here."""

from .accreditation import AttendanceReport, BlockReason, CourseAccreditation  # noqa: F401
