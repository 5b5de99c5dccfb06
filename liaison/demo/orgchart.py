"""The demo enterprise's org chart, as a plan: pure data, no database.

plan_org(people, rng) lays out an enterprise of exactly `people` people: an Executive
Office at the root, divisions → departments → teams under it, a lead for every team,
managers (a member's manager leads their team; a lead's manager leads the parent
team), sites and time zones, and optional sensitive attributes.

The seeds' stories are always there, with named people (see STORY): the Network Group
and Product Marketing (seed 002), HQ Finance Operations and the small Remote Office —
Singapore (seed 000), Claims Operations and its Offshore Back-Office Partner (seed 003),
the Emergency Department and the In-patient Unit (seed 004), and Business Intelligence
Services facing a Commercial Banking division that keeps it at arm's length (seed 001).
The rest of the enterprise is generated around them, deterministically from `rng`.

The plan turns into the CSV that `import_org_csv` reads (OrgPlan.csv_text), so the
demo goes through the same importer as a real org chart, and bench/import_org.py
reuses it to make realistic files of any size.
"""

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from faker import Faker

DOMAIN = "demo.liaison.example"
HQ = "HQ Chicago"

# site -> (time zone, Faker locale for first names, Faker locale for last names)
SITES = {
    HQ: ("America/Chicago", "en_US", "en_US"),
    "London": ("Europe/London", "en_GB", "en_GB"),
    "Toronto": ("America/Toronto", "en_CA", "en_GB"),
    "Paris": ("Europe/Paris", "fr_FR", "fr_FR"),
    "Berlin": ("Europe/Berlin", "de_DE", "de_DE"),
    "Madrid": ("Europe/Madrid", "es_ES", "es_ES"),
    "Bangalore": ("Asia/Kolkata", "en_IN", "en_IN"),
    "Manila": ("Asia/Manila", "en_US", "es_ES"),
    "Singapore": ("Asia/Singapore", "en_GB", "en_IN"),
}


@dataclass(frozen=True)
class P:
    """A named person of the story."""

    key: str
    name: str
    title: str
    gender: str
    seniority: str
    email: str = ""  # a role address for demo accounts; first.last@ otherwise


@dataclass(frozen=True)
class T:
    """A team of the story: its lead, named members, and how many people in all."""

    name: str
    description: str
    site: str = ""  # inherits the parent's when blank
    lead: P | None = None
    people: tuple = ()
    size: int = 1
    children: tuple = ()


def _dept(name, description, *children, site="", lead=None):
    return T(name, description, site=site, lead=lead, size=1, children=children)


