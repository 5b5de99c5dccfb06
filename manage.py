#!/usr/bin/env python
"""Same as the `liaison` command; kept for the habit of `python manage.py ...`."""

from liaison.cli import main

if __name__ == "__main__":
    main()
