"""`liaison import-org FILE` (or `-` for stdin): import an org chart CSV, all or nothing."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from liaison.org.importer import COLUMNS, REQUIRED, OrgImportError, import_org_csv


class Command(BaseCommand):
    help = (f"Import an org chart from a CSV file (- reads standard input). Columns: {', '.join(COLUMNS)} "
            f"({', '.join(REQUIRED)} required). All or nothing; importing the same file again changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8), or - for standard input")

    def handle(self, *args, file, **options):
        if file == "-":
            stdin = sys.stdin
            data = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read()
        else:
            try:
                with open(file, "rb") as fh:
                    data = fh.read()
            except OSError as exc:
                raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from exc

        # disable=None: a bar on an interactive terminal, silence in logs and pipes.
        with tqdm(total=None, unit=" people", file=sys.stderr, disable=None, desc="Importing") as bar:
            def progress(done, total):
                bar.total = total
                bar.n = done
                bar.refresh()

            try:
                report = import_org_csv(data, progress=progress)
            except OrgImportError as exc:
                bar.close()
                for error in exc.errors:
                    self.stderr.write(str(error))
                count = len(exc.errors)
                raise CommandError(f"{count} error{'s' if count != 1 else ''} in {file}; nothing was imported.") \
                    from exc
        self.stdout.write(f"Imported {file}: {report.summary()}")
