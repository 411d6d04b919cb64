"""Zip archives, safely: the one place for member-name rules, for writing and for reading
(framework-free).

Writing (`write_deterministic_zip`), safe and deterministic. Safe: every member name is a
relative POSIX path without `..`, empty or absolute parts, so the archive cannot write outside the
folder it is unpacked into (zip-slip). Deterministic: the same members give the same bytes,
because entries are sorted by name and carry a fixed timestamp, fixed permissions and a fixed
compression level — a rebuilt package of an unchanged course can be compared byte for byte.

Reading an uploaded archive (`check_archive`, `safe_extract`): the same member-name rule
(`safe_member_name`), no links, no encrypted members, no zip bombs; the whole archive is checked
before a single file is written, so a refused archive leaves nothing behind.
"""

from __future__ import annotations

import posixpath
import shutil
import stat
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

# The earliest date a zip entry can carry; any fixed value would do, this one is conventional.
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
# rw-r--r-- regular file, in the upper 16 bits of external_attr as Unix tools expect.
FILE_MODE = 0o100644
COMPRESS_LEVEL = 9


class UnsafePath(ValueError):
    """A member name that could escape the extraction folder, or is not a plain relative path.

    `code` names the rule: "backslash", "absolute", "parent" ('..') or "name" (any other)."""

    def __init__(self, message: str, code: str = "name"):
        super().__init__(message)
        self.code = code


def safe_member_name(name: str) -> str:
    """Return `name` as a normalised relative POSIX path, or raise UnsafePath.

    Refuses absolute paths, drive letters, backslashes, `..`, empty and `.` segments, and control
    characters.
    """
    if not isinstance(name, str) or not name:
        raise UnsafePath("empty member name")
    if "\\" in name:
        raise UnsafePath(f"backslash in {name!r}", "backslash")
    if any(ord(ch) < 32 for ch in name):
        raise UnsafePath(f"control character in {name!r}")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UnsafePath(f"absolute path {name!r}", "absolute")
    parts = name.split("/")
    if ".." in parts:
        raise UnsafePath(f"'..' segment in {name!r}", "parent")
    if any(part in {"", "."} for part in parts):
        raise UnsafePath(f"empty or '.' segment in {name!r}")
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


# --- Reading uploaded archives ----------------------------------------------------------------


class UnsafeArchive(ValueError):
    """The archive was refused; `str(exc)` says why (in English, for logs), naming the member.

    `code` names the rule for callers that explain it in the user's language; `member` is the
    offending file name, if any.
    """

    def __init__(self, message: str, code: str = "", member: str = ""):
        super().__init__(message)
        self.code = code
        self.member = member


@dataclass(frozen=True)
class Limits:
    max_members: int = 2000
    max_total_bytes: int = 200 * 1024 * 1024
    max_member_bytes: int = 100 * 1024 * 1024
    # Deflate reaches ~1000:1 only on pathological input; real course media compress far less.
    max_ratio: float = 100.0


def _check_name(name: str) -> None:
    """`safe_member_name()` for a member of an archive being read (folders end in a slash)."""
    try:
        safe_member_name(name[:-1] if name.endswith("/") else name)
    except UnsafePath as exc:
        raise UnsafeArchive(str(exc), exc.code, name) from None


def check_archive(archive: zipfile.ZipFile, limits: Limits = Limits()) -> list[zipfile.ZipInfo]:
    """Return the archive's file members after checking every one; raise UnsafeArchive otherwise."""
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise UnsafeArchive(f"too many files ({len(infos)} > {limits.max_members})", "count")
    total = 0
    files = []
    for info in infos:
        _check_name(info.filename)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UnsafeArchive(
                f"{info.filename!r}: symbolic links are not allowed", "link", info.filename
            )
        if info.flag_bits & 0x1:
            raise UnsafeArchive(
                f"{info.filename!r}: encrypted files are not allowed", "encrypted", info.filename
            )
        if info.is_dir():
            continue
        if info.file_size > limits.max_member_bytes:
            raise UnsafeArchive(
                f"{info.filename!r}: file too large ({info.file_size} bytes)", "size", info.filename
            )
        if info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
            raise UnsafeArchive(
                f"{info.filename!r}: compression ratio too high (zip bomb?)", "bomb", info.filename
            )
        total += info.file_size
        if total > limits.max_total_bytes:
            raise UnsafeArchive(
                f"archive too large when unpacked (> {limits.max_total_bytes} bytes)", "total"
            )
        files.append(info)
    _check_no_file_is_a_folder(files)
    return files


def _check_no_file_is_a_folder(files: list[zipfile.ZipInfo]) -> None:
    """Refuse `a` next to `a/b.yaml`, and one name twice: one path cannot be a file and a
    folder, and extracting such an archive would fail half-way with nothing said about why."""
    names = {info.filename.rstrip("/") for info in files}
    seen: set[str] = set()
    for info in files:
        name = info.filename
        if name in seen:
            raise UnsafeArchive(f"{name!r}: the archive holds it twice", "conflict", name)
        seen.add(name)
        for parent in PurePosixPath(name).parents:
            if str(parent) in names:
                raise UnsafeArchive(
                    f"{str(parent)!r}: both a file and a folder", "conflict", str(parent)
                )


def safe_extract(source, target: Path, limits: Limits = Limits()) -> list[Path]:
    """Extract a zip (path or file object) into `target` after checking it; return written paths.

    Sizes are enforced again while reading, since headers can lie about them.
    """
    target = Path(target).resolve()
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile as exc:
        raise UnsafeArchive("not a valid zip file", "invalid") from exc
    written = []
    with archive:
        members = check_archive(archive, limits)
        for info in members:
            destination = (target / info.filename).resolve()
            if target not in destination.parents:
                raise UnsafeArchive(
                    f"{info.filename!r}: path escapes the target folder", "parent", info.filename
                )
            destination.parent.mkdir(parents=True, exist_ok=True)
            remaining = min(info.file_size, limits.max_member_bytes)
            with archive.open(info) as src, open(destination, "wb") as dst:
                while chunk := src.read(64 * 1024):
                    remaining -= len(chunk)
                    if remaining < 0:
                        raise UnsafeArchive(
                            f"{info.filename!r}: larger than its header says", "bomb", info.filename
                        )
                    dst.write(chunk)
            written.append(destination)
    return written
