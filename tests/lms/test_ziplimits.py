import io
import zipfile

import pytest

from lms.lib.safezip import Limits, UnsafeArchive, safe_extract


def make_zip(entries, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def test_it_extracts_a_normal_archive(tmp_path):
    written = safe_extract(make_zip([("course.yaml", "slug: x"), ("media/a.txt", "hoi")]), tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == [
        "course.yaml",
        "media/a.txt",
    ]
    assert (tmp_path / "media" / "a.txt").read_text() == "hoi"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.txt", "'..'"),
        ("media/../../evil.txt", "'..'"),
        ("/etc/evil", "absolute"),
        ("C:/evil", "absolute"),
        ("media\\..\\evil", "backslash"),
    ],
)
def test_it_refuses_zip_slip_paths_and_writes_nothing(tmp_path, name, reason):
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(UnsafeArchive, match=reason):
        safe_extract(make_zip([("ok.txt", "fine"), (name, "evil")]), target)
    assert list(target.iterdir()) == []
    assert not (tmp_path / "evil.txt").exists()


def test_it_refuses_a_zip_bomb(tmp_path):
    bomb = make_zip([("zeros.bin", b"\0" * (20 * 1024 * 1024))])
    with pytest.raises(UnsafeArchive, match="ratio"):
        safe_extract(bomb, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_it_refuses_too_many_or_too_large_members(tmp_path):
    with pytest.raises(UnsafeArchive, match="too many"):
        safe_extract(make_zip([(f"f{i}", "x") for i in range(5)]), tmp_path, Limits(max_members=3))
    with pytest.raises(UnsafeArchive, match="too large"):
        safe_extract(
            make_zip([("big", "x" * 2000)], zipfile.ZIP_STORED),
            tmp_path,
            Limits(max_member_bytes=1000),
        )


def test_it_refuses_symlinks_and_garbage(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("link")
        info.external_attr = 0o120777 << 16
        archive.writestr(info, "/etc/passwd")
    buffer.seek(0)
    with pytest.raises(UnsafeArchive, match="symbolic"):
        safe_extract(buffer, tmp_path)
    with pytest.raises(UnsafeArchive, match="not a valid zip"):
        safe_extract(io.BytesIO(b"not a zip at all"), tmp_path)


@pytest.mark.parametrize(
    "entries",
    [[("a", "x"), ("a/b.yaml", "slug: x")], [("a/b.yaml", "slug: x"), ("a", "x")]],
)
def test_it_refuses_a_path_that_is_a_file_and_a_folder_and_writes_nothing(tmp_path, entries):
    with pytest.raises(UnsafeArchive) as caught:
        safe_extract(make_zip(entries), tmp_path)
    assert caught.value.code == "conflict"
    assert list(tmp_path.iterdir()) == []
