"""The demo's org steps: the org chart (through the CSV importer) and the demo accounts.

The Enterprise object is what every step receives and enriches: later steps find the
story's teams, people and services here by name or key instead of querying for them.
"""

from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from liaison.org.importer import import_org_csv
from liaison.org.models import AUDITORS_GROUP, Person, Team

from .orgchart import plan_org

DEMO_PASSWORD = "liaison-demo"


@dataclass(frozen=True)
class DemoAccount:
    key: str  # the story person's key in OrgPlan.named / Enterprise.people
    role: str  # what to try with this account


# The accounts printed at the end of `liaison demo`, each with DEMO_PASSWORD.
ACCOUNTS = [
    DemoAccount("pm_lead", "Product Marketing lead: a customer of the Network Group (seed 002)"),
    DemoAccount("network_lead", "Network Group lead: the service announcing the network upgrade (seed 002)"),
    DemoAccount("remote_member", "member of the small Remote Office — Singapore, waiting on HQ (seed 000)"),
    DemoAccount("hq_finance_lead", "HQ Finance Operations lead: the HQ team the remote office waits on (seed 000)"),
    DemoAccount("bi_lead", "Business Intelligence Services lead, courting a reluctant division (seed 001)"),
    DemoAccount("claims_lead", "Claims Operations lead, working with an offshore partner (seed 003)"),
    DemoAccount("ed_lead", "Emergency Department lead, who needs beds now (seed 004)"),
    DemoAccount("inpatient_lead", "In-patient Unit director, who owns the beds (seed 004)"),
    DemoAccount("admin", "org admin: imports the org chart, manages the directory and the admin site"),
    DemoAccount("auditor", "auditor: may run the fairness audit (sensitive attributes, aggregated)"),
]


@dataclass
class Enterprise:
    """The demo enterprise as it is being built; each step reads it and adds to it."""

    size: int
    seed: int
    progress: object = None  # callable(label, done, total), or None
    plan: object = None  # orgchart.OrgPlan
    teams: dict = field(default_factory=dict)  # team name -> Team (all of them)
    people: dict = field(default_factory=dict)  # story key -> Person (the named people)
    services: dict = field(default_factory=dict)  # service name -> Service (the story's services)
    accounts: list = field(default_factory=list)  # (DemoAccount, Person), in ACCOUNTS order
    counts: dict = field(default_factory=dict)  # what each step made, for the summary

    def report(self, label, done, total):
        if self.progress is not None:
            self.progress(label, done, total)

    def person(self, key):
        return self.people[key]

    def team(self, name):
        return self.teams[name]


def build_org(rng, enterprise, now):
    """Teams, people, leads, managers and sensitive attributes: the org chart, imported."""
    plan = enterprise.plan = plan_org(enterprise.size, rng)
    result = import_org_csv(plan.csv_text(), progress=lambda done, total: enterprise.report("people", done, total))
    teams = {team.name: team for team in Team.objects.all()}
    for name, team_plan in plan.teams.items():
        teams[name].site, teams[name].description = team_plan.site, team_plan.description
    Team.objects.bulk_update(list(teams.values()), ["site", "description"], batch_size=1000)
    enterprise.teams = teams
    by_email = Person.objects.in_bulk([p.email for p in plan.named.values()], field_name="email")
    enterprise.people = {key: by_email[p.email] for key, p in plan.named.items()}
    enterprise.counts.update(people=result.people_created, teams=result.teams_created)


def build_accounts(rng, enterprise, now):
    """Give the demo accounts a known password (hashed once), an org admin and an auditor."""
    encoded = make_password(DEMO_PASSWORD)
    for account in ACCOUNTS:
        person = enterprise.people[account.key]
        person.password = encoded
        if account.key == "admin":
            person.is_staff = person.is_superuser = True
        person.save(update_fields=["password", "is_staff", "is_superuser"])
        if account.key == "auditor":
            person.groups.add(Group.objects.get_or_create(name=AUDITORS_GROUP)[0])
        enterprise.accounts.append((account, person))
