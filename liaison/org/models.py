"""The directory: teams in a tree, people, memberships, services and dependencies.

Every person in the org chart is a Person and so a possible user: an imported person
has no usable password until they reset it (or SSO signs them in). Sensitive attributes
live apart, in SensitiveAttributes, readable only by auditors.
"""

import hashlib
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

AUDITORS_GROUP = "Auditors"


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Paris, UTC).")


class DirectoryQuerySet(models.QuerySet):
    """The directory is open to everyone signed in to the organisation, and to nobody else.

    Requests, incidents and notes are narrower; they have their own visible_to().
    """

    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self


class PersonQuerySet(DirectoryQuerySet):
    def visible_to(self, user):
        return super().visible_to(user).filter(is_active=True)

    def search(self, text):
        text = text.strip()
        if not text:
            return self
        return self.filter(Q(name__icontains=text) | Q(email__icontains=text) | Q(title__icontains=text))


class TeamQuerySet(DirectoryQuerySet):
    def search(self, text):
        """Teams whose name or description holds `text`: the one team search of every door
        (directory page, header search box, API)."""
        text = text.strip()
        if not text:
            return self
        return self.filter(Q(name__icontains=text) | Q(description__icontains=text))


class PersonManager(BaseUserManager.from_queryset(PersonQuerySet)):
    use_in_migrations = True

    def _create(self, email, password, **fields):
        if not email:
            raise ValueError("An email address is required.")
        person = self.model(email=self.normalize_email(email).lower(), **fields)
        person.set_password(password)
        person.save(using=self._db)
        return person

    def create_user(self, email, password=None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        fields.setdefault("name", email.split("@")[0])
        return self._create(email, password, **fields)


class Person(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True)
    site = models.CharField(max_length=100, blank=True, db_index=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    manager = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="reports")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField("org admin", default=False,
                                   help_text="Org admins manage the directory and use the admin site.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = PersonManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"
        indexes = [models.Index(fields=["name"])]

    def __str__(self):
        return self.name or self.email

    def get_absolute_url(self):
        return reverse("person", args=[self.pk])

    def clean(self):
        super().clean()
        self.email = self.email.strip().lower()
        if self.manager_id and self.manager_id == self.pk:
            raise ValidationError({"manager": "A person cannot be their own manager."})

    # --- roles ---------------------------------------------------------------------
    @property
    def is_org_admin(self):
        return self.is_active and self.is_staff

    @property
    def is_auditor(self):
        """Auditors read sensitive attributes. Deliberately not implied by superuser."""
        if not self.is_active:
            return False
        cached = getattr(self, "_is_auditor", None)
        if cached is None:
            cached = self._is_auditor = self.groups.filter(name=AUDITORS_GROUP).exists()
        return cached

    @property
    def is_team_lead(self):
        return self.led_teams.exists()

    @property
    def roles(self):
        roles = ["member"]
        if self.is_team_lead:
            roles.append("team lead")
        if self.is_org_admin:
            roles.append("org admin")
        if self.is_auditor:
            roles.append("auditor")
        return roles


class SensitiveAttributes(models.Model):
    """Optional attributes used only, aggregated, by the fairness audit.

    Stored apart from the profile so that no page or API that shows a person can
    reach them by accident; only auditors read them (see services.sensitive_attributes).
    """

    class Gender(models.TextChoices):
        WOMAN = "woman", "Woman"
        MAN = "man", "Man"
        NON_BINARY = "non-binary", "Non-binary"
        UNDISCLOSED = "undisclosed", "Prefer not to say"

    class Seniority(models.TextChoices):
        JUNIOR = "junior", "Junior"
        MID = "mid", "Mid-level"
        SENIOR = "senior", "Senior"
        EXECUTIVE = "executive", "Executive"

    person = models.OneToOneField(Person, on_delete=models.CASCADE, primary_key=True,
                                  related_name="sensitive")
    gender = models.CharField(max_length=20, choices=Gender.choices, blank=True)
    seniority_band = models.CharField(max_length=20, choices=Seniority.choices, blank=True)

    class Meta:
        verbose_name_plural = "sensitive attributes"

    def __str__(self):
        return f"Sensitive attributes of person #{self.person_id}"


class Team(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    lead = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="led_teams")
    site = models.CharField(max_length=100, blank=True)
    members = models.ManyToManyField(Person, through="Membership", related_name="teams")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("team", args=[self.slug])

    def clean(self):
        super().clean()
        seen, node = set(), self.parent
        while node is not None:
            if node.pk == self.pk or node.pk in seen:
                raise ValidationError({"parent": "A team cannot be inside itself (the org tree would loop)."})
            seen.add(node.pk)
            node = node.parent

    def ancestors(self):
        """Parent, grandparent, ... up to the root (nearest first)."""
        chain, node, seen = [], self.parent, {self.pk}
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return chain


class Membership(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "team"], name="unique_membership")]

    def __str__(self):
        return f"{self.person} in {self.team}"