STORY = T(
    "Executive Office", "The chief executive and the enterprise's leadership team.", site=HQ,
    lead=P("ceo", "Catherine Dunmore", "Chief Executive Officer", "woman", "executive"), size=2,
    children=(
        _dept("Technology", "Networks, data centres, identity, collaboration tools, data and business systems.",
              _dept("Infrastructure", "The platforms everything else runs on.",
                    T("Network Group", "Runs the corporate network, VPN and Wi-Fi, and schedules network changes.",
                      lead=P("network_lead", "Leo Strand", "Network Group Manager", "man", "senior",
                             "network.lead@" + DOMAIN),
                      people=(P("network_engineer", "Nina Patel", "Senior Network Engineer", "woman", "senior"),
                              P("network_change", "Tom Becker", "Network Change Coordinator", "man", "mid")),
                      size=8),
                    T("Data Center Operations", "Hosting, compute and storage in two data centres.", size=5),
                    T("Collaboration Services", "Video conferencing and the webinar platform for customer events.",
                      size=5),
                    T("Identity & Access", "Single sign-on, accounts and access requests.", size=4),
                    lead=P("infra_director", "Marta Kowalski", "Director, Infrastructure", "woman", "executive")),
              _dept("Data & Analytics", "Data platform and business intelligence.",
                    T("Business Intelligence Services",
                      "A newly led service team offering reports, dashboards and data requests to the divisions.",
                      lead=P("bi_lead", "Priya Raman", "Head of Business Intelligence Services", "woman", "senior",
                             "bi.lead@" + DOMAIN),
                      size=6),
                    T("Data Platform", "The data warehouse and its pipelines.", size=5)),
              _dept("Business Systems", "Enterprise applications and the directory.",
                    T("Enterprise Applications", "Business applications, and Liaison's own administration.",
                      people=(P("admin", "Alex Morgan", "Directory Administrator", "non-binary", "mid",
                                "admin@" + DOMAIN),),
                      size=4)),
              lead=P("cto", "Rajiv Menon", "Chief Technology Officer", "man", "executive")),
        _dept("Marketing", "Brand, product marketing and customer events.",
              _dept("Product", "Product marketing and product architecture.",
                    T("Product Marketing",
                      "Launches, customer events and the “meet the architect” sessions for existing customers.",
                      lead=P("pm_lead", "Lena Carter", "Head of Product Marketing", "woman", "senior",
                             "pm.lead@" + DOMAIN),
                      people=(P("pm_manager", "Diego Alvarez", "Product Marketing Manager", "man", "mid"),),
                      size=7),
                    T("Product Architecture", "Owns the three-year product vision and presents it to customers.",
                      lead=P("architect", "Samuel Osei", "Chief Architect", "man", "senior"), size=5)),
              lead=P("cmo", "Isabel Ferreira", "Chief Marketing Officer", "woman", "executive")),
        _dept("Finance", "Finance operations, procurement and internal audit, at headquarters.",
              _dept("Corporate Finance", "The HQ finance teams every office depends on.",
                    T("HQ Finance Operations", "Purchase orders, expense approvals and vendor payments for all "
                                               "offices, from headquarters.",
                      lead=P("hq_finance_lead", "Hannah Brooks", "Finance Operations Manager", "woman", "senior",
                             "hq.finance@" + DOMAIN),
                      size=8),
                    T("HQ Procurement", "Supplier selection and onboarding, from headquarters.", size=5)),
              _dept("Governance", "Internal audit and controls.",
                    T("Internal Audit", "Independent assurance, including the fairness audit.",
                      people=(P("auditor", "Irene Novak", "Internal Auditor", "woman", "senior",
                                "auditor@" + DOMAIN),),
                      size=3)),
              lead=P("cfo", "Daniel Whitaker", "Chief Financial Officer", "man", "executive")),
        _dept("International Offices", "Offices outside headquarters.",
              _dept("Asia-Pacific", "The region's offices.",
                    T("Remote Office — Singapore",
                      "A small regional office; most of what it needs comes from teams at headquarters.",
                      lead=P("sg_lead", "Wei Ling Tan", "Regional Office Lead", "woman", "senior"),
                      people=(P("remote_member", "Arjun Nair", "Regional Sales Coordinator", "man", "mid",
                                "remote.member@" + DOMAIN),),
                      size=5),
                    site="Singapore")),
        _dept("Operations", "Insurance operations, onshore and offshore.",
              _dept("Insurance Operations", "Claims, onshore and with the offshore partner.",
                    T("Claims Operations", "The onshore claims team.",
                      lead=P("claims_lead", "Gareth Price", "Claims Operations Manager", "man", "senior",
                             "claims.lead@" + DOMAIN),
                      size=10),
                    T("Offshore Back-Office Partner", "The offshore partner processing claims and documents.",
                      site="Manila",
                      lead=P("offshore_lead", "Ramon Cruz", "Partner Delivery Manager", "man", "senior"),
                      people=(P("offshore_expert_woman", "Maria Santos", "Senior Claims Specialist", "woman",
                                "senior"),
                              P("offshore_expert_man", "Jose Reyes", "Senior Claims Specialist", "man", "senior")),
                      size=12),
                    site="London")),
        _dept("Commercial Banking", "A mature, successful division that keeps shared services at arm's length.",
              _dept("Lending", "Commercial loans.",
                    T("Commercial Lending", "Reviews and originates commercial loans.", size=8)),
              site="London",
              lead=P("banking_head", "Victor Hale", "Managing Director, Commercial Banking", "man", "executive")),
        _dept("Health Services", "The group's teaching hospital.",
              _dept("St. Anne's Teaching Hospital", "A large teaching hospital.",
                    T("Emergency Department", "Assesses and treats emergencies; admits patients to the wards.",
                      lead=P("ed_lead", "Sofia Marchetti", "Emergency Department Lead Physician", "woman", "senior",
                             "ed.lead@" + DOMAIN),
                      size=10),
                    T("In-patient Unit", "Owns the beds: admissions, transfers and discharges.",
                      lead=P("inpatient_lead", "Grace Whitfield", "In-patient Unit Director", "woman", "senior",
                             "inpatient.lead@" + DOMAIN),
                      size=8),
                    site="Toronto")),
    ),
)

