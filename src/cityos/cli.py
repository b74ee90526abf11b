"""The ``cityos`` console command: Django's management commands under one name.

``cityos serve``, ``cityos worker``, ``cityos demo`` and every module's own commands.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityos.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["cityos", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
