"""The initiative's home: one folder that holds everything an initiative needs.

Why one folder: an initiative on a laptop should be something you can create with one
command, see in a file browser, back up by copying, and open again from a notebook with
``open_home(path)``. In production the metadata moves to PostgreSQL (``DATABASE_URL``) and
the secret to the environment, but the home still holds the configuration and the data
files, so the code never asks where things are: it asks the :class:`Home`.

Layout (``needle init DIR``)::

    DIR/
      needle.toml          the configuration (needle.initiative.config)
      secrets/             mode 0700
        linkage.key        the linkage secret, mode 0600 (not written when
                           NEEDLE_LINKAGE_SECRET is set)
      reference/           postcode to geography and deprivation (needle.reference)
      needle.sqlite        metadata database, unless DATABASE_URL is set
      pool/                pooled submissions as Parquet files
      .gitignore           keeps secrets/, the database and the data out of git

``needle.toml`` is written last, so a folder holding one is a complete home; when any step
fails, everything ``init_home`` created is removed again.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from needle.errors import NeedleInputError
from needle.initiative.config import TRAFFORD, InitiativeConfig, load_config, write_config
from needle.pseudonymise.secret import ENV_VAR, FILE_ENV_VAR, create_secret, load_secret
from needle.settings import get_setting

__all__ = [
    "CONFIG_FILE",
    "DATABASE_FILE",
    "POOL_DIR",
    "Home",
    "InitResult",
    "init_home",
    "open_home",
]

CONFIG_FILE = "needle.toml"
DATABASE_FILE = "needle.sqlite"
POOL_DIR = "pool"
REFERENCE_DIR = "reference"
GITIGNORE = ".gitignore"
_SIDE = ("-wal", "-shm", "-journal")  # SQLite's companion files
# The web app's secret key and database (needle_web.config) sit in the home too; the
# indicators folder holds facts derived from the pooled rows.
_IGNORED = (
    "secrets/", "pool/", "reference/", "indicators/", DATABASE_FILE, f"{DATABASE_FILE}-*",
    ".needle-web-secret", "needle-web.sqlite", "needle-web.sqlite-*",
)  # fmt: skip


@dataclass(frozen=True)
class Home:
    """An opened initiative home: its configuration and where everything is.

    ``database_url`` may hold a password, so it is left out of ``repr``; show
    :attr:`database_display` instead.
    """

    root: Path
    config: InitiativeConfig
    database_url: str = field(repr=False)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def secret_from_environment(self) -> bool:
        """True when ``NEEDLE_LINKAGE_SECRET`` holds the secret (no file is read)."""
        return bool(get_setting(ENV_VAR))

    @property
    def secret_file(self) -> Path:
        """The secret file to use: ``NEEDLE_LINKAGE_SECRET_FILE``, else ``[linkage]
        secret_file`` of ``needle.toml`` (relative to the home)."""
        configured = get_setting(FILE_ENV_VAR) or self.config.linkage.secret_file
        path = Path(configured).expanduser()
        return path if path.is_absolute() else self.root / path

    @property
    def secret_source(self) -> str:
        """Where the secret comes from, for messages (never the secret itself)."""
        if self.secret_from_environment:
            return f"the {ENV_VAR} environment variable"
        return str(self.secret_file)

    @property
    def reference_dir(self) -> Path:
        return self.root / REFERENCE_DIR

    @property
    def pool_dir(self) -> Path:
        return self.root / POOL_DIR

    @property
    def database_display(self) -> str:
        """The database URL with any password masked."""
        return _mask_password(self.database_url)

    def linkage_secret(self) -> bytes:
        """The linkage secret, from the environment or the secret file."""
        if self.secret_from_environment:
            return load_secret(None)
        path = self.secret_file
        if not path.exists():
            raise NeedleInputError(
                f"The linkage secret {path} is missing. Restore it from your backup (the "
                f"initiative's password manager or key vault), or set {ENV_VAR}. Do not "
                "create a new one: records encoded with a new secret cannot be linked to "
                "the pool's (see the rotation procedure in docs/guides/initiative.md)."
            )
        return load_secret(path)

    def open_reference(self):
        """The reference store (``needle.reference.open_reference``)."""
        from needle.reference import open_reference

        return open_reference(self.reference_dir)

    def open_pool(self):
        """The pool of this home (``needle.pool.Pool.open``)."""
        from needle.pool import Pool

        return Pool.open(self.root, database_url=self.database_url)

    def describe(self) -> str:
        c = self.config
        lines = [
            f"Needle home {self.root}",
            f"  initiative: {c.name}",
            f"  area: {', '.join(c.area) or '(not set)'}",
            f"  periods: {c.periods.frequency}ly from {c.periods.first}",
            f"  partners in needle.toml: {len(c.partners)}",
            f"  linkage secret: {self.secret_source}",
            f"  reference data: {self.reference_dir}",
            f"  database: {self.database_display}",
            f"  pool: {self.pool_dir}",
        ]
        return "\n".join(lines)


def _mask_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, at, host = rest.rpartition("@")
    user, colon, _password = credentials.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}{at}{host}"


def _database_url(root: Path) -> str:
    """``DATABASE_URL``, else the embedded SQLite database in the home (the same rule as
    ``needle.pool``)."""
    return get_setting("DATABASE_URL") or f"sqlite:///{root / DATABASE_FILE}"


def _home_path(path: str | os.PathLike[str] | None) -> Path:
    return Path(path if path is not None else get_setting("NEEDLE_HOME") or ".").expanduser()


def open_home(path: str | os.PathLike[str] | None = None) -> Home:
    """Open the home at ``path`` (default: ``NEEDLE_HOME``, else the current folder).

    Reads and checks ``needle.toml``, and refuses a secret file that others can read. A
    missing secret file is not an error here (a machine that only reports needs none);
    :meth:`Home.linkage_secret` says what to do when it is needed.
    """
    root = _home_path(path)
    if not root.exists():
        raise NeedleInputError(
            f"{root} does not exist. Create an initiative there with `needle init {root}`, "
            "or give the folder that holds needle.toml (or set NEEDLE_HOME)."
        )
    if not root.is_dir():
        raise NeedleInputError(f"{root} is a file; a Needle home is a folder.")
    if not (root / CONFIG_FILE).is_file():
        raise NeedleInputError(
            f"{root} is not a Needle home: it has no {CONFIG_FILE}. Create one with "
            f"`needle init {root}`, or give the folder that holds {CONFIG_FILE} "
            "(or set NEEDLE_HOME)."
        )
    root = root.resolve()
    home = Home(root, load_config(root / CONFIG_FILE), _database_url(root))
    if not home.secret_from_environment:
        _check_secret_permissions(home.secret_file)
    return home


def _check_secret_permissions(path: Path) -> None:
    """A secret others can read is a leak to fix now, even if this run does not need it."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if os.name == "posix" and info.st_mode & 0o077:
        raise NeedleInputError(
            f"The linkage secret {path} is accessible to group or others (mode "
            f"{stat.S_IMODE(info.st_mode):o}); run `chmod 600 {path}`, and consider it "
            "exposed if anyone else could have read it (see secret rotation in "
            "docs/guides/initiative.md)."
        )


