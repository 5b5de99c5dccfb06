"""The org-chart CSV import: the importer (liaison.org.importer) and `liaison import-org`."""

import io
import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from liaison.cli import main as liaison_main
from liaison.org.importer import ImportReport, OrgImportError, RowError, import_org_csv
from liaison.org.models import Membership, Person, SensitiveAttributes, Team
from tests.factories import MembershipFactory, PersonFactory, TeamFactory

pytestmark = pytest.mark.django_db

HEADER = "email,name,team,title,site,time_zone,parent_team,manager_email,is_lead,gender,seniority_band\n"
ORG = HEADER + (
    "ceo@corp.example,Cora Chief,Executive Office,CEO,HQ,America/Chicago,,,yes,woman,executive\n"
    "leo@corp.example,Leo Strand,Network Group,Network Manager,HQ,America/Chicago,Infrastructure,"
    "ceo@corp.example,yes,man,senior\n"
    "nina@corp.example,Nina Patel,Network Group,Engineer,HQ,America/Chicago,Infrastructure,leo@corp.example,no,"
    "woman,mid\n"
    "lena@corp.example,Lena Carter,Product Marketing,Head of PM,London,Europe/London,Executive Office,"
    "ceo@corp.example,true,,\n"
)


def snapshot():
    """Everything the importer may write, to prove that a failed import wrote nothing."""
    return (
        list(Person.objects.order_by("email").values_list("email", "name", "title", "site", "time_zone",
                                                          "manager__email")),
        list(Team.objects.order_by("name").values_list("name", "parent__name", "lead__email", "updated_at")),
        sorted(Membership.objects.values_list("person__email", "team__name")),
        sorted(SensitiveAttributes.objects.values_list("person__email", "gender", "seniority_band")),
    )


# --- happy path ----------------------------------------------------------------------------

def test_import_creates_people_teams_managers_leads_and_memberships():
    report = import_org_csv(ORG)

    assert report == ImportReport(people_created=4, people_updated=0, people_unchanged=0, teams_created=4,
                                  teams_updated=0)
    leo = Person.objects.get(email="leo@corp.example")
    assert (leo.name, leo.title, leo.site, leo.time_zone) == ("Leo Strand", "Network Manager", "HQ",
                                                              "America/Chicago")
    assert leo.manager.email == "ceo@corp.example"
    assert Person.objects.get(email="nina@corp.example").manager == leo
    assert not leo.has_usable_password()
    assert leo.is_active and not leo.is_staff and not leo.is_superuser and leo.last_login is None
    assert abs((timezone.now() - leo.date_joined).total_seconds()) < 60
    assert Membership.objects.get(person=leo).joined_at == leo.date_joined
    network = Team.objects.get(name="Network Group")
    assert network.lead == leo
    assert network.parent.name == "Infrastructure"  # a parent named only as a parent is created
    assert Team.objects.get(name="Infrastructure").parent is None
    assert Team.objects.get(name="Product Marketing").parent.name == "Executive Office"
    assert Team.objects.get(name="Product Marketing").lead.email == "lena@corp.example"
    assert set(network.members.values_list("email", flat=True)) == {"leo@corp.example", "nina@corp.example"}
    assert SensitiveAttributes.objects.get(person=leo).gender == "man"
    assert SensitiveAttributes.objects.get(person__email="nina@corp.example").seniority_band == "mid"
    # Blank gender and seniority: no row of sensitive attributes at all.
    assert not SensitiveAttributes.objects.filter(person__email="lena@corp.example").exists()


def test_header_is_case_and_space_insensitive_bom_tolerant_and_values_are_normalised():
    text = ("\ufeffE-mail,  NAME , Team,Time Zone,Manager Email,Is Lead,Gender,Seniority Band\n"
            "  Boss@Corp.Example ,Bea  Boss,Exec,europe/paris,,Y,Woman,Executive\n"
            "ann@corp.example,Ann,exec,,BOSS@corp.example,,prefer not to say,\n")
    report = import_org_csv(text.encode("utf-8"))  # bytes, as a browser upload gives them

    assert report.people_created == 2 and report.teams_created == 1
    boss = Person.objects.get(email="boss@corp.example")
    assert boss.name == "Bea Boss" and boss.time_zone == "Europe/Paris"
    ann = Person.objects.get(email="ann@corp.example")
    assert ann.manager == boss and ann.time_zone == "UTC"
    assert ann.teams.get().name == "Exec"  # "exec" is the same team as "Exec"
    assert Team.objects.get().lead == boss
    assert ann.sensitive.gender == "undisclosed" and boss.sensitive.seniority_band == "executive"


@pytest.mark.parametrize("wrap", [io.StringIO, lambda text: io.BytesIO(text.encode()), str])
def test_accepts_text_and_binary_files_and_strings(wrap):
    assert import_org_csv(wrap(ORG)).people_created == 4


