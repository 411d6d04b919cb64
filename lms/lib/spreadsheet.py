"""The one guard against spreadsheet formulas in exported files ("CSV injection").

Spreadsheet programs run a cell that starts with one of FORMULA_STARTS as a formula; learners type
their own names, so every CSV the engine writes passes its cells through `csv_safe()`, which puts
a leading apostrophe before such a value (OWASP's advice).
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """Return `value` with an apostrophe in front when it is a string a spreadsheet would run as
    a formula; any other value unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_safe_row(values) -> list:
    """`csv_safe()` of every value of a row."""
    return [csv_safe(value) for value in values]
