"""``python -m needle_web api_token_create --partner YC --name ... --by admin@...``: a
partner's API token from the command line, for automation (the browser page is the usual
way). The token is printed once, on its own line; only its hash is kept."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from needle_web.accounts.models import User, normalise_email
from needle_web.api.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a partner and print it (shown this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partner", required=True, help="The partner's code, such as YC")
        parser.add_argument("--name", required=True, help="What the token is for")
        parser.add_argument("--by", required=True, help="The email of the backbone admin")

    def handle(self, *args: Any, **options: Any) -> None:
        admin = User.objects.filter(email=normalise_email(options["by"])).first()
        if admin is None:
            raise CommandError(f"No account {options['by']}: name a backbone admin with --by")
        try:
            _, raw = api_token_create(
                created_by=admin, partner_code=options["partner"], name=options["name"]
            )
        except ValidationError as problem:
            raise CommandError(" ".join(problem.messages)) from None
        self.stdout.write(raw)
