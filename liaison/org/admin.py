from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import ApiToken, Membership, Person, SensitiveAttributes, Service, ServiceDependency, Team


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


@admin.register(SensitiveAttributes)
class SensitiveAttributesAdmin(admin.ModelAdmin):
    """Visible to auditors only — not even to superusers who are not auditors."""

    list_display = ["person", "gender", "seniority_band"]
    autocomplete_fields = ["person"]

    def _auditor(self, request):
        return request.user.is_authenticated and request.user.is_auditor

    def has_module_permission(self, request):
        return self._auditor(request)

    def has_view_permission(self, request, obj=None):
        return self._auditor(request)

    def has_change_permission(self, request, obj=None):
        return self._auditor(request)

    def has_add_permission(self, request):
        return self._auditor(request)

    def has_delete_permission(self, request, obj=None):
        return self._auditor(request)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "person", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    search_fields = ["person__email", "prefix"]
