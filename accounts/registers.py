"""The Dutch quality registers as PE-online knows them, and the shape of their numbers.

`REGISTERS` is the one table: per register its PE-online organisation (orgID, from PE-online's
organisation list `org_lijst.pdf`), its number rule and the professions whose points it takes.
Sources and what could not be verified: docs/registers.md. No checksum is published for any of
these numbers, so none is invented: only shape is validated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from lms.lib.typing import StrOrPromise

BIG_NUMBER_LENGTH = 11
# Spaces, dots and dashes people type inside a number; ASCII only, like the digits.
_SEPARATORS = re.compile(r"[ \t.\-]")
_ASCII_DIGITS = re.compile(r"[0-9]+")
_ASCII_CODE = re.compile(r"[0-9A-Za-z]+")


class InvalidRegisterNumber(ValueError):
    """Raised when a number cannot be a number of the register; `reason` names the rule."""

    def __init__(self, reason: str, restored: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.restored = restored


@dataclass(frozen=True)
class NumberRule:
    """What a register number looks like. `lengths` None: the length is not published."""

    description: StrOrPromise  # Dutch, translatable, for messages ("11 cijfers")
    lengths: tuple[int, ...] | None = None
    digits_only: bool = True
    # BIG numbers lose a leading zero in spreadsheets; a 10-digit entry may be restored, but
    # only after the learner confirms (padding more than one zero points at someone else).
    leading_zero_restorable: bool = False


@dataclass(frozen=True)
class RegisterInfo:
    code: str
    pe_org_id: int | None
    pe_org_name: str
    rule: NumberRule | None  # None: "other" register, number passed on as entered
    professions: frozenset[str] | None  # None: every profession (rules unknown)


BIG_RULE = NumberRule(_("11 cijfers"), (BIG_NUMBER_LENGTH,), leading_zero_restorable=True)

# Professions are User.Profession values (strings: this module is imported by the model).
REGISTERS: dict[str, RegisterInfo] = {
    info.code: info
    for info in [
        # org_lijst.pdf: "19 KNMG-GAIA (medisch specialisten) — BIG-nummer (11 cijfers)".
        RegisterInfo("big", 19, "KNMG-GAIA", BIG_RULE, frozenset({"huisarts"})),
        # "52 Verpleegkundigen & Verzorgenden (VSR / KR V&V / RZ) — alle verpleegkundigen
        # hebben een 6-cijferig relatienummer".
        RegisterInfo(
            "vvn",
            52,
            "Verpleegkundigen & Verzorgenden (V&VN Kwaliteitsregister)",
            NumberRule(_("6 cijfers (relatienummer)"), (6,)),
            frozenset({"verpleegkundige", "poh_s"}),
        ),
        # "26 Nederlandse vereniging van praktijkondersteuners NVVPO — registratienummer
        # (3 of 4 cijfers lang)".
        RegisterInfo(
            "nvvpo",
            26,
            "NVVPO",
            NumberRule(_("3 of 4 cijfers"), (3, 4)),
            frozenset({"poh_s"}),
        ),
        # "68 LV POH-GGZ — LV POH-GGZ registratienummer": no length published.
        RegisterInfo(
            "poh_ggz",
            68,
            "LV POH-GGZ",
            NumberRule(_("letters en cijfers"), None, digits_only=False),
            frozenset({"poh_ggz"}),
        ),
        # The Kwaliteitsregister Doktersassistent is kept by KABIZ (nvda.nl); PE-online lists
        # "22 STADAP / KABIZ / KAOF / SANA" with "BIG-nummer (11 cijfers)", which doktersassistenten
        # do not have. The KABIZ number format was not found: accepted as entered (letters and
        # digits), see docs/registers.md.
        RegisterInfo(
            "kabiz",
            22,
            "STADAP / KABIZ / KAOF / SANA",
            NumberRule(_("letters en cijfers"), None, digits_only=False),
            frozenset({"doktersassistent"}),
        ),
        RegisterInfo("other", None, "", None, None),
    ]
}


def register_info(code: str) -> RegisterInfo:
    return REGISTERS[code]


def professions_for(code: str) -> frozenset[str] | None:
    """The professions whose points `code` takes; None means every profession."""
    info = REGISTERS.get(code)
    return frozenset() if info is None else info.professions


def normalise_register_number(
    raw: str, register: str = "big", *, confirm_leading_zero: bool = False
) -> str:
    """Return `raw` as the register receives it (separators removed, never padded silently).

    Raises InvalidRegisterNumber with `reason` "empty", "characters" (anything but ASCII digits,
    or letters where allowed), "length", or "confirm_leading_zero" for a 10-digit BIG number that
    the learner has not confirmed yet (`restored` then holds the 11-digit candidate).
    """
    info = REGISTERS[register]
    if info.rule is None:
        cleaned = (raw or "").strip()
        if not cleaned:
            raise InvalidRegisterNumber("empty")
        return cleaned
    rule = info.rule
    cleaned = _SEPARATORS.sub("", raw or "")
    if not cleaned:
        raise InvalidRegisterNumber("empty")
    # str.isdigit() accepts Arabic-Indic and other digits; PE-online knows only ASCII ones.
    pattern = _ASCII_DIGITS if rule.digits_only else _ASCII_CODE
    if not pattern.fullmatch(cleaned):
        raise InvalidRegisterNumber("characters")
    if rule.lengths is None:
        if len(cleaned) > 20:
            raise InvalidRegisterNumber("length")
        return cleaned
    if len(cleaned) in rule.lengths:
        return cleaned
    if rule.leading_zero_restorable and len(cleaned) == BIG_NUMBER_LENGTH - 1:
        restored = "0" + cleaned
        if confirm_leading_zero:
            return restored
        raise InvalidRegisterNumber("confirm_leading_zero", restored)
    raise InvalidRegisterNumber("length")


def stored_normalised_number(raw: str, register: str) -> str:
    """The number as PE-online receives it, or "" when it does not fit the register's rule (or
    the register is unknown). What `RegisterNumber.normalised` holds, so SQL can read the rule;
    a 10-digit BIG number is not restored here: only the learner may confirm the leading zero."""
    try:
        return normalise_register_number(raw, register)
    except (InvalidRegisterNumber, KeyError):
        return ""


def register_name_key(name: str) -> str:
    """How an "other" register's name is compared: case and surrounding spaces do not count.
    What `RegisterNumber.register_key` holds, so SQL matches numbers the way Python does."""
    return (name or "").strip().casefold()


def is_valid_register_number(value: str, register: str) -> bool:
    """True when the stored `value` already has the register's exact shape."""
    try:
        return normalise_register_number(value, register) == value.strip()
    except InvalidRegisterNumber:
        return False


def register_initials(initials: str, first_name: str) -> str:
    """The initials a quality register and PE-online know a person by (docs/registers.md,
    "voorletters"): as entered, else derived from the first name(s), "Anna Maria" → "A.M."."""
    if initials.strip():
        return initials.strip()
    return "".join(f"{part[0].upper()}." for part in first_name.split() if part)


def register_name(initials: str, first_name: str, surname_prefix: str, last_name: str) -> str:
    """The name as a register knows it, "A.M. de Vries": `register_initials()`, the surname
    prefix and the surname. Every export that names a learner to a register uses this."""
    parts = (register_initials(initials, first_name), surname_prefix.strip(), last_name.strip())
    return " ".join(part for part in parts if part)
