"""Generate docs/reference/cli.md from the click commands, so the reference cannot drift.

Regenerate with ``python -m needle.cli_docs > docs/reference/cli.md``; a test fails when the
committed page is stale or a command is undocumented.
"""

from __future__ import annotations

import click

from needle.cli import main


def _walk(command: click.Command, path: list[str]):
    yield path, command
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from _walk(command.commands[name], [*path, name])


def cli_reference() -> str:
    lines = [
        "# Command-line reference",
        "",
        "Generated from the code by `python -m needle.cli_docs`; do not edit by hand.",
        "",
    ]
    for path, command in _walk(main, ["needle"]):
        name = " ".join(path)
        with click.Context(command, info_name=name) as ctx:
            help_text = command.get_help(ctx)
        lines += [f"## `{name}`", "", "```text", help_text.rstrip(), "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(cli_reference(), end="")
