"""Secrets stored encrypted at rest (Fernet: AES-128-CBC with an HMAC), keyed from the environment.

FIELD_ENCRYPTION_KEY holds one or more Fernet keys, comma-separated: the first encrypts, all of
them decrypt, so a key is rotated by putting the new one first and re-saving the rows. Without
it, lms/settings.py derives a key from SECRET_KEY (fine on a laptop; set it in production).
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def fernet() -> MultiFernet:
    keys = [k.strip() for k in settings.FIELD_ENCRYPTION_KEY.split(",") if k.strip()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes), comma-separated"
        ) from exc


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted: is FIELD_ENCRYPTION_KEY the key it was written "
            "with (or still listed after it)?"
        ) from exc


class EncryptedTextField(models.TextField):
    """Text the Python side reads and writes in plain, stored as a Fernet token. Not searchable."""

    def from_db_value(self, value, expression, connection):
        return value if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value is None else encrypt(value)
