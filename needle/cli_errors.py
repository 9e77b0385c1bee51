"""Clean command-line errors, shared by every `needle` command and group.

A ``NeedleInputError`` is the user's to fix: it becomes ``Error: <message>`` on stderr and
exit status 2, never a traceback. Commands defined beside the code they drive (pool,
reference, initiative) use these classes too, so they behave the same on their own.
"""

from __future__ import annotations

import sys

import click

from needle.errors import NeedleInputError


class CleanErrors:
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except NeedleInputError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)


class CleanGroup(CleanErrors, click.Group):
    """A click group whose user-input errors are clean messages."""


class CleanCommand(CleanErrors, click.Command):
    """A click command whose user-input errors are clean messages."""
