"""Models of accreditation records: bodies, LRSs and the xAPI outbox; register accreditations."""

from .accreditation import (  # noqa: F401
    AttendanceReport,
    BlockReason,
    CompletionVerdict,
    CourseAccreditation,
    PeOnlineSubmission,
    PeOnlineSubmissionRow,
)
from .live import EditionAccreditation, EditionAttendanceReport  # noqa: F401
from .records import (  # noqa: F401
    AccreditationBody,
    LearningRecordStore,
    StatementOutbox,
    XapiEvent,
    XapiStatement,
)
