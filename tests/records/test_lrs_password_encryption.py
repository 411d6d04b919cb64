"""LRS passwords are encrypted at rest with FIELD_ENCRYPTION_KEY (lms/encryption.py)."""

import importlib

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from records.models import LearningRecordStore
from tests.lrs_support import LRS_PASSWORD

pytestmark = pytest.mark.django_db

migration = importlib.import_module("records.migrations.0003_lrs_password_encrypted")


def stored_password(pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM records_learningrecordstore WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_it_stores_the_password_encrypted_and_reads_it_in_plain(lrs, settings):
    raw = stored_password(lrs.pk)
    assert LRS_PASSWORD not in raw
    key = settings.FIELD_ENCRYPTION_KEY.split(",")[0]
    assert Fernet(key).decrypt(raw.encode()).decode() == LRS_PASSWORD
    assert LearningRecordStore.objects.get(pk=lrs.pk).password == LRS_PASSWORD


def test_it_needs_the_key_it_was_written_with_and_rotates_keys(lrs, settings):
    old = settings.FIELD_ENCRYPTION_KEY
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEY"):
        LearningRecordStore.objects.get(pk=lrs.pk)
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = f"{new},{old}"
    store = LearningRecordStore.objects.get(pk=lrs.pk)
    assert store.password == LRS_PASSWORD
    store.save()  # re-saved with the new key
    settings.FIELD_ENCRYPTION_KEY = new
    assert LearningRecordStore.objects.get(pk=lrs.pk).password == LRS_PASSWORD


def test_it_encrypts_passwords_stored_in_plain_before_the_migration(lrs):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE records_learningrecordstore SET password = %s WHERE id = %s",
            ["in-platte-tekst", lrs.pk],
        )
    with connection.schema_editor() as editor:
        migration.encrypt_stored_passwords(None, editor)
    assert "in-platte-tekst" not in stored_password(lrs.pk)
    assert LearningRecordStore.objects.get(pk=lrs.pk).password == "in-platte-tekst"
