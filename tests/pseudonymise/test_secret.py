"""The linkage secret: created private, refused when exposed or weak, never echoed."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from needle.errors import NeedleInputError
from needle.pseudonymise import ENV_VAR, create_secret, load_secret


def test_create_writes_a_private_32_byte_secret(tmp_path: Path) -> None:
    path = create_secret(tmp_path / "linkage.key")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = load_secret(path)
    assert len(secret) == 32
    assert load_secret(path) == secret


def test_create_refuses_to_overwrite(tmp_path: Path) -> None:
    path = create_secret(tmp_path / "linkage.key")
    before = path.read_bytes()
    with pytest.raises(NeedleInputError, match="will not overwrite"):
        create_secret(path)
    assert path.read_bytes() == before


def test_create_in_a_missing_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(NeedleInputError):
        create_secret(tmp_path / "no" / "such" / "folder" / "linkage.key")


@pytest.mark.parametrize("mode", [0o640, 0o644, 0o604, 0o660, 0o666])
def test_a_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = create_secret(tmp_path / "linkage.key")
    secret_text = path.read_text().strip()
    os.chmod(path, mode)
    with pytest.raises(NeedleInputError, match="chmod 600") as caught:
        load_secret(path)
    assert secret_text not in str(caught.value)


def test_read_only_owner_file_is_accepted(tmp_path: Path) -> None:
    path = create_secret(tmp_path / "linkage.key")
    os.chmod(path, 0o400)
    assert len(load_secret(path)) == 32


def test_a_short_secret_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "short.key"
    path.write_text("00112233445566778899\n")  # 10 bytes
    os.chmod(path, 0o600)
    with pytest.raises(NeedleInputError, match="at least 16") as caught:
        load_secret(path)
    assert "0011223344" not in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NeedleInputError, match="not found"):
        load_secret(tmp_path / "absent.key")


def test_environment_variable_hex_and_base64(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = bytes(range(100, 132))
    monkeypatch.setenv(ENV_VAR, raw.hex())
    assert load_secret() == raw
    monkeypatch.setenv(ENV_VAR, base64.b64encode(raw).decode())
    assert load_secret() == raw
    monkeypatch.setenv(ENV_VAR, "c2hvcnQ=")  # base64 of "short"
    with pytest.raises(NeedleInputError, match="at least 16"):
        load_secret()


def test_no_secret_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(NeedleInputError, match=ENV_VAR):
        load_secret()
