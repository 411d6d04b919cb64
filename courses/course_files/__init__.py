"""Course content as code: YAML course, persona, glossary and track files in and out.

`import_content(paths, publish=False)` validates and writes (atomically), `check_files(paths)`
only validates, `export_version(version, path)` writes a course file back. The format is
described in docs/course-format.md and courses/schemas/course-file.schema.json.
"""

from .errors import ContentError, ContentFilesInvalid
from .exporter import export_version, version_to_dict
from .importer import FileResult, check_files, import_content, version_plan

__all__ = [
    "ContentError",
    "ContentFilesInvalid",
    "FileResult",
    "check_files",
    "export_version",
    "import_content",
    "version_plan",
    "version_to_dict",
]
