"""Dutch professional register numbers (BIG, V&VN, KABIZ, POH-GGZ).

Registers accept 9 to 11 digits and pad to 11 with leading zeros. No checksum is
published for these numbers, so none is invented: only shape is validated.
"""

import re

REGISTER_NUMBER_LENGTH = 11
_DIGITS = re.compile(r"^\d{9,11}$")
_SEPARATORS = re.compile(r"[\s.\-]")


class InvalidRegisterNumber(ValueError):
    """Raised with a learner-facing reason when a number cannot be a register number."""


def normalise_register_number(raw: str) -> str:
    """Return the 11-digit form of `raw` (spaces, dots and dashes ignored, left-padded with zeros).

    Raises InvalidRegisterNumber when what remains is not 9 to 11 digits.
    """
    cleaned = _SEPARATORS.sub("", raw or "")
    if not cleaned:
        raise InvalidRegisterNumber("empty")
    if not cleaned.isdigit():
        raise InvalidRegisterNumber("digits-only")
    if not _DIGITS.match(cleaned):
        raise InvalidRegisterNumber("length")
    return cleaned.zfill(REGISTER_NUMBER_LENGTH)
