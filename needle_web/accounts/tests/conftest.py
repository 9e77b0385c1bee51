"""Fixtures for the accounts tests: the web apps' shared ones."""

from needle_web.accounts.tests.fixtures import admin, admin_client, client, fast_hashing

__all__ = ["admin", "admin_client", "client", "fast_hashing"]
