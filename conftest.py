"""Test settings for the whole repository: the web apps' tests can run on PostgreSQL.

``NEEDLE_TEST_WEB_DATABASE_URL`` (an SQLAlchemy URL such as
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) points only Django's test database
at that server. ``DATABASE_URL`` cannot be used for that in tests: it is also the core's
metadata database, and each initiative home the tests create needs its own (decision 0006).
.ci/run runs the web tests once more this way.
"""

from __future__ import annotations

import contextlib
import os

import pytest


@pytest.fixture(scope="session")
def web_test_database() -> None:
    url = os.environ.get("NEEDLE_TEST_WEB_DATABASE_URL")
    if not url:
        return
    from django.conf import settings
    from django.db import connections

    from needle_web.config import databases

    # Django has already opened its connection handler on the default settings: close it,
    # point the settings at the server and let the handler read them again.
    connections.close_all()
    settings.DATABASES = databases(settings.HOME, {"DATABASE_URL": url})
    connections.__dict__.pop("settings", None)  # a cached_property
    connections._settings = None
    for alias in list(settings.DATABASES):
        with contextlib.suppress(AttributeError):
            del connections[alias]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    web_test_database: None, django_db_modify_db_settings_parallel_suffix: None
) -> None:
    """pytest-django's hook, with the server chosen before each xdist worker's suffix."""
