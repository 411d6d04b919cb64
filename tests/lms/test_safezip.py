import io
import stat
import zipfile

import pytest

from lms.lib.safezip import (
    FIXED_DATE_TIME,
    UnsafePath,
    check_zip_members,
    safe_member_name,
    write_deterministic_zip,
)


@pytest.mark.parametrize(
    "name",
    [
        "/etc/passwd",
        "../evil.txt",
        "a/../../b",
        "a//b",
        "./a",
        "a/./b",
        "C:/x",
        "a\\b",
        "",
        "a/",
        "a\nb",
    ],
)
def test_it_refuses_unsafe_member_names(name):
    with pytest.raises(UnsafePath):
        safe_member_name(name)


def test_it_accepts_plain_relative_names():
    assert safe_member_name("assets/runtime.js") == "assets/runtime.js"
    assert safe_member_name("imsmanifest.xml") == "imsmanifest.xml"


def test_it_writes_nothing_when_one_name_is_unsafe(tmp_path):
    target = tmp_path / "out.zip"
    with pytest.raises(UnsafePath):
        write_deterministic_zip(target, {"ok.txt": b"1", "../escape.txt": b"2"})
    assert not target.exists() or zipfile.ZipFile(target).namelist() == []


def test_it_gives_the_same_bytes_for_the_same_members_in_any_order():
    first, second = io.BytesIO(), io.BytesIO()
    write_deterministic_zip(first, {"b.txt": b"bee", "a/c.txt": b"see", "a.txt": b"a"})
    write_deterministic_zip(second, {"a.txt": b"a", "b.txt": b"bee", "a/c.txt": b"see"})
    assert first.getvalue() == second.getvalue()
    other = io.BytesIO()
    write_deterministic_zip(other, {"a.txt": b"A", "b.txt": b"bee", "a/c.txt": b"see"})
    assert other.getvalue() != first.getvalue()


def test_it_sorts_entries_and_fixes_timestamps_and_permissions():
    buffer = io.BytesIO()
    write_deterministic_zip(buffer, {"z.txt": b"z", "a.txt": b"a", "m/n.txt": b"n"})
    with zipfile.ZipFile(buffer) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["a.txt", "m/n.txt", "z.txt"]
        for info in infos:
            assert info.date_time == FIXED_DATE_TIME
            assert stat.S_IMODE(info.external_attr >> 16) == 0o644
            assert info.compress_type == zipfile.ZIP_DEFLATED
        assert zf.read("m/n.txt") == b"n"


def test_it_reports_and_refuses_unsafe_members_of_a_foreign_archive(tmp_path):
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("good.txt", b"ok")
        zf.writestr("../../outside.txt", b"bad")
    assert check_zip_members(zipfile.ZipFile(evil).namelist()) == ["../../outside.txt"]


def test_it_streams_members_given_as_openers_deterministically():
    opened = []

    def opener(data):
        def open_member():
            opened.append(data)
            return io.BytesIO(data)

        return open_member

    big = bytes(range(256)) * 4096  # 1 MiB, streamed in chunks
    first, second = io.BytesIO(), io.BytesIO()
    write_deterministic_zip(first, {"media/big.bin": opener(big), "index.html": b"<p>"})
    write_deterministic_zip(second, {"index.html": b"<p>", "media/big.bin": opener(big)})
    assert first.getvalue() == second.getvalue()
    assert opened == [big, big]  # opened only while writing, once per archive
    with zipfile.ZipFile(first) as zf:
        assert zf.read("media/big.bin") == big
        info = zf.getinfo("media/big.bin")
        assert info.date_time == FIXED_DATE_TIME
        assert stat.S_IMODE(info.external_attr >> 16) == 0o644
