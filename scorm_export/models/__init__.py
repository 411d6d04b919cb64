"""Models of exports and accreditation records; each area in its own module, imported here."""

from .packages import PackageExport  # noqa: F401
