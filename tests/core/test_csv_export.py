"""CSV exports neutralise cells a spreadsheet would run as a formula (CSV injection)."""

import csv
import io

import pytest

from liaison.core.csvexport import csv_response, neutralise


@pytest.mark.parametrize("text", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("x")'])
def test_formula_starts_are_quoted(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Billing", "a=b", " x", "", None, -3, 2.5, 0])
def test_other_cells_unchanged(value):
    assert neutralise(value) == value


def test_response_neutralises_every_cell_header_included():
    response = csv_response("x", ["=head", "n"], [["=cmd|' /C calc'!A0", -1], ["ok", "@x"]])
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["'=head", "n"], ["'=cmd|' /C calc'!A0", "-1"], ["ok", "'@x"]]
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
