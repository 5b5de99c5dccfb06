"""The demo's service catalogue: the story's services, generated ones, and their dependency graph.

The graph is acyclic by construction: every service sits on a layer (0 = infrastructure,
1 = platforms, 2 = business services, 3 = customer-facing) and depends only on services
of lower layers, so it is at most four levels deep. The story's edges are chosen so that
a Network Group change reaches Product Marketing's customer event through the
collaboration platform (seed 002), the Emergency Department depends on the In-patient
Unit's beds (seed 004), and so on.
"""

from dataclasses import dataclass
from datetime import time

from django.utils.text import slugify

from liaison.org.models import Service, ServiceDependency

from .orgchart import SITES


@dataclass(frozen=True)
class S:
    team: str
    name: str
    layer: int
    lead_time_days: int
    description: str
    intake: str = ""
    depends_on: tuple = ()
    hours: tuple = ("09:00", "17:00")
    working_days: str = "12345"


ROUND_THE_CLOCK = ("00:00", "23:59")

STORY_SERVICES = [
    S("Network Group", "Network upgrades & changes", 0, 10,
      "Planned changes to the corporate network: upgrades, maintenance windows, re-cabling. Changes are "
      "announced on the agenda; the earlier, the better.",
      "Which sites and services your work depends on, the dates that must not be disturbed, and who to call."),
    S("Network Group", "VPN", 1, 3, "Remote access to the corporate network.",
      "Who needs access, from where, and from when.", ("Network upgrades & changes",)),
    S("Network Group", "Wi-Fi", 1, 5, "Wireless networks in every office, guests included.",
      "Site, floor, expected number of people and the date.", ("Network upgrades & changes",)),
    S("Data Center Operations", "Hosting & compute", 0, 10, "Virtual machines, storage and backups.",
      "Capacity, environment, owner and the date you need it by."),
    S("Identity & Access", "Single sign-on", 0, 5, "Sign-in for every internal application."),
    S("Identity & Access", "Access requests", 1, 2, "Accounts and permissions for applications and shares.",
      "Who, which application, which role, and the approving manager.", ("Single sign-on",)),
    S("Collaboration Services", "Video conferencing & webinars", 2, 5,
      "Meetings and large virtual events, with recording and re-runs.",
      "Expected audience, date and time, presenters, and whether customers attend.",
      ("Network upgrades & changes", "Wi-Fi", "Hosting & compute")),
    S("Data Platform", "Data warehouse", 1, 10, "The enterprise data warehouse and its daily loads.",
      depends_on=("Hosting & compute",)),
    S("Business Intelligence Services", "Reporting & dashboards", 2, 10,
      "Standard reports and dashboards for the divisions.",
      "The decision the report supports, the audience, and the figures you use today.", ("Data warehouse",)),
    S("Business Intelligence Services", "Ad-hoc data requests", 2, 5, "One-off extracts and analyses.",
      "The question, why it matters, the date you need it by and what you would accept instead.",
      ("Data warehouse",)),
    S("Enterprise Applications", "Business applications support", 2, 3,
      "Support and small changes for the enterprise's business applications.",
      depends_on=("Hosting & compute", "Single sign-on")),
    S("Product Architecture", "Architecture briefings", 2, 15,
      "The product architecture team presents its vision to customers and colleagues.",
      "Audience, date, the questions they will bring."),
    S("Product Marketing", "Customer events & webinars", 3, 20,
      "Launch events and “meet the architect” sessions for existing customers.",
      "The product, the audience and the date; which teams must present.",
      ("Video conferencing & webinars", "Architecture briefings")),
    S("HQ Finance Operations", "Purchase orders", 1, 5, "Purchase orders for every office, raised at HQ.",
      "Supplier, amount, cost centre, the date you need it by and why it matters.", hours=("08:00", "17:00")),
    S("HQ Finance Operations", "Expense approvals", 1, 3, "Approval and reimbursement of expenses."),
    S("HQ Finance Operations", "Vendor payments", 2, 10, "Paying suppliers on time.",
      depends_on=("Purchase orders",)),
    S("HQ Procurement", "Supplier onboarding", 1, 15, "Due diligence and set-up of new suppliers."),
    S("Remote Office — Singapore", "Regional sales support", 3, 2,
      "Local support for sales in Asia-Pacific.", depends_on=("Purchase orders", "VPN", "Vendor payments")),
    S("Offshore Back-Office Partner", "Document indexing", 1, 2, "Scanning and indexing of claim documents."),
    S("Offshore Back-Office Partner", "Claims back-office processing", 2, 3,
      "Back-office processing of claims for the onshore team.",
      "The claim, its deadline, what is urgent and why, and the expert to ask.", ("Document indexing",),
      hours=("08:00", "17:00")),
    S("Claims Operations", "Claims handling", 3, 5, "Handling customer claims end to end.",
      depends_on=("Claims back-office processing",)),
    # Beds are planned a day ahead: a same-day ask is short notice, owned in a sentence (seed 004).
    S("In-patient Unit", "Bed allocation", 2, 1, "Beds on the wards: admissions and transfers.",
      "The patient's needs, the urgency, and the ward you are asking for.", hours=ROUND_THE_CLOCK,
      working_days="1234567"),
    S("Emergency Department", "Emergency admissions", 3, 0, "Assessment and admission of emergency patients.",
      depends_on=("Bed allocation",), hours=ROUND_THE_CLOCK, working_days="1234567"),
    S("Commercial Lending", "Commercial loan reviews", 3, 10, "Credit reviews of commercial loans.",
      depends_on=("Reporting & dashboards",)),
]

