"""Writing zip archives safely and deterministically (framework-free).

Safe: every member name is a relative POSIX path without `..`, empty or absolute parts, so the
archive cannot write outside the folder it is unpacked into (zip-slip). Deterministic: the same
members give the same bytes, because entries are sorted by name and carry a fixed timestamp, fixed
permissions and a fixed compression level — a rebuilt package of an unchanged course can be compared
byte for byte.
"""

from __future__ import annotations

import posixpath
import shutil
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import BinaryIO

# The earliest date a zip entry can carry; any fixed value would do, this one is conventional.
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
# rw-r--r-- regular file, in the upper 16 bits of external_attr as Unix tools expect.
FILE_MODE = 0o100644
COMPRESS_LEVEL = 9


class UnsafePath(ValueError):
    """A member name that could escape the extraction folder, or is not a plain relative path."""


def safe_member_name(name: str) -> str:
    """Return `name` as a normalised relative POSIX path, or raise UnsafePath.

    Refuses absolute paths, drive letters, backslashes, `..`, empty and `.` segments, and control
    characters.
    """
    if not isinstance(name, str) or not name:
        raise UnsafePath("empty member name")
    if "\\" in name or any(ord(ch) < 32 for ch in name):
        raise UnsafePath(f"backslash or control character in {name!r}")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UnsafePath(f"absolute path {name!r}")
    parts = name.split("/")
    if any(part in {"", ".", ".."} for part in parts):
        raise UnsafePath(f"empty, '.' or '..' segment in {name!r}")
    normalised = posixpath.normpath(name)
    if normalised != name:
        raise UnsafePath(f"not a normalised path: {name!r}")
    return name


Member = bytes | Callable[[], BinaryIO]


def write_deterministic_zip(target: str | Path | BinaryIO, members: Mapping[str, Member]) -> None:
    """Write `members` to `target` as a deterministic zip.

    A member is bytes, or a callable that opens a binary file: such members are streamed into the
    archive one at a time (always as ZIP64 entries, so their headers do not depend on their size),
    which keeps large media out of memory. Raises UnsafePath before writing anything if one name is
    unsafe; duplicate names cannot occur because `members` is a mapping.
    """
    names = sorted(safe_member_name(name) for name in members)
    with zipfile.ZipFile(
        target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
    ) as zf:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = FILE_MODE << 16
            info.create_system = 3  # Unix, so the permissions above are read as such everywhere
            content = members[name]
            if isinstance(content, bytes):
                zf.writestr(info, content, compresslevel=COMPRESS_LEVEL)
                continue
            # ZipFile.write() sets this private attribute too; open(..., "w") has no level argument.
            info._compresslevel = COMPRESS_LEVEL  # type: ignore[attr-defined]
            with content() as source, zf.open(info, "w", force_zip64=True) as dest:
                shutil.copyfileobj(source, dest, 1024 * 1024)


def check_zip_members(names: Iterable[str]) -> list[str]:
    """Return the unsafe member names of an existing archive (empty when all are safe)."""
    unsafe = []
    for name in names:
        candidate = name[:-1] if name.endswith("/") else name  # folder entries end in a slash
        try:
            safe_member_name(candidate)
        except UnsafePath:
            unsafe.append(name)
    return unsafe
