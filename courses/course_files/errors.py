"""Errors found in content files: each names the file, the path inside it, the line, the problem."""

from __future__ import annotations

from dataclasses import dataclass


def format_path(path) -> str:
    """`("modules", 0, "lessons", 2, "key")` -> `modules[0].lessons[2].key`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass(frozen=True)
class ContentError:
    file: str
    path: str
    line: int | None
    message: str

    def __str__(self):
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.path:
            where += f": {self.path}"
        return f"{where}: {self.message}"


class ContentFilesInvalid(Exception):
    """Raised when any file of an import is invalid; nothing has been written."""

    def __init__(self, errors: list[ContentError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
