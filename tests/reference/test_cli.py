"""`needle reference load` and `show`, through click's runner on the command group itself."""

from __future__ import annotations

from click.testing import CliRunner

from needle.reference import open_reference
from needle.reference.cli import reference

from .conftest import FIXTURES


def test_load_bundled_then_show(tmp_path):
    runner = CliRunner()
    result = runner.invoke(reference, ["load", "--home", str(tmp_path), "--bundled-trafford"])
    assert result.exit_code == 0, result.output
    assert "IMD 2019 decile for 139 of 139 in England" in result.output
    assert "ethnicity: 139 LSOAs by 19 ethnic groups" in result.output
    assert open_reference(tmp_path / "reference").postcodes.height == 11_264

    shown = runner.invoke(reference, ["show", "--home", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    assert "trafford_postcodes.csv.gz" in shown.output
    assert "mySociety" in shown.output and "OGL-UK-3.0" in shown.output


def test_load_own_files(tmp_path):
    args = [
        "load", "--home", str(tmp_path),
        "--postcodes", str(FIXTURES / "onspd_sample.csv"),
        "--imd", str(FIXTURES / "iod2019_file1_sample.csv"),
        "--lsoa-lookup", str(FIXTURES / "lsoa11_lsoa21_lookup_sample.csv"),
        "--names", str(FIXTURES / "ward_names_sample.csv"),
        "--names", str(FIXTURES / "la_names_sample.csv"),
    ]  # fmt: skip
    result = CliRunner().invoke(reference, args)
    assert result.exit_code == 0, result.output
    ref = open_reference(tmp_path / "reference")
    assert {s["format"] for s in ref.manifest["sources"]} >= {"onspd", "iod2019"}
    assert "postcodes: 8 (1 terminated, 1 without coordinates)" in result.output


def test_bundled_with_a_replaced_file(tmp_path):
    args = ["load", "--home", str(tmp_path), "--bundled-trafford",
            "--imd", str(FIXTURES / "iod2019_file1_sample.csv")]  # fmt: skip
    result = CliRunner().invoke(reference, args)
    assert result.exit_code == 0, result.output
    manifest = open_reference(tmp_path / "reference").manifest
    assert manifest["note"].endswith("Replaced: imd.")
    # Four 2011 deciles only: most LSOAs now cannot be bridged, and the output says so.
    assert "could not be bridged" in result.output


def test_errors_are_messages_with_status_2(tmp_path):
    runner = CliRunner()
    result = runner.invoke(reference, ["load", "--home", str(tmp_path)])
    assert result.exit_code == 2 and "Give --postcodes FILE" in result.output
    assert "Traceback" not in result.output

    result = runner.invoke(reference, ["show", "--home", str(tmp_path / "empty")])
    assert result.exit_code == 2 and "No reference data" in result.output

    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    result = runner.invoke(reference, ["load", "--home", str(tmp_path), "--postcodes", str(bad)])
    assert result.exit_code == 2 and "bad.csv cannot be read as a postcode file" in result.output


def test_every_command_has_help():
    assert reference.help
    for name, command in reference.commands.items():
        assert command.help, f"`needle reference {name}` has no help text"
        for param in command.params:
            assert getattr(param, "help", None), f"--{param.name} of {name} has no help"
