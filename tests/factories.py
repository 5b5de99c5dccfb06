"""factory_boy factories for the directory; later domains add theirs beside these."""

import factory

from liaison.org.models import Membership, Person, Service, Team


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        django_get_or_create = ["email"]

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"person{n}@corp.example")
    title = "Engineer"
    site = "HQ"
    password = factory.django.Password("correct horse battery staple")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    person = factory.SubFactory(PersonFactory)
    team = factory.SubFactory(TeamFactory)


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    slug = factory.Sequence(lambda n: f"service-{n}")
    lead_time_days = 5


# --- requests and notify (issue 3) ---------------------------------------------------

import datetime as _dt  # noqa: E402

from django.utils import timezone as _tz  # noqa: E402

from liaison.notify.models import Notification  # noqa: E402
from liaison.requests.models import Request, ServicePolicy, Status  # noqa: E402


class RequestFactory(factory.django.DjangoModelFactory):
    """A submitted request written straight to the table (for lists and figures);
    tests of the rules go through liaison.requests.services instead."""

    class Meta:
        model = Request

    requester = factory.SubFactory(PersonFactory)
    requester_team = factory.SubFactory(TeamFactory)
    service = factory.SubFactory(ServiceFactory)
    provider_team = factory.SelfAttribute("service.team")
    title = factory.Sequence(lambda n: f"Request {n}")
    context = "We need this for the quarterly close; without it the report slips a week."
    need_by = factory.LazyFunction(lambda: _tz.localdate() + _dt.timedelta(days=21))
    due_date = factory.SelfAttribute("need_by")
    date_kind = "flexible"
    status = Status.SUBMITTED
    notice_business_days = 15
    created_at = factory.LazyFunction(_tz.now)
    updated_at = factory.SelfAttribute("created_at")
    submitted_at = factory.SelfAttribute("created_at")


class ServicePolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServicePolicy

    service = factory.SubFactory(ServiceFactory)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(PersonFactory)
    kind = "test.message"
    subject = factory.Sequence(lambda n: f"Message {n}")
    body = "Hello."
    link = "/requests/1/"
    dedupe_key = factory.Sequence(lambda n: f"test:{n}")
    created_at = factory.LazyFunction(_tz.now)
    due_at = factory.SelfAttribute("created_at")


# --- network (issue 6) ---------------------------------------------------------------------

class MeetingSeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "network.MeetingSeries"

    name = factory.Sequence(lambda n: f"Weekly sync {n}")
    owner_team = factory.SubFactory(TeamFactory)
    created_at = factory.LazyFunction(_tz.now)


class OccurrenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "network.Occurrence"

    series = factory.SubFactory(MeetingSeriesFactory)
    starts_at = factory.LazyFunction(_tz.now)
    recurrence_key = factory.Sequence(lambda n: f"occ-{n}")


# --- agenda (liaison.agenda) ------------------------------------------------------------


from liaison.agenda.models import Change, Event, FreezeWindow  # noqa: E402

_AGENDA_T0 = _dt.datetime(2030, 3, 4, 9, 0, tzinfo=_dt.UTC)


class ChangeFactory(factory.django.DjangoModelFactory):
    """A planned change, saved directly (no conflict check): use liaison.agenda.services to test rules."""

    class Meta:
        model = Change
        skip_postgeneration_save = True

    team = factory.SubFactory(TeamFactory)
    title = factory.Sequence(lambda n: f"Change {n}")
    start = _AGENDA_T0
    end = factory.LazyAttribute(lambda o: o.start + _dt.timedelta(hours=2))

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.set(extracted)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event
        skip_postgeneration_save = True

    team = factory.SubFactory(TeamFactory)
    title = factory.Sequence(lambda n: f"Event {n}")
    start = _AGENDA_T0
    end = factory.LazyAttribute(lambda o: o.start + _dt.timedelta(hours=3))
    guard_start = factory.LazyAttribute(lambda o: o.start - _dt.timedelta(hours=o.buffer_hours))
    buffer_hours = 0

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.set(extracted)


class FreezeWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FreezeWindow
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Freeze {n}")
    start = _AGENDA_T0
    end = factory.LazyAttribute(lambda o: o.start + _dt.timedelta(days=2))

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.set(extracted)
