import pytest

from accounts.registers import InvalidRegisterNumber, normalise_register_number
from lms.lib.html import sanitise_html


def test_it_strips_scripts_handlers_and_javascript_urls():
    dirty = '<p onclick="x()">Hoi<script>alert(1)</script><a href="javascript:alert(1)">x</a></p>'
    clean = sanitise_html(dirty)
    assert "script" not in clean and "onclick" not in clean and "javascript" not in clean
    assert clean.startswith("<p>Hoi")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("123456789", "00123456789"),
        ("1234567890", "01234567890"),
        ("12345678901", "12345678901"),
        ("123 456 789", "00123456789"),
        ("12.34.56.789", "00123456789"),
    ],
)
def test_it_normalises_register_numbers_to_eleven_digits(raw, expected):
    assert normalise_register_number(raw) == expected


@pytest.mark.parametrize("raw", ["", "12345678", "123456789012", "12345678a", "abc"])
def test_it_refuses_invalid_register_numbers(raw):
    with pytest.raises(InvalidRegisterNumber):
        normalise_register_number(raw)