# ---- creating a home -------------------------------------------------------------------


@dataclass
class InitResult:
    """What :func:`init_home` did: the opened home, what it created, notes, next steps."""

    home: Home
    created: list[tuple[str, str]] = field(default_factory=list)  # (path in home, what)
    notes: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)

    def describe(self) -> str:
        width = max((len(p) for p, _ in self.created), default=0)
        lines = [f'Created the Needle home {self.home.root} for "{self.home.config.name}":']
        lines += [f"  {p.ljust(width)}  {what}" for p, what in self.created]
        lines += self.notes
        if self.next_steps:
            lines.append("Next steps:")
            lines += [f"  {i}. {step}" for i, step in enumerate(self.next_steps, 1)]
        return "\n".join(lines)


def init_home(
    path: str | os.PathLike[str],
    config: InitiativeConfig,
    *,
    reference: bool | None = None,
    force: bool = False,
) -> InitResult:
    """Create an initiative home at ``path`` for ``config``.

    - Refuses a folder that already holds ``needle.toml``, always, and a non-empty folder
      unless ``force`` (nothing already there is changed, except ``.gitignore``, which
      gets the missing lines).
    - Creates the linkage secret (``secrets/linkage.key``, 0600, in a 0700 folder) unless
      ``NEEDLE_LINKAGE_SECRET`` is set. With ``force``, a secret file already there is
      kept if it is readable and private.
    - ``reference``: load the bundled Trafford reference data (True), or not (False);
      None (default) loads it when the area includes Trafford or is not set.
    - Opens the pool (creating and migrating the metadata database) and registers the
      partners of ``config`` in its partner register.
    - Writes ``.gitignore`` and, last, ``needle.toml``.

    On any failure, every file and folder created is removed again (tables already
    created in a PostgreSQL database stay; they are harmless and reused next time).
    """
    root = Path(path).expanduser()
    _check_target(root, force)
    made: list[Path] = []  # created by this call, removed again if a later step fails
    try:
        missing = [p for p in (root, *root.parents) if not p.exists()]
        for p in reversed(missing):
            p.mkdir()
            made.append(p)
        root = root.resolve()
        result = InitResult(Home(root, config, _database_url(root)))
        _make_secret(result, made)
        _load_reference(result, made, reference)
        _open_pool(result, made)
        _write_gitignore(result, made)
        made.append(write_config(config, root / CONFIG_FILE))
        result.created.insert(0, (CONFIG_FILE, "the configuration: check it, edit it freely"))
        result.home = open_home(root)
    except BaseException:
        for p in reversed(made):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
        raise
    result.next_steps = _next_steps(result)
    return result