DIVISIONS = [
    ("Retail Banking", HQ), ("Wealth Management", "London"), ("Human Resources", HQ),
    ("Legal & Compliance", "London"), ("Supply Chain", "Toronto"), ("Customer Service", "Manila"),
    ("Research & Development", "Bangalore"), ("Sales", HQ), ("Risk Management", "London"),
    ("Real Estate & Facilities", HQ), ("Corporate Communications", "Paris"), ("Engineering", "Berlin"),
    ("Logistics", "Madrid"), ("Digital Channels", "Bangalore"), ("Treasury", "London"), ("Security", HQ),
    ("Strategy", "Paris"), ("Customer Experience", "Toronto"), ("Product Development", "Berlin"),
    ("Payments", "Singapore"), ("Insurance Underwriting", "London"), ("Asset Management", "Paris"),
    ("Quality & Safety", "Toronto"), ("Learning & Development", "Madrid"),
]
AREAS = ["Operations", "Strategy & Planning", "Client Services", "Shared Services", "Programmes", "Digital",
         "Quality", "Performance", "Regional North", "Regional South", "Regional East", "Regional West"]
TEAM_WORDS = ["Onboarding", "Payments", "Reporting", "Quality Assurance", "Customer Care", "Field Support",
              "Scheduling", "Forecasting", "Analytics", "Compliance", "Training", "Vendor Management",
              "Change Management", "Service Desk", "Process Excellence", "Contracts", "Billing", "Planning",
              "Programme Office", "Knowledge Management", "Integration", "Operations Support", "Customer Insights",
              "Pricing", "Risk Review", "Product Support", "Platform", "Tooling", "Records", "Partnerships"]
TITLES = {
    "junior": ["Associate", "Coordinator", "Junior Analyst", "Assistant", "Trainee Specialist"],
    "mid": ["Analyst", "Specialist", "Engineer", "Consultant", "Officer", "Advisor"],
    "senior": ["Senior Analyst", "Senior Specialist", "Senior Engineer", "Principal Consultant", "Senior Advisor"],
}
REMOTE_SHARE = 0.08  # generated members working from another site than their team's


@dataclass
class PersonPlan:
    email: str
    name: str
    title: str
    site: str
    gender: str = ""
    seniority: str = ""
    key: str = ""  # set for the story's named people
    team: str = ""
    is_lead: bool = False
    manager_email: str = ""


@dataclass
class TeamPlan:
    name: str
    kind: str  # "office", "division", "department" or "team"
    site: str
    description: str = ""
    parent: str = ""
    story: bool = False
    members: list = field(default_factory=list)  # PersonPlan; the lead first

    @property
    def lead(self):
        return self.members[0] if self.members and self.members[0].is_lead else None