def test_semicolon_separated_file():
    text = "email;name;team\nann@corp.example;Ann;Exec\n"
    assert import_org_csv(text).people_created == 1


def test_manager_may_be_someone_already_in_the_directory():
    boss = PersonFactory(email="boss@corp.example")
    import_org_csv("email,name,team,manager_email\nann@corp.example,Ann,Exec,boss@corp.example\n")
    assert Person.objects.get(email="ann@corp.example").manager == boss


# --- re-import and changes ---------------------------------------------------------------------

def test_reimporting_the_same_file_changes_nothing():
    import_org_csv(ORG)
    before = snapshot()

    with CaptureQueriesContext(connection) as queries:
        report = import_org_csv(ORG)

    assert report == ImportReport(people_created=0, people_updated=0, people_unchanged=4, teams_created=0,
                                  teams_updated=0)
    assert snapshot() == before  # updated_at included
    writes = [q["sql"] for q in queries if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []


def test_changed_file_updates_in_place():
    import_org_csv(ORG)
    ids = dict(Person.objects.values_list("email", "pk"))
    changed = (ORG.replace("Nina Patel,Network Group,Engineer", "Nina Patel,Network Group,Senior Engineer")
               .replace("Head of PM,London,Europe/London", "Head of PM,Paris,Europe/Paris")
               .replace("woman,mid", "woman,senior"))
    report = import_org_csv(changed)

    assert (report.people_created, report.people_updated, report.people_unchanged) == (0, 2, 2)
    assert dict(Person.objects.values_list("email", "pk")) == ids  # same rows, updated in place
    nina = Person.objects.get(email="nina@corp.example")
    assert nina.title == "Senior Engineer" and nina.sensitive.seniority_band == "senior"
    assert Person.objects.get(email="lena@corp.example").site == "Paris"


def test_sensitive_change_alone_counts_as_an_update():
    import_org_csv(ORG)
    report = import_org_csv(ORG.replace("woman,mid", "non-binary,mid"))
    assert (report.people_updated, report.people_unchanged) == (1, 3)
    assert SensitiveAttributes.objects.get(person__email="nina@corp.example").gender == "non-binary"


def test_new_lead_manager_and_parent_update_teams():
    import_org_csv(ORG)
    network = Team.objects.get(name="Network Group")
    stamp = network.updated_at
    changed = (ORG.replace("Network Manager,HQ,America/Chicago,Infrastructure,ceo@corp.example,yes",
                           "Network Manager,HQ,America/Chicago,Executive Office,ceo@corp.example,no")
               .replace("Infrastructure,leo@corp.example,no", "Executive Office,ceo@corp.example,yes"))
    report = import_org_csv(changed)

    network.refresh_from_db()
    assert network.lead.email == "nina@corp.example"
    assert network.parent.name == "Executive Office"
    assert network.updated_at > stamp
    assert report.teams_updated == 1
    assert Person.objects.get(email="nina@corp.example").manager.email == "ceo@corp.example"


def test_current_lead_listed_but_not_marked_loses_the_lead():
    import_org_csv(ORG)
    import_org_csv(ORG.replace("ceo@corp.example,yes,man,senior", "ceo@corp.example,no,man,senior"))
    assert Team.objects.get(name="Network Group").lead is None


def test_lead_not_listed_in_the_file_is_kept():
    lead = PersonFactory(email="old@corp.example")
    team = TeamFactory(name="Network Group", lead=lead)
    MembershipFactory(person=lead, team=team)
    import_org_csv("email,name,team,is_lead\nann@corp.example,Ann,Network Group,no\n")
    team.refresh_from_db()
    assert team.lead == lead


def test_a_move_adds_the_new_team_and_keeps_the_old_membership():
    import_org_csv(ORG)
    report = import_org_csv(ORG.replace("Nina Patel,Network Group,Engineer,HQ,America/Chicago,Infrastructure",
                                        "Nina Patel,Product Marketing,Engineer,HQ,America/Chicago,Executive Office"))
    assert report.people_updated == 1
    nina = Person.objects.get(email="nina@corp.example")
    assert set(nina.teams.values_list("name", flat=True)) == {"Network Group", "Product Marketing"}


def test_columns_missing_from_the_file_leave_fields_alone():
    import_org_csv(ORG)
    report = import_org_csv("email,name,team\nleo@corp.example,Leo Strand,Network Group\n")
    leo = Person.objects.get(email="leo@corp.example")
    assert report.people_unchanged == 1
    assert (leo.title, leo.manager.email, leo.time_zone) == ("Network Manager", "ceo@corp.example", "America/Chicago")
    assert leo.sensitive.gender == "man"


def test_blank_time_zone_keeps_the_persons_time_zone_and_blank_manager_clears_it():
    import_org_csv(ORG)
    import_org_csv("email,name,team,time_zone,manager_email\nleo@corp.example,Leo Strand,Network Group,,\n")
    leo = Person.objects.get(email="leo@corp.example")
    assert leo.time_zone == "America/Chicago" and leo.manager is None


def test_existing_person_matched_case_insensitively():
    person = PersonFactory(email="leo@corp.example", name="Old Name")
    report = import_org_csv("email,name,team\nLEO@Corp.Example,Leo Strand,Network Group\n")
    person.refresh_from_db()
    assert (report.people_created, report.people_updated) == (0, 1)
    assert person.name == "Leo Strand"


# --- errors: every one reported, nothing written -------------------------------------------------

ERROR_CASES = {
    "missing required value": ("email,name,team\nann@corp.example,,Exec\n", 2, "name", "required"),
    "invalid email": ("email,name,team\nann@corp,Ann,Exec\n", 2, "email", "not a valid email"),
    "invalid manager email": ("email,name,team,manager_email\nann@corp.example,Ann,Exec,boss\n", 2,
                              "manager_email", "not a valid email"),
    "unknown time zone": ("email,name,team,time_zone\nann@corp.example,Ann,Exec,Mars/Olympus\n", 2, "time_zone",
                          "not a known time zone"),
    "unknown manager": ("email,name,team,manager_email\nann@corp.example,Ann,Exec,ghost@corp.example\n", 2,
                        "manager_email", "neither in this file nor in the directory"),
    "duplicate email": ("email,name,team\nann@corp.example,Ann,Exec\nANN@corp.example,Ann B,Exec\n", 3, "email",
                        "already on row 2"),
    "own manager": ("email,name,team,manager_email\nann@corp.example,Ann,Exec,Ann@corp.example\n", 2,
                    "manager_email", "own manager"),
    "manager loop": ("email,name,team,manager_email\na@corp.example,A,T,b@corp.example\n"
                     "b@corp.example,B,T,a@corp.example\n", 2, "manager_email", "managers would loop"),
    "bad is_lead": ("email,name,team,is_lead\nann@corp.example,Ann,Exec,maybe\n", 2, "is_lead", "not yes/no"),
    "bad gender": ("email,name,team,gender\nann@corp.example,Ann,Exec,robot\n", 2, "gender", "not one of"),
    "bad seniority": ("email,name,team,seniority_band\nann@corp.example,Ann,Exec,intern\n", 2, "seniority_band",
                      "not one of"),
    "team its own parent": ("email,name,team,parent_team\nann@corp.example,Ann,Exec,exec\n", 2, "parent_team",
                            "its own parent"),
    "team parent cycle": ("email,name,team,parent_team\na@corp.example,A,Alpha,Beta\nb@corp.example,B,Beta,Gamma\n"
                          "c@corp.example,C,Gamma,Alpha\n", 2, "parent_team", "would loop"),
    "two parents": ("email,name,team,parent_team\na@corp.example,A,Alpha,Beta\nb@corp.example,B,Alpha,Gamma\n", 3,
                    "parent_team", "has parent “Beta” on row 2"),
    "two leads": ("email,name,team,is_lead\na@corp.example,A,Alpha,yes\nb@corp.example,B,Alpha,yes\n", 3,
                  "is_lead", "already has a lead on row 2"),
    "too long": ("email,name,team\nann@corp.example," + "x" * 201 + ",Exec\n", 2, "name", "too long"),
    "too many values": ("email,name,team\nann@corp.example,Ann,Exec,extra\n", 2, "", "4 values for 3 columns"),
    "missing column": ("email,name\nann@corp.example,Ann\n", 1, "team", "required column is missing"),
    "unknown column": ("email,name,team,shoe_size\nann@corp.example,Ann,Exec,44\n", 1, "shoe_size",
                       "unknown column"),
    "duplicate column": ("email,name,team,Team\nann@corp.example,Ann,Exec,Exec\n", 1, "team", "appears twice"),
    "empty file": ("", 1, "", "empty"),
    "not utf-8": ("email,name,team\nann@corp.example,Ann,Ex\xe9c\n".encode("latin-1"), 2, "", "not UTF-8"),
}


@pytest.mark.parametrize("case", ERROR_CASES.values(), ids=ERROR_CASES.keys())
def test_each_error_is_reported_with_row_and_column_and_nothing_is_written(case):
    text, row, column, message = case
    PersonFactory(email="someone@corp.example")
    before = snapshot()

    with pytest.raises(OrgImportError) as caught:
        import_org_csv(text)

    assert any(e.row == row and e.column == column and message in e.message for e in caught.value.errors), \
        caught.value.errors
    assert snapshot() == before


def test_parent_cycle_through_the_existing_tree_is_refused():
    import_org_csv(ORG)
    before = snapshot()
    with pytest.raises(OrgImportError) as caught:
        # Infrastructure is Network Group's parent already; this file makes it Network Group's child.
        import_org_csv("email,name,team,parent_team\nx@corp.example,X,Infrastructure,Network Group\n")
    assert caught.value.errors == [RowError(2, "parent_team",
                                            "the team tree would loop: Infrastructure → Network Group → "
                                            "Infrastructure")]
    assert snapshot() == before


def test_every_error_of_the_file_is_collected_at_once():
    text = ("email,name,team,time_zone,is_lead\n"
            "ann@corp.example,Ann,Exec,UTC,no\n"
            "bad,Bob,Exec,UTC,no\n"
            "cat@corp.example,,Exec,Nowhere/City,perhaps\n"
            "ann@corp.example,Ann again,Exec,UTC,no\n")
    with pytest.raises(OrgImportError) as caught:
        import_org_csv(text)
    assert [(e.row, e.column) for e in caught.value.errors] == [
        (3, "email"), (4, "name"), (4, "time_zone"), (4, "is_lead"), (5, "email")]
    assert str(caught.value.errors[0]) == "row 3, column email: “bad” is not a valid email address."
    assert Person.objects.count() == 0 and Team.objects.count() == 0


def test_row_numbers_are_file_lines_even_with_blank_lines_and_quoted_newlines():
    text = ('email,name,team,title\n'
            'ann@corp.example,Ann,Exec,"Head of\nthings"\n'
            '\n'
            'bad,Bob,Exec,\n')
    with pytest.raises(OrgImportError) as caught:
        import_org_csv(text)
    assert [(e.row, e.column) for e in caught.value.errors] == [(5, "email")]


# --- scale and progress -----------------------------------------------------------------------

def big_org(n):
    rows = [f"p{i}@corp.example,Person {i},Team {i // 10},Analyst,HQ,UTC,Division {i // 500},"
            f"{'' if i % 10 == 0 else f'p{i - i % 10}@corp.example'},{'yes' if i % 10 == 0 else 'no'},woman,mid"
            for i in range(n)]
    return HEADER + "\n".join(rows) + "\n"


def test_progress_is_reported_about_every_thousand_rows():
    calls = []
    report = import_org_csv(big_org(2500), progress=lambda done, total: calls.append((done, total)))
    assert report.people_created == 2500 and report.teams_created == 250 + 5
    assert calls[0] == (0, 2500) and calls[-1] == (2500, 2500)
    steps = [b[0] - a[0] for a, b in itertools.pairwise(calls)]
    assert all(0 < step <= 1000 for step in steps), calls  # at most a batch apart, always forward


def test_no_query_per_row():
    with CaptureQueriesContext(connection) as first:
        import_org_csv(big_org(2000))
    with CaptureQueriesContext(connection) as again:
        import_org_csv(big_org(2000).replace("Analyst", "Senior Analyst"))
    # 2,000 people, 200 teams: batches, not rows (SQLite inserts at most ~80 rows per statement).
    assert len(first) < 150, len(first)
    assert len(again) < 40, len(again)
    assert Person.objects.filter(title="Senior Analyst").count() == 2000


# --- the command ---------------------------------------------------------------------------------

def test_command_imports_a_file_and_prints_a_summary(tmp_path, capsys):
    path = tmp_path / "org.csv"
    path.write_text(ORG)
    call_command("import_org", str(path))
    out = capsys.readouterr().out
    assert "4 people: 4 created, 0 updated, 0 unchanged; teams: 4 created, 0 updated." in out
    call_command("import_org", str(path))
    assert "0 created, 0 updated, 4 unchanged" in capsys.readouterr().out


def test_command_reads_stdin(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(ORG))
    call_command("import_org", "-")
    assert "4 created" in capsys.readouterr().out
    assert Person.objects.count() == 4


def test_command_reports_every_bad_row_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "org.csv"
    path.write_text("email,name,team,time_zone\nann@corp.example,Ann,Exec,UTC\nbad,Bob,Exec,UTC\n"
                    "cat@corp.example,Cat,Exec,Nowhere/City\n")
    with pytest.raises(CommandError, match="2 errors"):
        call_command("import_org", str(path))
    err = capsys.readouterr().err
    assert "row 3, column email: “bad” is not a valid email address." in err
    assert "row 4, column time_zone: “Nowhere/City” is not a known time zone" in err
    assert Person.objects.count() == 0


def test_cli_exits_non_zero_on_errors(tmp_path, capsys):
    path = tmp_path / "org.csv"
    path.write_text("email,name,team\nbad,Bob,Exec\n")
    with pytest.raises(SystemExit) as exited:
        liaison_main(["liaison", "import-org", str(path)])
    assert exited.value.code == 1
    assert "row 2, column email" in capsys.readouterr().err


def test_command_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_org", str(tmp_path / "nope.csv"))