SERVICE_KINDS = [
    ("requests", "Requests to the team, handled in order of need-by date."),
    ("support", "Help with day-to-day questions and problems."),
    ("reviews", "Reviews and sign-offs before work goes ahead."),
    ("reporting", "Regular reports and one-off figures."),
    ("approvals", "Approvals within the team's remit."),
    ("onboarding", "Getting new people, partners or suppliers started."),
]
HOURS = [("08:00", "16:00"), ("09:00", "17:00"), ("08:30", "17:30")]
LEAD_TIMES = [1, 2, 3, 5, 5, 5, 10, 10, 15]


def build_services(rng, enterprise, now):
    """The story's services and about one service per generated team, with a layered dependency graph."""
    plan, teams = enterprise.plan, enterprise.teams
    specs = list(STORY_SERVICES)
    for team_plan in plan.teams.values():
        if team_plan.story or team_plan.kind != "team":
            continue
        count = rng.choices([0, 1, 2], weights=[30, 55, 15])[0]
        for kind, description in rng.sample(SERVICE_KINDS, count):
            specs.append(S(team_plan.name, f"{team_plan.name} {kind}", rng.choice([1, 2, 2, 3, 3]),
                           rng.choice(LEAD_TIMES), description, hours=rng.choice(HOURS)))

    slugs, services = set(), []
    for spec in specs:
        team = teams[spec.team]
        base = slugify(spec.name)[:180] or "service"
        slug, n = base, 2
        while slug in slugs:
            slug, n = f"{base}-{n}", n + 1
        slugs.add(slug)
        services.append(Service(
            team=team, name=spec.name, slug=slug, description=spec.description,
            lead_time_days=spec.lead_time_days,
            time_zone=SITES[team.site][0] if team.site in SITES else "UTC",
            hours_start=time.fromisoformat(spec.hours[0]), hours_end=time.fromisoformat(spec.hours[1]),
            working_days=spec.working_days,
            intake_expectations=spec.intake))
    Service.objects.bulk_create(services, batch_size=1000)
    if any(service.pk is None for service in services):  # databases that do not return ids
        ids = dict(Service.objects.values_list("slug", "pk"))
        for service in services:
            service.pk = service.id = ids[service.slug]
    by_name = {spec.name: service for spec, service in zip(specs, services, strict=True)}
    enterprise.services = {spec.name: by_name[spec.name] for spec in STORY_SERVICES}

    edges = set()
    for spec, service in zip(specs, services, strict=True):
        for other in spec.depends_on:
            edges.add((service.pk, by_name[other].pk))
    by_layer = {layer: [] for layer in range(4)}
    for spec, service in zip(specs, services, strict=True):
        by_layer[spec.layer].append((service, spec))
    story_ids = {by_name[spec.name].pk for spec in STORY_SERVICES}
    for spec, service in zip(specs, services, strict=True):
        if service.pk in story_ids or spec.layer == 0:
            continue
        lower = [candidate for layer in range(spec.layer) for candidate, _ in by_layer[layer]]
        lower_story = [candidate for candidate in lower if candidate.pk in story_ids]
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
            # Half the edges go to the story's shared services: a Network Group change touches many.
            pool = lower_story if lower_story and rng.random() < 0.5 else lower
            if pool:
                edges.add((service.pk, rng.choice(pool).pk))
    ServiceDependency.objects.bulk_create(
        [ServiceDependency(service_id=a, depends_on_id=b) for a, b in sorted(edges)], batch_size=1000)
    enterprise.counts.update(services=len(services), dependencies=len(edges))
