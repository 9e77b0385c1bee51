"""`needle init` through click: options become the config, mistakes become messages."""

from __future__ import annotations

import stat
from pathlib import Path

from click.testing import CliRunner

from needle.initiative import load_config, open_home, trafford_demo_config
from needle.initiative.cli import init


def _run(*args: str):
    return CliRunner().invoke(init, [str(a) for a in args])


def test_the_trafford_demo(tmp_path: Path) -> None:
    result = _run(tmp_path / "demo", "--trafford-demo")
    assert result.exit_code == 0, result.output
    home = open_home(tmp_path / "demo")
    assert home.config == trafford_demo_config()
    assert (home.reference_dir / "manifest.json").is_file()
    assert stat.S_IMODE(home.secret_file.stat().st_mode) == 0o600
    for text in ("needle.toml", "secrets/linkage.key", "reference/", "Next steps:"):
        assert text in result.output


def test_options_become_the_config(tmp_path: Path) -> None:
    result = _run(
        tmp_path / "cornwall",
        "--name",
        "Kernow Youth Collective",
        "--area",
        "E06000052",
        "--area",
        "E06000053",
        "--frequency",
        "month",
        "--first-period",
        "2025-09",
        "--partner",
        "KYS=Kernow Youth Service",
        "--partner",
        "SURF = Surf Club ",
    )
    assert result.exit_code == 0, result.output
    config = load_config(tmp_path / "cornwall" / "needle.toml")
    assert config.name == "Kernow Youth Collective"
    assert config.area == ("E06000052", "E06000053")
    assert (config.periods.frequency, config.periods.first) == ("month", "2025-09")
    assert [(p.code, p.name) for p in config.partners] == [
        ("KYS", "Kernow Youth Service"),
        ("SURF", "Surf Club"),
    ]
    assert not (tmp_path / "cornwall" / "reference").exists()
    assert "needle reference load" in result.output


def test_defaults(tmp_path: Path) -> None:
    result = _run(tmp_path / "my-initiative", "--no-reference")
    assert result.exit_code == 0, result.output
    config = load_config(tmp_path / "my-initiative" / "needle.toml")
    assert config.name == "my-initiative"
    assert config.area == () and config.partners == ()
    assert config.periods.frequency == "quarter"
    assert not (tmp_path / "my-initiative" / "reference").exists()


def test_demo_options_override(tmp_path: Path) -> None:
    result = _run(tmp_path / "d", "--trafford-demo", "--name", "Demo", "--frequency", "year")
    assert result.exit_code == 0, result.output
    config = load_config(tmp_path / "d" / "needle.toml")
    assert config.name == "Demo" and config.area == ("E08000009",)
    assert config.periods.frequency == "year"


def test_re_init_is_a_message(tmp_path: Path) -> None:
    assert _run(tmp_path, "--no-reference").exit_code == 0
    result = _run(tmp_path, "--force")
    assert result.exit_code == 2
    assert "already a Needle home" in result.output
    assert "Traceback" not in result.output


def test_mistakes_are_messages(tmp_path: Path) -> None:
    for args, expected in [
        (["--first-period", "2024-Q5"], "periods.first: '2024-Q5' is not a reporting period"),
        (["--first-period", "2024-10"], "is a month but periods.frequency is 'quarter'"),
        (["--area", "Trafford"], "not a GSS area code"),
        (["--partner", "TYC"], "--partner 'TYC': give the code and the name"),
        (["--partner", "tyc=Clubs"], "--partner.code: 'tyc' is not a partner code"),
    ]:
        result = _run(tmp_path / "x", *args)
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.output, result.output
        assert not (tmp_path / "x").exists()
    result = _run(tmp_path / "x", "--frequency", "weekly")
    assert result.exit_code == 2 and "weekly" in result.output


def test_environment_secret(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NEEDLE_LINKAGE_SECRET", "ab" * 32)
    result = _run(tmp_path / "h", "--no-reference")
    assert result.exit_code == 0, result.output
    assert "No secret file written: NEEDLE_LINKAGE_SECRET is set" in result.output
    assert not (tmp_path / "h" / "secrets").exists()
    assert "ab" * 32 not in result.output


def test_help() -> None:
    result = CliRunner().invoke(init, ["--help"])
    assert result.exit_code == 0
    for option in ("--name", "--area", "--first-period", "--frequency", "--trafford-demo"):
        assert option in result.output
