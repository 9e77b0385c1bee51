"""The accounts app."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Accounts (email is the login name), roles, invitations, two-factor sign-in."""

    name = "needle_web.accounts"
    label = "accounts"
    verbose_name = "Accounts"
