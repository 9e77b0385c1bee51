"""The initiative's linkage secret: load it, create it, and refuse unsafe ones.

Why a secret at all: every encoding is keyed with it, so whoever holds the pool but not
the secret cannot encode a list of names and compare (a dictionary attack). It must
therefore live outside the database: in a file only its owner can read, or in the
environment variable ``NEEDLE_LINKAGE_SECRET`` (hex or base64); ``NEEDLE_LINKAGE_SECRET_FILE``
may name the file instead (both read through :mod:`needle.settings`). Rotation is described
in docs/decisions/0004-pseudonymisation-encodings.md and docs/guides/initiative.md.

No message here ever contains the secret or any part of it.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from pathlib import Path

from needle.errors import NeedleInputError
from needle.settings import get_setting

__all__ = ["ENV_VAR", "FILE_ENV_VAR", "SECRET_BYTES", "create_secret", "load_secret"]

ENV_VAR = "NEEDLE_LINKAGE_SECRET"
FILE_ENV_VAR = "NEEDLE_LINKAGE_SECRET_FILE"
SECRET_BYTES = 32  # created secrets: 256 bits, the HMAC-SHA256 block's natural key size
MIN_BYTES = 16  # loaded secrets: below 128 bits a key could be searched exhaustively


def create_secret(path: str | os.PathLike[str]) -> Path:
    """Write 32 random bytes (hex, one line) to ``path``, readable by its owner only.

    Refuses to overwrite: a new secret silently replacing the old one would make every
    encoding in the pool unlinkable to new submissions.
    """
    target = Path(path)
    secret = os.urandom(SECRET_BYTES)
    try:
        # O_EXCL: fail if it exists; the mode applies at creation, so the secret is never
        # on disk with wider permissions, even for an instant.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise NeedleInputError(
            f"{target} already exists; Needle will not overwrite a linkage secret "
            "(see the rotation procedure in the documentation)"
        ) from None
    except OSError as exc:
        raise NeedleInputError(
            f"cannot create the linkage secret at {target}: {exc.strerror}"
        ) from None
    with os.fdopen(fd, "w") as fh:
        fh.write(secret.hex() + "\n")
    os.chmod(target, 0o600)  # in case a umask-free filesystem ignored the mode
    return target


def load_secret(path: str | os.PathLike[str] | None = None) -> bytes:
    """The linkage secret from ``path`` or, when ``path`` is None, from the environment.

    A file must be a regular file not readable or writable by group or others (mode 0600
    or 0400) and hold at least 16 bytes, written as hex or base64 (or raw bytes). The
    environment variable ``NEEDLE_LINKAGE_SECRET`` holds the same text; when it is unset,
    ``NEEDLE_LINKAGE_SECRET_FILE`` may give the path of the file.
    """
    if path is None:
        text = get_setting(ENV_VAR)
        if text:
            return _decode(text.encode(), f"the {ENV_VAR} environment variable")
        path = get_setting(FILE_ENV_VAR)
        if not path:
            raise NeedleInputError(
                f"no linkage secret: set {ENV_VAR} (or {FILE_ENV_VAR}) or give the path of a "
                "secret file (create one with needle.pseudonymise.create_secret)"
            )
    target = Path(path)
    try:
        info = target.stat()
    except FileNotFoundError:
        raise NeedleInputError(f"linkage secret file {target} not found") from None
    if not stat.S_ISREG(info.st_mode):
        raise NeedleInputError(f"linkage secret {target} is not a regular file")
    if os.name == "posix" and info.st_mode & 0o077:
        raise NeedleInputError(
            f"linkage secret file {target} is accessible to group or others "
            f"(mode {stat.S_IMODE(info.st_mode):o}); run `chmod 600 {target}`"
        )
    return _decode(target.read_bytes(), f"linkage secret file {target}")


def _decode(raw: bytes, where: str) -> bytes:
    """Hex, then base64, then the raw bytes; at least ``MIN_BYTES`` either way."""
    text = raw.strip()
    secret: bytes | None = None
    try:
        secret = bytes.fromhex(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        try:
            secret = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            secret = None
    if secret is None:
        secret = text
    if len(secret) < MIN_BYTES:
        raise NeedleInputError(
            f"{where} holds a secret of {len(secret)} bytes; at least {MIN_BYTES} are "
            f"needed ({SECRET_BYTES} recommended: create one with create_secret)"
        )
    return secret
