"""The admin site: read mostly. Impacts and timeline entries are append-only, so they are
shown read-only; everything a user does goes through the pages, the API or the services."""

from django.contrib import admin

from .models import ActionItem, Alliance, AllianceMember, Impact, Incident, IncidentEntry, IncidentTeam, Retrospective


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TeamInline(admin.TabularInline):
    model = IncidentTeam
    extra = 0
    raw_id_fields = ["team", "joined_by"]


class ImpactInline(ReadOnlyInline):
    model = Impact
    fields = ["occurred_at", "team", "logged_by", "unit", "unit_label", "amount", "what_happened"]
    readonly_fields = fields


class EntryInline(ReadOnlyInline):
    model = IncidentEntry
    fields = ["at", "kind", "author", "team", "text"]
    readonly_fields = fields


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "severity", "kind", "service_team", "opened_at"]
    list_filter = ["status", "severity", "kind"]
    search_fields = ["title", "summary"]
    date_hierarchy = "opened_at"
    raw_id_fields = ["opened_by", "service_team", "conflict", "changes", "events", "requests", "services"]
    readonly_fields = ["severity"]
    inlines = [TeamInline, ImpactInline, EntryInline]


@admin.register(Retrospective)
class RetrospectiveAdmin(admin.ModelAdmin):
    list_display = ["incident", "proposed_for", "scheduled_at", "facilitator", "reminded_at", "held_at"]
    raw_id_fields = ["incident", "facilitator"]
    readonly_fields = ["uid", "sequence"]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "retrospective", "request"]
    raw_id_fields = ["retrospective", "request", "owner", "created_by"]


class MemberInline(admin.TabularInline):
    model = AllianceMember
    extra = 0
    raw_id_fields = ["team", "invited_by", "joined_by", "signed_by"]


@admin.register(Alliance)
class AllianceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "created_by_team", "service_team", "created_at", "answered_at"]
    raw_id_fields = ["incident", "conflict", "service_team", "created_by_team", "created_by", "answered_by"]
    inlines = [MemberInline]