@dataclass
class OrgPlan:
    teams: dict = field(default_factory=dict)  # name -> TeamPlan, parents before children
    named: dict = field(default_factory=dict)  # story key -> PersonPlan

    @property
    def people(self):
        return [person for team in self.teams.values() for person in team.members]

    def rows(self):
        """One dict per person, with the importer's columns."""
        for team in self.teams.values():
            for person in team.members:
                yield {
                    "email": person.email, "name": person.name, "team": team.name, "title": person.title,
                    "site": person.site, "time_zone": SITES[person.site][0], "parent_team": team.parent,
                    "manager_email": person.manager_email, "is_lead": "yes" if person.is_lead else "",
                    "gender": person.gender, "seniority_band": person.seniority,
                }

    def write_csv(self, fh):
        # An import file for `liaison import-org`, read back by Liaison, not an export for a
        # spreadsheet: cells go verbatim (liaison.core.csvexport would change the names).
        writer = csv.DictWriter(fh, fieldnames=list(COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows())

    def csv_text(self):
        buffer = io.StringIO()
        self.write_csv(buffer)
        return buffer.getvalue()


COLUMNS = ("email", "name", "team", "title", "site", "time_zone", "parent_team", "manager_email", "is_lead",
           "gender", "seniority_band")


def story_size(node=STORY):
    return node.size + sum(story_size(child) for child in node.children)


MIN_PEOPLE = story_size()


class _People:
    """Makes people: realistic names for the site, unique emails, gender and seniority."""

    def __init__(self, rng):
        self.rng = rng
        self.fakers = {}
        self.emails = set()

    def faker(self, locale):
        if locale not in self.fakers:
            fake = Faker(locale)
            fake.seed_instance(self.rng.randrange(2**32))
            self.fakers[locale] = fake
        return self.fakers[locale]

    def email_for(self, name):
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
        parts = ["".join(ch for ch in part if ch.isalnum()) for part in ascii_name.replace("-", " ").split()]
        local = ".".join(part for part in parts if part) or "person"
        email, n = f"{local}@{DOMAIN}", 2
        while email in self.emails:
            email, n = f"{local}{n}@{DOMAIN}", n + 1
        self.emails.add(email)
        return email

    def named(self, spec, site):
        email = spec.email or self.email_for(spec.name)
        self.emails.add(email)
        return PersonPlan(email=email, name=spec.name, title=spec.title, site=site, gender=spec.gender,
                          seniority=spec.seniority, key=spec.key)

    def generated(self, site, title=None, seniority=None):
        rng = self.rng
        roll = rng.random()
        if roll < 0.10:
            gender = ""  # no sensitive attributes on file for about one person in ten
        elif roll < 0.55:
            gender = "woman"
        elif roll < 0.95:
            gender = "man"
        elif roll < 0.97:
            gender = "non-binary"
        else:
            gender = "undisclosed"
        if seniority is None:
            seniority = rng.choices(["junior", "mid", "senior"], weights=[30, 45, 25])[0]
        if title is None:
            title = rng.choice(TITLES[seniority])
        if site != HQ and rng.random() < REMOTE_SHARE / 2:
            site = HQ
        elif rng.random() < REMOTE_SHARE / 2:
            site = rng.choice(list(SITES))
        _tz, first_locale, last_locale = SITES[site]
        first_faker, last_faker = self.faker(first_locale), self.faker(last_locale)
        if gender == "woman":
            first = first_faker.first_name_female()
        elif gender == "man":
            first = first_faker.first_name_male()
        else:
            first = first_faker.first_name()
        name = f"{first} {last_faker.last_name()}"
        return PersonPlan(email=self.email_for(name), name=name, title=title, site=site, gender=gender,
                          seniority=seniority if gender else "")


def plan_org(people, rng):
    """An enterprise of exactly `people` people (at least MIN_PEOPLE), laid out by `rng`."""
    if people < MIN_PEOPLE:
        raise ValueError(f"The demo enterprise needs at least {MIN_PEOPLE} people (the story alone has that many).")
    plan, maker = OrgPlan(), _People(rng)
    _add_story(plan, maker, STORY, parent=None, site=HQ, depth=0)
    _add_generated(plan, maker, rng, people - MIN_PEOPLE)
    _set_managers(plan)
    return plan


def _add_story(plan, maker, node, parent, site, depth):
    site = node.site or site
    kind = ("office", "division", "department", "team")[min(depth, 3)]
    if not node.children and depth < 3:
        kind = "team"
    team = TeamPlan(name=node.name, kind=kind, site=site, description=node.description,
                    parent=parent.name if parent else "", story=True)
    plan.teams[team.name] = team
    lead = maker.named(node.lead, site) if node.lead else maker.generated(
        site, title=_lead_title(kind, node.name), seniority=_lead_seniority(kind))
    lead.site = site
    lead.is_lead = True
    team.members.append(lead)
    for spec in node.people:
        team.members.append(maker.named(spec, site))
    while len(team.members) < node.size:
        team.members.append(maker.generated(site))
    for person in team.members:
        person.team = team.name
        if person.key:
            plan.named[person.key] = person
    for child in node.children:
        _add_story(plan, maker, child, team, site, depth + 1)


def _lead_title(kind, name):
    return {"division": f"Senior Vice President, {name}", "department": f"Director, {name}",
            "office": "Chief Executive Officer"}.get(kind, f"Manager, {name}")


def _lead_seniority(kind):
    return "executive" if kind in ("office", "division", "department") else "senior"


def _unique(plan, name):
    candidate, n = name, 2
    while candidate in plan.teams:
        candidate, n = f"{name} {n}", n + 1
    return candidate


def _split(total, parts, rng):
    """`total` split into `parts` near-equal positive shares, with a little jitter."""
    weights = [rng.uniform(0.8, 1.2) for _ in range(parts)]
    shares = [int(total * w / sum(weights)) for w in weights]
    for i in range(total - sum(shares)):
        shares[i % parts] += 1
    return shares


def _add_generated(plan, maker, rng, budget):
    """Divisions of about 2,500 people, departments of about 80, teams of 5 to 12."""
    if budget <= 0:
        return
    root = next(iter(plan.teams.values()))
    n_divisions = max(1, min(len(DIVISIONS), round(budget / 2500)))
    for (division_name, site), share in zip(rng.sample(DIVISIONS, n_divisions),
                                            _split(budget, n_divisions, rng), strict=True):
        division = _new_team(plan, maker, _unique(plan, division_name), "division", site, root,
                             f"The {division_name} division.")
        rest = share - 1
        n_departments = max(1, round(rest / 80)) if rest > 0 else 0
        areas = rng.sample(AREAS, len(AREAS))
        for index, dept_share in enumerate(_split(rest, n_departments, rng) if n_departments else []):
            area = areas[index % len(areas)]
            dept_site = site if rng.random() < 0.8 else rng.choice(list(SITES))
            department = _new_team(plan, maker, _unique(plan, f"{division_name} {area}"), "department", dept_site,
                                   division, f"{area} in {division_name}.")
            left = dept_share - 1
            sizes = []
            while left > 0:
                size = min(left, rng.randint(5, 12))
                if left - size < 3 and sizes:
                    size = left  # no team of one or two: the last one takes the remainder
                sizes.append(size)
                left -= size
            words = rng.sample(TEAM_WORDS, len(TEAM_WORDS))
            for number, size in enumerate(sizes):
                word = words[number % len(words)]
                team = _new_team(plan, maker, _unique(plan, f"{division_name} {word}"), "team", dept_site, department,
                                 f"{word} for {division_name}.")
                for _ in range(size - 1):
                    member = maker.generated(dept_site)
                    member.team = team.name
                    team.members.append(member)


def _new_team(plan, maker, name, kind, site, parent, description):
    team = TeamPlan(name=name, kind=kind, site=site, description=description, parent=parent.name)
    plan.teams[name] = team
    lead = maker.generated(site, title=_lead_title(kind, name), seniority=_lead_seniority(kind))
    lead.site, lead.is_lead, lead.team = site, True, name
    team.members.append(lead)
    return team


def _set_managers(plan):
    for team in plan.teams.values():
        lead = team.lead
        parent_lead = plan.teams[team.parent].lead if team.parent else None
        for person in team.members:
            boss = parent_lead if person is lead else lead
            person.manager_email = boss.email if boss else ""
