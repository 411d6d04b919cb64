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
        ("12345678901", "12345678901"),
        ("123 456 789 01", "12345678901"),
        ("12.34.56.789.01", "12345678901"),
    ],
)
def test_it_normalises_big_numbers_to_eleven_ascii_digits(raw, expected):
    assert normalise_register_number(raw, "big") == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("123456789", "length"),
        ("12345678", "length"),
        ("123456789012", "length"),
        ("12345678a01", "characters"),
        ("١٢٣٤٥٦٧٨٩٠١", "characters"),
        ("1234567890", "confirm_leading_zero"),
    ],
)
def test_it_refuses_invalid_big_numbers(raw, reason):
    with pytest.raises(InvalidRegisterNumber) as excinfo:
        normalise_register_number(raw, "big")
    assert excinfo.value.reason == reason


def test_it_restores_a_leading_zero_only_when_confirmed():
    assert normalise_register_number("1234567890", "big", confirm_leading_zero=True) == (
        "01234567890"
    )


@pytest.mark.parametrize("raw", ["", "12345678", "123456789012", "12345678a", "abc"])
def test_it_refuses_invalid_register_numbers(raw):
    with pytest.raises(InvalidRegisterNumber):
        normalise_register_number(raw)


def test_it_turns_plain_text_with_blank_lines_into_paragraphs():
    from lms.lib.html import text_to_html

    text = "Eerste alinea\nmet een regel.\n\n\nTweede, <em>jonger</em> dan 18 & <16\r\n"
    assert sanitise_html(text_to_html(text)) == (
        "<p>Eerste alinea<br>met een regel.</p><p>Tweede, <em>jonger</em> dan 18 &amp; &lt;16</p>"
    )
    # The editor's HTML is left for the sanitiser.
    assert text_to_html("<p>Al <strong>opgemaakt</strong></p>") == (
        "<p>Al <strong>opgemaakt</strong></p>"
    )
    assert text_to_html("   ") == ""
