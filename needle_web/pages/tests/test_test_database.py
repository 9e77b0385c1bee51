"""The web tests run on the database they are told to (root conftest.py): SQLite by
default, PostgreSQL when NEEDLE_TEST_WEB_DATABASE_URL names one (as .ci/run does)."""

from __future__ import annotations

import os

import pytest
from django.db import connection


@pytest.mark.django_db
def test_the_web_tests_use_the_database_asked_for() -> None:
    wanted = "postgresql" if os.environ.get("NEEDLE_TEST_WEB_DATABASE_URL") else "sqlite"
    assert connection.vendor == wanted
    with connection.cursor() as cursor:  # a real round trip, not just the settings
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
