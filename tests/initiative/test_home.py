"""init_home and open_home: a complete, private home, or nothing; clear errors otherwise."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from needle.errors import NeedleInputError
from needle.initiative import (
    InitiativeConfig,
    LinkageConfig,
    init_home,
    load_config,
    open_home,
)
from needle.initiative import home as home_module

SECRET_HEX = bytes(range(32)).hex()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_a_complete_private_home(tmp_path: Path, config: InitiativeConfig) -> None:
    root = tmp_path / "initiative"
    result = init_home(root, config)
    home = result.home
    assert home.root == root.resolve()
    assert load_config(root / "needle.toml") == config
    assert _mode(root / "secrets") == 0o700
    assert _mode(root / "secrets" / "linkage.key") == 0o600
    assert len(home.linkage_secret()) == 32
    assert (root / "reference" / "manifest.json").is_file()
    assert home.open_reference().postcodes.height > 1000
    ignored = (root / ".gitignore").read_text().splitlines()
    assert {
        "secrets/",
        "pool/",
        "indicators/",
        "needle.sqlite",
        ".needle-web-secret",
        "needle-web.sqlite",
    } <= set(ignored)
    text = result.describe()
    for shown in ("needle.toml", "secrets/linkage.key", "reference/", ".gitignore"):
        assert shown in text
    assert "Next steps:" in text and "password manager" in text
    assert SECRET_HEX not in text and (root / "secrets/linkage.key").read_text().strip() not in text


def test_home_paths(tmp_path: Path, config: InitiativeConfig) -> None:
    home = init_home(tmp_path / "h", config, reference=False).home
    root = home.root
    assert home.config_path == root / "needle.toml"
    assert home.secret_file == root / "secrets" / "linkage.key"
    assert home.reference_dir == root / "reference"
    assert home.pool_dir == root / "pool"
    assert home.database_url == f"sqlite:///{root / 'needle.sqlite'}"
    assert open_home(root) == home
    assert str(root) in home.describe()


def test_a_second_init_is_refused_even_with_force(tmp_path: Path, config: InitiativeConfig) -> None:
    root = tmp_path / "h"
    init_home(root, config, reference=False)
    secret = (root / "secrets" / "linkage.key").read_bytes()
    for force in (False, True):
        with pytest.raises(NeedleInputError, match=r"already a Needle home"):
            init_home(root, replace(config, name="Another"), force=force)
    assert (root / "secrets" / "linkage.key").read_bytes() == secret
    assert load_config(root / "needle.toml").name == config.name


def test_a_non_empty_folder_needs_force(tmp_path: Path, config: InitiativeConfig) -> None:
    root = tmp_path / "h"
    root.mkdir()
    (root / "notes.txt").write_text("keep me")
    (root / ".gitignore").write_text("*.tmp")
    with pytest.raises(NeedleInputError, match=r"not empty.*--force"):
        init_home(root, config, reference=False)
    assert sorted(p.name for p in root.iterdir()) == [".gitignore", "notes.txt"]
    result = init_home(root, config, reference=False, force=True)
    assert (root / "notes.txt").read_text() == "keep me"
    lines = (root / ".gitignore").read_text().splitlines()
    assert lines[0] == "*.tmp" and "secrets/" in lines
    assert any("Added" in note for note in result.notes)


def test_an_empty_existing_folder_is_fine(tmp_path: Path, config: InitiativeConfig) -> None:
    init_home(tmp_path, config, reference=False)
    assert (tmp_path / "needle.toml").is_file()


def test_force_keeps_a_private_secret_already_there(
    tmp_path: Path, config: InitiativeConfig
) -> None:
    first = init_home(tmp_path / "a", config, reference=False).home.linkage_secret()
    (tmp_path / "a" / "needle.toml").unlink()  # e.g. restoring a home from a backup
    result = init_home(tmp_path / "a", config, reference=False, force=True)
    assert result.home.linkage_secret() == first
    assert any("Kept the existing linkage secret" in n for n in result.notes)


def test_the_environment_secret_means_no_file(
    tmp_path: Path, config: InitiativeConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEEDLE_LINKAGE_SECRET", SECRET_HEX)
    result = init_home(tmp_path / "h", config, reference=False)
    assert not (tmp_path / "h" / "secrets").exists()
    assert result.home.secret_from_environment
    assert result.home.linkage_secret() == bytes(range(32))
    assert "NEEDLE_LINKAGE_SECRET is set" in result.describe()
    assert "environment variable" in result.home.secret_source
    assert SECRET_HEX not in result.describe()


def test_a_weak_environment_secret_is_refused_before_anything_is_made(
    tmp_path: Path, config: InitiativeConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEEDLE_LINKAGE_SECRET", "c2hvcnQ=")
    with pytest.raises(NeedleInputError, match=r"at least 16"):
        init_home(tmp_path / "h", config, reference=False)
    assert not (tmp_path / "h").exists()


def test_the_secret_file_setting_wins_over_the_config(
    tmp_path: Path, config: InitiativeConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    monkeypatch.setenv("NEEDLE_LINKAGE_SECRET_FILE", str(vault / "needle.key"))
    home = init_home(tmp_path / "h", config, reference=False).home
    assert home.secret_file == vault / "needle.key"
    assert _mode(vault / "needle.key") == 0o600
    assert not (tmp_path / "h" / "secrets").exists()
    assert len(home.linkage_secret()) == 32
    monkeypatch.delenv("NEEDLE_LINKAGE_SECRET_FILE")
    assert open_home(home.root).secret_file == home.root / "secrets" / "linkage.key"


def test_a_configured_secret_path_is_created_and_ignored(
    tmp_path: Path, config: InitiativeConfig
) -> None:
    config = replace(config, linkage=LinkageConfig(secret_file="keys/deep/linkage.key"))
    home = init_home(tmp_path / "h", config, reference=False).home
    assert home.secret_file == home.root / "keys" / "deep" / "linkage.key"
    assert _mode(home.root / "keys") == 0o700 and _mode(home.root / "keys" / "deep") == 0o700
    assert "keys/deep/linkage.key" in (home.root / ".gitignore").read_text().splitlines()


def test_a_failure_leaves_nothing_behind(
    tmp_path: Path, config: InitiativeConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args, **kwargs):
        raise NeedleInputError("the gitignore could not be written")

    monkeypatch.setattr(home_module, "_write_gitignore", broken)
    with pytest.raises(NeedleInputError, match=r"gitignore"):
        init_home(tmp_path / "new", config)
    assert not (tmp_path / "new").exists()

    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "keep.txt").write_text("x")
    with pytest.raises(NeedleInputError):
        init_home(tmp_path / "old", config, force=True)
    assert [p.name for p in (tmp_path / "old").iterdir()] == ["keep.txt"]


def test_reference_data_only_where_it_helps(tmp_path: Path, config: InitiativeConfig) -> None:
    elsewhere = replace(config, area=("E06000052",))  # Cornwall
    result = init_home(tmp_path / "a", elsewhere)
    assert not result.home.reference_dir.exists()
    assert "covers Trafford only" in result.describe()
    assert "needle reference load" in result.describe()
    result = init_home(tmp_path / "b", config, reference=False)
    assert not result.home.reference_dir.exists()
    result = init_home(tmp_path / "c", elsewhere, reference=True)
    assert (result.home.reference_dir / "manifest.json").is_file()
    assert "replace it with your area's" in result.describe()


def test_a_folder_in_the_way_of_the_reference_store(
    tmp_path: Path, config: InitiativeConfig
) -> None:
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "mine.csv").write_text("x")
    with pytest.raises(NeedleInputError, match=r"not a Needle reference store"):
        init_home(tmp_path, config, force=True)
    assert not (tmp_path / "secrets").exists()


def test_database_url_setting(
    tmp_path: Path, config: InitiativeConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = init_home(tmp_path / "h", config, reference=False).home
    url = "postgresql+psycopg://needle:hunter2@db.example.org:5432/needle"
    monkeypatch.setenv("DATABASE_URL", url)
    opened = open_home(home.root)
    assert opened.database_url == url
    assert opened.database_display == "postgresql+psycopg://needle:***@db.example.org:5432/needle"
    assert "hunter2" not in repr(opened) and "hunter2" not in opened.describe()


def test_open_home_uses_needle_home_then_the_current_folder(
    tmp_path: Path, config: InitiativeConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = init_home(tmp_path / "h", config, reference=False).home.root
    monkeypatch.setenv("NEEDLE_HOME", str(root))
    assert open_home().root == root
    monkeypatch.delenv("NEEDLE_HOME")
    monkeypatch.chdir(root)
    assert open_home().root == root
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NeedleInputError, match=r"not a Needle home"):
        open_home()


def test_open_home_errors(tmp_path: Path) -> None:
    with pytest.raises(NeedleInputError, match=r"does not exist.*needle init"):
        open_home(tmp_path / "absent")
    (tmp_path / "file").write_text("x")
    with pytest.raises(NeedleInputError, match=r"is a file"):
        open_home(tmp_path / "file")
    with pytest.raises(NeedleInputError, match=r"not a Needle home: it has no needle.toml"):
        open_home(tmp_path)


def test_open_home_checks_the_config(tmp_path: Path, config: InitiativeConfig) -> None:
    root = init_home(tmp_path / "h", config, reference=False).home.root
    path = root / "needle.toml"
    path.write_text(path.read_text().replace("public = 10", "public = -10"))
    with pytest.raises(NeedleInputError, match=r"needle.toml: disclosure.public: -10"):
        open_home(root)


def test_open_home_refuses_an_exposed_secret(tmp_path: Path, config: InitiativeConfig) -> None:
    home = init_home(tmp_path / "h", config, reference=False).home
    os.chmod(home.secret_file, 0o644)
    with pytest.raises(NeedleInputError, match=r"chmod 600") as caught:
        open_home(home.root)
    assert home.secret_file.read_text().strip() not in str(caught.value)


def test_a_missing_secret_is_an_error_only_when_needed(
    tmp_path: Path, config: InitiativeConfig
) -> None:
    home = init_home(tmp_path / "h", config, reference=False).home
    home.secret_file.unlink()
    opened = open_home(home.root)
    with pytest.raises(NeedleInputError, match=r"Restore it from your backup.*Do not create"):
        opened.linkage_secret()


def test_init_creates_the_pool_and_registers_the_partners(tmp_path: Path) -> None:
    from needle.initiative import trafford_demo_config

    config = trafford_demo_config()
    result = init_home(tmp_path / "h", config, reference=False)
    assert (result.home.root / "needle.sqlite").is_file()
    with result.home.open_pool() as pool:
        assert {p.code: p.name for p in pool.partners()} == {
            p.code: p.name for p in config.partners
        }
    assert f"Registered {len(config.partners)} partners" in result.describe()


def test_partners_already_registered_are_left_alone(
    tmp_path: Path, config: InitiativeConfig
) -> None:
    from needle.initiative import PartnerConfig
    from needle.pool import Pool

    with Pool.open(tmp_path) as pool:  # e.g. a database that outlived its needle.toml
        pool.add_partner("TYC", "Trafford Youth Clubs (as registered)")
    config = replace(config, partners=(PartnerConfig("TYC", "Other"), PartnerConfig("VOL", "V")))
    result = init_home(tmp_path, config, reference=False, force=True)
    with result.home.open_pool() as pool:
        names = {p.code: p.name for p in pool.partners()}
    assert names == {"TYC": "Trafford Youth Clubs (as registered)", "VOL": "V"}
    assert "left as they are: TYC" in result.describe()


def test_load_secret_reads_the_secret_file_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from needle.pseudonymise.secret import create_secret, load_secret

    path = create_secret(tmp_path / "k.key")
    monkeypatch.setenv("NEEDLE_LINKAGE_SECRET_FILE", str(path))
    assert load_secret() == load_secret(path)
    monkeypatch.setenv("NEEDLE_LINKAGE_SECRET", SECRET_HEX)  # the secret itself wins
    assert load_secret() == bytes(range(32))


def test_a_failure_removes_the_parent_folders_it_made(
    tmp_path: Path, config: InitiativeConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args, **kwargs):
        raise NeedleInputError("no")

    monkeypatch.setattr(home_module, "_write_gitignore", broken)
    with pytest.raises(NeedleInputError):
        init_home(tmp_path / "a" / "b" / "c", config, reference=False)
    assert list(tmp_path.iterdir()) == []
