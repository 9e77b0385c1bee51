"""``python -m needle_web create_backbone_admin --email ADDRESS``: the first account.

Every other account comes by invitation from an admin, so the very first admin needs a
door of its own. The password is asked for twice at the terminal, or read from
``NEEDLE_WEB_ADMIN_PASSWORD`` for automated set-ups; it is never a command-line argument,
where it would land in the shell history and the process list.
"""

from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from needle.settings import get_setting
from needle_web.accounts.roles import Role
from needle_web.accounts.services import account_create


class Command(BaseCommand):
    help = "Create a backbone admin account (two-factor set-up follows at first sign-in)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="the admin's email address")
        parser.add_argument("--name", default="", help="the admin's full name")

    def handle(self, *args: Any, email: str, name: str, **options: Any) -> None:
        password = get_setting("NEEDLE_WEB_ADMIN_PASSWORD") or self._ask_password()
        try:
            user = account_create(
                email=email, role=Role.BACKBONE_ADMIN, password=password, full_name=name
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(
            f"Created backbone admin {user.email}. At first sign-in they set up two-factor "
            "sign-in with an authenticator app."
        )

    def _ask_password(self) -> str:
        first = getpass.getpass("Password (at least 12 characters): ")
        if first != getpass.getpass("Password again: "):
            raise CommandError("The passwords do not match")
        return first