working_days_validator = RegexValidator(r"^[1-7]{1,7}$", "Working days are ISO weekday digits, e.g. 12345.")


class ServiceQuerySet(DirectoryQuerySet):
    def search(self, text):
        text = text.strip()
        if not text:
            return self
        return self.filter(Q(name__icontains=text) | Q(description__icontains=text)
                           | Q(team__name__icontains=text))


class Service(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True,
                            help_text="Also the local part of the service's intake address.")
    description = models.TextField(blank=True)
    lead_time_days = models.PositiveSmallIntegerField(
        default=5, validators=[MaxValueValidator(365)],
        help_text="Published lead time, in business days.")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    hours_start = models.TimeField(default="09:00")
    hours_end = models.TimeField(default="17:00")
    working_days = models.CharField(max_length=7, default="12345", validators=[working_days_validator])
    intake_expectations = models.TextField(blank=True, help_text="What a good request to this service contains.")
    depends_on = models.ManyToManyField("self", through="ServiceDependency", symmetrical=False,
                                        related_name="dependents")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="unique_service_name_per_team")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("service", args=[self.slug])

    @property
    def intake_address(self):
        return f"{self.slug}@{settings.LIAISON_MAIL_DOMAIN}"

    def clean(self):
        super().clean()
        if self.hours_start and self.hours_end and self.hours_end <= self.hours_start:
            raise ValidationError({"hours_end": "Business hours must end after they start."})


class ServiceDependency(models.Model):
    """`service` depends on `depends_on`: a change to the latter can hurt the former."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="dependency_links")
    depends_on = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="dependent_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "depends_on"], name="unique_service_dependency"),
            models.CheckConstraint(condition=~Q(service=models.F("depends_on")), name="no_self_dependency"),
        ]

    def __str__(self):
        return f"{self.service} → {self.depends_on}"


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True, person__is_active=True)

    def visible_to(self, user):
        """A person sees (and may revoke) only their own tokens; nobody sees anyone else's."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(person=user)


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, default="API token")
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise a token.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.prefix}… ({self.person})"

    @staticmethod
    def hash(key):
        return hashlib.sha256(key.encode()).hexdigest()


# --- who audits: joining or leaving the Auditors group (liaison/org/auditors.py) -----------------

class AuditLogEntry(models.Model):
    """An append-only record of sensitive actions (today: Auditors group changes).

    Kept deliberately small; a general audit trail (django-auditlog, issue #18) will take
    over. Rows are never updated or deleted through the ORM: save() refuses an update and
    delete() refuses outright.
    """

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=40)
    subject = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.subject} by {self.actor}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("The audit log is append-only.")


class AuditorChange(models.Model):
    """A request to add a person to the Auditors group or remove them; a second org admin decides."""

    class Action(models.TextChoices):
        JOIN = "join", "Join the Auditors"
        LEAVE = "leave", "Leave the Auditors"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a second org admin"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=5, choices=Action.choices)
    reason = models.TextField()
    requested_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self):
        return f"{self.get_action_display()}: {self.person} ({self.get_status_display().lower()})"
