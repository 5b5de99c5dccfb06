from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from . import auditors
from .models import (
    AUDITORS_GROUP,
    ApiToken,
    AuditLogEntry,
    AuditorChange,
    Membership,
    Person,
    Service,
    ServiceDependency,
    Team,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["person"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "lead", "site"]
    search_fields = ["name"]
    autocomplete_fields = ["parent", "lead"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Person)
class PersonAdmin(UserAdmin):
    ordering = ["name"]
    list_display = ["name", "email", "title", "site", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_active", "groups"]
    search_fields = ["name", "email"]
    autocomplete_fields = ["manager"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["name", "title", "site", "time_zone", "manager"]}),
        ("Roles", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
    ]
    add_fieldsets = [(None, {"fields": ["email", "name", "password1", "password2"]})]

    # The Auditors group is not offered here: joining or leaving it goes through an
    # AuditorChange that a second org admin approves (liaison/org/auditors.py).
    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = Group.objects.exclude(name=AUDITORS_GROUP)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        was_auditor = change and form.instance.groups.filter(name=AUDITORS_GROUP).exists()
        super().save_related(request, form, formsets, change)
        if was_auditor:  # the form did not show the group, so it must not drop it
            form.instance.groups.add(Group.objects.get(name=AUDITORS_GROUP))


class DependencyInline(admin.TabularInline):
    model = ServiceDependency
    fk_name = "service"
    extra = 0
    autocomplete_fields = ["depends_on"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "lead_time_days"]
    search_fields = ["name", "team__name"]
    autocomplete_fields = ["team"]
    inlines = [DependencyInline]


# SensitiveAttributes (gender, seniority band) have no admin page on purpose: they are read
# only in aggregate through the fairness audit, by everyone, auditors included, and written
# by the org-chart import.


class AuditorChangeForm(forms.ModelForm):
    class Meta:
        model = AuditorChange
        fields = ["person", "action", "reason"]

    def clean(self):
        data = super().clean()
        if data.get("person") and data.get("action"):
            auditors.check_ask(data["person"], action=data["action"], reason=data.get("reason"))
        return data


@admin.register(AuditorChange)
class AuditorChangeAdmin(admin.ModelAdmin):
    """Ask for someone to join or leave the Auditors; a second org admin approves or refuses."""

    form = AuditorChangeForm
    list_display = ["person", "action", "status", "requested_by", "requested_at", "decided_by", "decided_at"]
    list_filter = ["status", "action"]
    autocomplete_fields = ["person"]
    actions = ["approve", "refuse"]

    def has_change_permission(self, request, obj=None):
        return obj is None and request.user.is_org_admin

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        created = auditors.ask(obj.person, action=obj.action, reason=obj.reason, by=request.user, now=timezone.now())
        obj.pk = created.pk

    def _decide(self, request, queryset, approve):
        for change in queryset:
            try:
                auditors.decide(change, approve=approve, by=request.user, now=timezone.now())
                self.message_user(request, f"{change}.")
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{change.person}: {' '.join(getattr(exc, 'messages', [str(exc)]))}",
                                  level=messages.ERROR)

    @admin.action(description="Approve (you must not be the one who asked)")
    def approve(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description="Refuse")
    def refuse(self, request, queryset):
        self._decide(request, queryset, False)


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only."""

    list_display = ["at", "action", "subject", "actor", "detail"]
    list_filter = ["action"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "person", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    search_fields = ["person__email", "prefix"]
