"""The `liaison` command: every operator task, and every Django management command.

    liaison serve | worker | demo | import-org FILE | token create EMAIL | migrate | shell ...

Hyphenated names map to management commands (import-org → import_org). DATABASE_URL
selects the database for all of them.
"""

import os
import sys


def main(argv=None):
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    argv[0] = "liaison"
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
