"""Models of accreditation records: bodies, LRSs and the xAPI outbox; register accreditations."""

from .accreditation import AttendanceReport, BlockReason, CourseAccreditation  # noqa: F401
from .live import EditionAccreditation, EditionAttendanceReport  # noqa: F401
from .records import AccreditationBody, LearningRecordStore, StatementOutbox  # noqa: F401
