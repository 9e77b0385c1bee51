"""``python -m needle_web demo_code EMAIL``: the two-factor code a demo account needs now.

For someone trying the demo without an authenticator app at hand. It works only for the
accounts ``needle serve --demo`` made (needle_web.demo), never for a real account: a
command that printed a real account's code would make its second factor worthless.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from needle_web.demo import DemoRefused, demo_code


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo account (demo accounts only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="the demo account's email address")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        try:
            code = demo_code(email)
        except DemoRefused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(code)
