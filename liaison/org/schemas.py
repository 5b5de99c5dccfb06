"""What the directory API reads and writes: one schema per shape, nothing implicit.

Output schemas list their fields one by one, so a new model field (or a sensitive one)
never leaks into the API by accident; SensitiveAttributes appear nowhere here.

Input schemas check shape and type (ninja answers 422 naming the field); business rules
(uniqueness, time zones, working days, cycles) stay in the model and services, which
answer 400 naming the field. Every text input refuses NUL characters, which PostgreSQL
cannot store or compare.
"""

from datetime import datetime, time
from typing import Annotated

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination
from pydantic import AfterValidator, PlainSerializer, StringConstraints, WithJsonSchema


def _no_nul(value):
    if value is not None and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def Text(max_length):  # reads as a type in the schemas below
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_no_nul)]


Name = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_no_nul)]
Slug = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_no_nul)]
Search = Annotated[str, StringConstraints(max_length=200), AfterValidator(_no_nul)]


def _local(value):
    if value.tzinfo is not None:
        raise ValueError("is a local time of day in the service's time zone: give it without an offset")
    return value


# Business hours are wall-clock times in the service's own time zone, written "09:00".
# (JSON Schema's "time" format demands an offset, which would be wrong here.)
ClockTime = Annotated[
    time,
    AfterValidator(_local),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
                    "examples": ["09:00"]}),
]


class Pages(PageNumberPagination):
    """?page=N&page_size=M (at most 100). Bounded, so no page asks the database for an absurd offset."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1, le=100)

    def __init__(self, **kwargs):
        super().__init__(page_size=50, max_page_size=100, **kwargs)


# --- references: how one object names another --------------------------------------

class PersonRef(Schema):
    id: int
    name: str
    email: str


class TeamRef(Schema):
    slug: str
    name: str


class ServiceRef(Schema):
    slug: str
    name: str
    team: TeamRef


# --- people --------------------------------------------------------------------------

class PersonOut(Schema):
    id: int
    email: str
    name: str
    title: str
    site: str
    time_zone: str
    manager: PersonRef | None


class PersonDetail(PersonOut):
    teams: list[TeamRef]
    led_teams: list[TeamRef]


class Me(PersonDetail):
    roles: list[str]
    is_org_admin: bool


class PersonIn(Schema):
    email: Annotated[str, StringConstraints(min_length=3, max_length=254), AfterValidator(_no_nul)]
    name: Name
    title: Text(200) = ""
    site: Text(100) = ""
    time_zone: Text(64) = "UTC"
    manager: int | None = Field(None, description="The manager's person id.")


class PersonPatch(Schema):
    email: Annotated[str, StringConstraints(min_length=3, max_length=254), AfterValidator(_no_nul)] = None
    name: Name = None
    title: Text(200) = None
    site: Text(100) = None
    time_zone: Text(64) = None
    manager: int | None = Field(None, description="The manager's person id, or null for none.")
    is_active: bool = Field(None, description="false deactivates the person (and their API tokens).")


# --- teams ---------------------------------------------------------------------------

class TeamOut(Schema):
    id: int
    slug: str
    name: str
    description: str
    site: str
    parent: TeamRef | None
    lead: PersonRef | None


class TeamDetail(TeamOut):
    children: list[TeamRef]
    members: list[PersonRef]
    services: list[ServiceRef]


class TeamIn(Schema):
    name: Name
    parent: Slug | None = Field(None, description="The parent team's slug.")
    lead: int | None = Field(None, description="The lead's person id; the lead becomes a member.")
    description: Text(5000) = ""
    site: Text(100) = ""


class TeamPatch(Schema):
    name: Name = None
    parent: Slug | None = Field(None, description="The parent team's slug, or null for a root team.")
    lead: int | None = Field(None, description="The lead's person id, or null for none.")
    description: Text(5000) = None
    site: Text(100) = None


# --- services ------------------------------------------------------------------------

class ServiceOut(Schema):
    id: int
    slug: str
    name: str
    team: TeamRef
    description: str
    lead_time_days: int = Field(description="Published lead time, in business days.")
    time_zone: str
    hours_start: ClockTime
    hours_end: ClockTime
    working_days: str = Field(description="ISO weekday digits, e.g. 12345 for Monday to Friday.")
    intake_expectations: str
    intake_address: str


class ServiceDetail(ServiceOut):
    depends_on: list[ServiceRef]
    dependents: list[ServiceRef]


class ServiceIn(Schema):
    team: Slug = Field(description="The owning team's slug.")
    name: Name
    slug: Slug | None = Field(
        None, description="Also the local part of the intake address; derived from the name if omitted.")
    description: Text(5000) = ""
    lead_time_days: int = Field(5, ge=0, le=365)
    time_zone: Text(64) = "UTC"
    hours_start: ClockTime = time(9, 0)
    hours_end: ClockTime = time(17, 0)
    working_days: Text(7) = "12345"
    intake_expectations: Text(5000) = ""


class ServicePatch(Schema):
    team: Slug = None
    name: Name = None
    description: Text(5000) = None
    lead_time_days: int = Field(None, ge=0, le=365)
    time_zone: Text(64) = None
    hours_start: ClockTime = None
    hours_end: ClockTime = None
    working_days: Text(7) = None
    intake_expectations: Text(5000) = None


class DependencyIn(Schema):
    depends_on: Slug = Field(description="The slug of the service this one depends on.")


# --- tokens --------------------------------------------------------------------------

class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The token's first characters, to recognise it.")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    key: str = Field(description="The token itself. Shown once: store it now.")


class TokenIn(Schema):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_no_nul)] = "API token"


class Message(Schema):
    detail: str


class FieldError(Schema):
    field: str | None
    message: str


class Invalid(Schema):
    """A 400. `errors` names each field at fault; a body that is not JSON at all has only `detail`."""

    detail: str
    errors: list[FieldError] = []
