"""The org-chart import reads CSV as spreadsheet programs write it (files in fixtures/)."""

from pathlib import Path

import pytest

from liaison.org.importer import import_org_csv
from liaison.org.models import Person, Team

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("name", ["libreoffice-comma-all-quoted.csv", "libreoffice-comma.csv",
                                  "libreoffice-semicolon.csv", "excel-csv-utf8-bom.csv",
                                  "excel-semicolon-utf8-bom.csv"])
def test_spreadsheet_files_import_with_their_quotes_commas_and_accents(name):
    with open(FIXTURES / name, "rb") as fh:
        report = import_org_csv(fh)
    assert report.people_created == 2 and report.teams_created == 1
    ana = Person.objects.get(email="ana@corp.example")
    assert ana.name == 'Ana "Nana" Silva'
    assert ana.title == 'Head of Sales; Region "South"' and ana.site == "Zürich"
    bo = Person.objects.get(email="bo@corp.example")
    assert bo.name == "Bo O'Neil" and bo.site == "São Paulo" and bo.manager == ana
    team = Team.objects.get()
    assert team.name == "Sales, EMEA" and team.lead == ana


def test_doubled_quotes_in_a_file_whose_header_has_no_quotes():
    text = 'email,name,team\nann@corp.example,"Ann ""The Boss"" Lee",Exec\n'
    assert import_org_csv(text).people_created == 1
    assert Person.objects.get().name == 'Ann "The Boss" Lee'


def test_excel_sep_line_names_the_delimiter():
    text = "sep=;\r\nemail;name;team\r\nann@corp.example;Ann, Lee;Exec\r\n"
    assert import_org_csv(text).people_created == 1
    assert Person.objects.get().name == "Ann, Lee"
