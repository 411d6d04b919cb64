"""Safe reading of uploaded zip archives: no path escapes, no links, no zip bombs.

Framework-free. `safe_extract()` checks the whole archive before writing a single file,
so a refused archive leaves nothing behind.
"""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


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


def _check_name(name: str) -> PurePosixPath:
    if "\\" in name:
        raise UnsafeArchive(f"{name!r}: backslashes are not allowed in paths", "backslash", name)
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchive(f"{name!r}: absolute paths are not allowed", "absolute", name)
    if any(part == ".." for part in path.parts):
        raise UnsafeArchive(f"{name!r}: '..' in a path is not allowed", "parent", name)
    return path


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
