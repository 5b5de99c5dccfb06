"""The demo's two years of requests: the seeds' stories are in the data, open work is waiting,
the history's mail is not sent again, and the same seed builds the same requests."""

import statistics
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import transaction
from django.db.models import Count

from liaison.agenda.demo import STORY_EVENT
from liaison.agenda.models import Event
from liaison.core.business_days import add_business_days
from liaison.demo import builder
from liaison.notify.models import Notification
from liaison.org.models import SensitiveAttributes
from liaison.playbook.coach import coach
from liaison.requests.models import EventKind, Request, RequestEvent, Slip, Status
from liaison.requests.services import inbox_counts

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        enterprise = builder.build_demo(people=builder.DEFAULT_PEOPLE, seed=1, now=NOW)
        yield enterprise
        transaction.set_rollback(True)


def to(team):
    return Request.objects.filter(provider_team__name=team)


def hours_to_acknowledge(requests):
    return [(r.acknowledged_at - r.submitted_at).total_seconds() / 3600
            for r in requests.filter(acknowledged_at__isnull=False, submitted_at__isnull=False)]


@pytest.mark.django_db
def test_two_years_of_requests_each_with_its_history(demo):
    assert demo.counts["requests"] == Request.objects.count() > 800
    assert demo.counts["request events"] == RequestEvent.objects.count()
    first = Request.objects.order_by("created_at").first().created_at
    assert (NOW - first).days > 700
    assert not Request.objects.filter(updated_at__gt=NOW).exists()
    assert not RequestEvent.objects.filter(at__gt=NOW).exists()
    # Every request was created through the service (one "created" event each), and the
    # counters agree with the rows the services wrote.
    assert RequestEvent.objects.filter(kind=EventKind.CREATED).count() == Request.objects.count()
    slips = dict(Slip.objects.values("request").annotate(n=Count("id")).values_list("request", "n"))
    assert slips and all(r.slip_count == slips.get(r.pk, 0) for r in Request.objects.only("pk", "slip_count"))
    statuses = set(Request.objects.values_list("status", flat=True))
    assert {Status.ACCEPTED, Status.DECLINED, Status.COMMITTED, Status.SUBMITTED, Status.FORECAST} <= statuses


@pytest.mark.django_db
def test_the_offshore_partner_slows_down_slips_and_disappoints(demo):
    partner = to("Offshore Back-Office Partner")
    start = partner.order_by("submitted_at").first().submitted_at
    early = partner.filter(submitted_at__lt=start + timedelta(days=90))
    late = partner.filter(submitted_at__gte=NOW - timedelta(days=182))
    assert early.count() >= 15 and late.count() >= 30
    assert statistics.median(hours_to_acknowledge(late)) > 3 * statistics.median(hours_to_acknowledge(early))

    def per_request(qs, field):
        return statistics.mean(qs.values_list(field, flat=True))

    assert per_request(late, "slip_count") > per_request(early, "slip_count") + 0.5  # extended again and again
    assert late.filter(slip_count__gte=2).exists()
    accepted_late = late.filter(status=Status.ACCEPTED)
    assert per_request(accepted_late, "quality") < per_request(early.filter(status=Status.ACCEPTED), "quality")
    assert accepted_late.filter(rework_count__gt=0).exists()
    assert partner.filter(escalated_at__isnull=False).count() >= 5


@pytest.mark.django_db
def test_women_wait_longer_for_the_offshore_partner(demo):
    gender = dict(SensitiveAttributes.objects.values_list("person_id", "gender"))
    waits = {"woman": [], "man": []}
    for request in to("Offshore Back-Office Partner").filter(acknowledged_at__isnull=False):
        group = gender.get(request.requester_id)
        if group in waits:
            waits[group].append(request.acknowledged_at - request.submitted_at)
    assert len(waits["woman"]) >= 20 and len(waits["man"]) >= 20
    assert statistics.median(waits["woman"]) > 1.2 * statistics.median(waits["man"])