def _check_target(root: Path, force: bool) -> None:
    if (root / CONFIG_FILE).exists():
        raise NeedleInputError(
            f"{root} is already a Needle home ({CONFIG_FILE} exists); Needle will not "
            f"initialise it again. Edit {root / CONFIG_FILE} to change the configuration, "
            "or choose another folder."
        )
    if root.exists() and not root.is_dir():
        raise NeedleInputError(f"{root} is a file; give a folder for the new home.")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise NeedleInputError(
            f"{root} is not empty. Choose a new or empty folder, or use --force to create "
            "the home among the files already there (none of them is changed)."
        )
    reference = root / REFERENCE_DIR
    if reference.exists() and not (reference / "manifest.json").is_file():
        raise NeedleInputError(
            f"{reference} exists and is not a Needle reference store; move it away first."
        )


def _mkdir_private(path: Path, made: list[Path]) -> None:
    missing = []
    for p in [path, *path.parents]:
        if p.exists():
            break
        missing.append(p)
    for p in reversed(missing):
        p.mkdir(mode=0o700)
        os.chmod(p, 0o700)  # whatever the umask
        made.append(p)


def _make_secret(result: InitResult, made: list[Path]) -> None:
    home = result.home
    if home.secret_from_environment:
        load_secret(None)  # refuse a weak one now rather than at the first encoding
        result.notes.append(
            f"No secret file written: {ENV_VAR} is set, and Needle uses it. Keep it set "
            "wherever this initiative's data is pseudonymised."
        )
        return
    path = home.secret_file
    shown = _shown(path, home.root)
    if path.exists():
        load_secret(path)  # readable, private and long enough, or a clear error
        result.notes.append(f"Kept the existing linkage secret {shown}.")
        return
    _mkdir_private(path.parent, made)
    made.append(create_secret(path))
    folder = _shown(path.parent, home.root)
    result.created.append(
        (shown, f"the linkage secret (mode 0600; folder {folder} 0700): back it up now")
    )


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _load_reference(result: InitResult, made: list[Path], wanted: bool | None) -> None:
    config, home = result.home.config, result.home
    covers_trafford = not config.area or TRAFFORD in config.area
    if wanted is None:
        wanted = covers_trafford
    if not wanted:
        why = "" if covers_trafford else " (the bundled data covers Trafford only)"
        result.notes.append(f"No reference data loaded{why}.")
        return
    from needle.reference import bundled_sources, load_reference

    existed = home.reference_dir.exists()
    load_reference(home.reference_dir, bundled_sources())
    if not existed:
        made.append(home.reference_dir)
    result.created.append(
        (f"{REFERENCE_DIR}/", "reference data: the bundled Trafford postcodes, IMD, population")
    )
    if not covers_trafford:
        result.notes.append(
            "The bundled reference data covers Trafford only, not this initiative's area: "
            "replace it with your area's (`needle reference load`)."
        )


