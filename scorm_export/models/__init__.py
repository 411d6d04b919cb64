"""Models of exports and accreditation records; each area in its own module, imported here."""

from .records import AccreditationBody, LearningRecordStore, StatementOutbox

__all__ = ["AccreditationBody", "LearningRecordStore", "StatementOutbox"]
