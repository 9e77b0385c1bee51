from pathlib import Path

from click.testing import CliRunner

from needle.cli import main
from needle.cli_docs import cli_reference

DOCS = Path(__file__).parents[1] / "docs" / "reference" / "cli.md"


def test_cli_reference_is_up_to_date():
    assert DOCS.read_text(encoding="utf-8") == cli_reference(), (
        "docs/reference/cli.md is stale: run `python -m needle.cli_docs > docs/reference/cli.md`"
    )


def test_every_command_has_help():
    for name, command in main.commands.items():
        assert command.help, f"`needle {name}` has no help text"


def test_malformed_period_is_a_message_not_a_traceback(tmp_path):
    result = CliRunner().invoke(main, ["validate", str(tmp_path), "--period", "2026-Q9"])
    assert result.exit_code == 2
    assert "not a reporting period" in result.output
    assert "Traceback" not in result.output