def _open_pool(result: InitResult, made: list[Path]) -> None:
    """Create (migrate) the metadata database and register the partners of ``needle.toml``
    in the pool's partner register; a code already registered is left as it is."""
    from needle.pool import Pool

    home = result.home
    database = home.root / DATABASE_FILE
    watched = [home.pool_dir, database, *(database.with_name(database.name + s) for s in _SIDE)]
    existed = {p: p.exists() for p in watched}
    try:
        with Pool.open(home.root, database_url=home.database_url) as pool:
            registered = {p.code for p in pool.partners(include_removed=True)}
            added = [
                pool.add_partner(p.code, p.name).code
                for p in home.config.partners
                if p.code not in registered
            ]
    finally:
        made.extend(p for p in watched if not existed[p] and p.exists())
    kept = [p.code for p in home.config.partners if p.code in registered]
    if get_setting("DATABASE_URL"):
        result.created.append(("(database)", f"metadata tables in {home.database_display}"))
    else:
        result.created.append((DATABASE_FILE, "the metadata database (SQLite)"))
    if home.pool_dir.exists():
        result.created.append((f"{POOL_DIR}/", "pooled submissions (Parquet)"))
    if added:
        word = "partner" if len(added) == 1 else "partners"
        result.notes.append(f"Registered {len(added)} {word}: {', '.join(added)}.")
    if kept:
        result.notes.append(
            f"Already in the partner register, left as they are: {', '.join(kept)}."
        )


def _write_gitignore(result: InitResult, made: list[Path]) -> None:
    home = result.home
    path = home.root / GITIGNORE
    wanted = list(_IGNORED)
    secret = _shown(home.secret_file, home.root)
    if not Path(secret).is_absolute() and not secret.startswith("secrets/"):
        wanted.append(secret)
    if path.exists():
        text = path.read_text(encoding="utf-8")
        missing = [line for line in wanted if line not in text.splitlines()]
        if missing:
            if text and not text.endswith("\n"):
                text += "\n"
            lines = ["# Needle: never commit the linkage secret or the data", *missing]
            path.write_text(text + "\n".join(lines) + "\n", encoding="utf-8")
            result.notes.append(f"Added {', '.join(missing)} to the existing {GITIGNORE}.")
        return
    header = [
        "# Never commit the linkage secret, the database or the pooled data: only",
        "# needle.toml belongs in version control. Back them up as in",
        "# docs/guides/initiative.md instead.",
    ]
    path.write_text("\n".join([*header, *wanted]) + "\n", encoding="utf-8")
    made.append(path)
    result.created.append((GITIGNORE, "keeps the secret, database and data out of git"))


def _next_steps(result: InitResult) -> list[str]:
    home = result.home
    root = home.root
    steps = []
    if not home.secret_from_environment:
        steps.append(
            f"Copy {_shown(home.secret_file, root)} into the initiative's password manager or "
            "key vault now: without it, new data cannot be linked to the pool."
        )
    steps.append(f"Check {CONFIG_FILE}: name, area, reporting periods, thresholds, partners.")
    if not (home.reference_dir / "manifest.json").is_file():
        steps.append(
            f"Load your area's reference data: `needle reference load --home {root} "
            "--postcodes ONSPD.csv --imd ...` (docs/guides/reference-data.md)."
        )
    steps.append(f"Use this home by default: `export NEEDLE_HOME={root}`.")
    steps.append(
        "Send partners the template (`needle template`) and check their files with "
        f"`needle validate FILE --period {home.config.periods.first}`."
    )
    return steps
