"""``python -m needle_web COMMAND``: Django's management commands with Needle's settings,
so there is no ``manage.py`` to find (e.g. ``python -m needle_web migrate``).

The settings module is passed as ``--settings`` rather than through
``DJANGO_SETTINGS_MODULE``, so this entry point reads and writes no environment variable.
"""

import sys

from django.core.management import execute_from_command_line

SETTINGS_MODULE = "needle_web.settings"


def main(argv: list[str] | None = None) -> None:
    """Run one management command, as ``manage.py`` would."""
    args = list(sys.argv[1:] if argv is None else argv) or ["help"]
    if not any(a == "--settings" or a.startswith("--settings=") for a in args):
        args.append(f"--settings={SETTINGS_MODULE}")
    execute_from_command_line([f"{sys.executable} -m needle_web", *args])


if __name__ == "__main__":
    main()
