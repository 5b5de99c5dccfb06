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


from django.utils import timezone as _tz  # noqa: E402


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