@pytest.mark.django_db
def test_the_remote_office_waits_less_after_the_exchanges(demo):
    hq = to("HQ Finance Operations").filter(requester_team__name="Remote Office — Singapore")
    before = hq.filter(submitted_at__lt=NOW - timedelta(days=320))
    lately = hq.filter(submitted_at__gte=NOW - timedelta(days=200))
    assert statistics.median(hours_to_acknowledge(before)) > 3 * statistics.median(hours_to_acknowledge(lately))
    # Heads-ups ("80 % likely, we will know by ..."), and thanks saying what the delivery made possible.
    forecasts = RequestEvent.objects.filter(kind=EventKind.CREATED, request__in=hq, data__forecast=True)
    assert forecasts.count() >= 5 and forecasts.filter(data__probability=80).exists()
    assert hq.filter(thanks__impact__gt="").count() >= 10
    assert all(len(r.context.split()) >= 12 for r in hq)


@pytest.mark.django_db
def test_the_emergency_department_asks_at_short_notice_and_owns_it(demo):
    beds = to("In-patient Unit").filter(requester_team__name="Emergency Department")
    assert beds.count() >= 100 and not beds.exclude(date_kind="hard").exists()
    short = beds.filter(short_notice=True)
    assert short.count() >= 50
    assert not short.filter(short_notice_owned="").exists()
    assert short.filter(short_notice_owned__icontains="same-day").exists()
    flagged = [r for r in beds if any(a.code in ("demanding_wording", "all_capitals") for a in coach(
        {"title": r.title, "context": r.context, "need_by": r.need_by, "date_kind": r.date_kind,
         "options": r.options}))]
    assert 10 <= len(flagged) < beds.count() / 2
    # More demanding in the first year than lately (after the homework with the unit's director).
    year_ago = NOW - timedelta(days=365)
    old = [r for r in flagged if r.created_at < year_ago]
    assert len(old) / beds.filter(created_at__lt=year_ago).count() > (len(flagged) - len(old)) / beds.filter(
        created_at__gte=year_ago).count()


@pytest.mark.django_db
def test_product_marketing_asks_around_the_customer_event(demo):
    event = Event.objects.get(title=STORY_EVENT)
    pm = Request.objects.filter(requester_team__name="Product Marketing")
    webinar = pm.get(title__startswith="Webinar platform for “Meet the architect”")
    assert webinar.status == Status.COMMITTED and webinar.committed_date == event.start.date()
    assert RequestEvent.objects.filter(request=webinar, kind=EventKind.CONFIRMED).exists()  # was a heads-up
    network = pm.get(provider_team__name="Network Group", status=Status.SUBMITTED)
    assert network.short_notice and "announced" in network.short_notice_owned
    assert network.options and network.milestone == "Meet the architect"
    assert pm.filter(status=Status.FORECAST, confirm_by__gte=NOW.date()).exists()
    assert pm.filter(status=Status.ACCEPTED, thanks__isnull=False).exists()  # the launch webinar, months ago


@pytest.mark.django_db
def test_open_work_waits_in_the_inboxes(demo):
    today = NOW.date()
    open_ = Request.objects.open()
    assert open_.filter(status=Status.SUBMITTED).count() >= 2
    assert open_.filter(status=Status.COMMITTED, due_date__gte=today,
                        due_date__lte=add_business_days(today, 3)).exists()
    assert open_.filter(due_date__lt=today).exists()
    assert open_.filter(open_blockers__gt=0).count() >= 1
    assert Request.objects.filter(status=Status.FORECAST, confirm_by__gte=today).count() >= 2
    assert inbox_counts(demo.team("Offshore Back-Office Partner"), now=NOW)["overdue"] >= 1
    assert inbox_counts(demo.team("HQ Finance Operations"), now=NOW)["blocked"] == 1


@pytest.mark.django_db
def test_no_pending_notification_older_than_today(demo):
    midnight = datetime.combine(NOW.date(), time.min, tzinfo=UTC)
    sent = Notification.objects.filter(state=Notification.State.SENT, kind__startswith="request.")
    assert sent.count() > 1000 and demo.counts["past notifications"] >= sent.count()
    assert not sent.filter(created_at__gte=midnight).exists()
    assert not Notification.objects.filter(state=Notification.State.PENDING, created_at__lt=midnight).exists()
    assert sent.first().sent_at == sent.first().created_at
