from django.contrib import admin

from .models import Invitation, Rule, Suggestion


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("situation", "side", "rank", "move", "enabled", "reason")
    list_filter = ("situation", "side", "enabled")
    list_editable = ("rank", "enabled")


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = ("situation", "move", "about", "person", "shown_at", "taken_at", "outcome")
    list_filter = ("situation", "move", "outcome")
    raw_id_fields = ("person",)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("title", "organiser", "start", "minutes", "about")
    raw_id_fields = ("organiser", "attendees")
