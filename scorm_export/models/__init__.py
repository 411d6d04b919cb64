"""Models of exports and accreditation records; each area in its own module, imported here."""

from .accreditation import AttendanceReport, BlockReason, CourseAccreditation  # noqa: F401
from .packages import PackageExport  # noqa: F401
from .records import AccreditationBody, LearningRecordStore, StatementOutbox  # noqa: F401
