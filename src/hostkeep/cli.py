"""The ``hostkeep`` console command: Django's management commands plus Hostkeep's own.

``hostkeep demo``, ``hostkeep worker``, ``hostkeep scheduler`` and every ``manage.py``
command (``hostkeep migrate``, ``hostkeep createsuperuser`` ...) go through here. A
configuration error is printed as one line naming the variable, never as a traceback.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostkeep.config.settings")
    if len(argv) > 1 and argv[1] == "demo":
        os.environ.setdefault("HOSTKEEP_DEMO", "1")
    if len(argv) > 1 and argv[1] == "bench":
        # A benchmark may target another database; settings read DATABASE_URL when they load.
        for index, word in enumerate(argv):
            if word.startswith("--database="):
                os.environ["DATABASE_URL"] = word.split("=", 1)[1]
            elif word == "--database" and index + 1 < len(argv):
                os.environ["DATABASE_URL"] = argv[index + 1]
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["hostkeep", *argv[1:]])
    except ImproperlyConfigured as error:
        print(f"hostkeep: configuration error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
