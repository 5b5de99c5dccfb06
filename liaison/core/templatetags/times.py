"""The `when` filter (a template built-in, see settings.TEMPLATES): liaison.core.times.show."""

from datetime import datetime

from django import template
from django.utils.html import format_html

from liaison.core import times

register = template.Library()


@register.filter
def when(value, style="long"):
    """{{ dt|when }} → <time datetime="…">Tue 1 Dec 2026, 16:35 CET</time> in the viewer's zone;
    {{ dt|when:"short" }}, {{ dt|when:"time" }}; a date is shown as a date."""
    if value in (None, ""):
        return ""
    iso = value.isoformat()
    return format_html('<time datetime="{}">{}</time>', iso, times.show(value, None, style))


@register.filter
def when_text(value, style="long"):
    """The same text without the <time> element (for attributes, titles, mail)."""
    return times.show(value, None, style) if isinstance(value, datetime) or value else ""


@register.simple_tag(takes_context=True)
def zone_label(context):
    """The name of the zone times on this page are shown in ("Europe/Paris")."""
    from django.utils import timezone

    return timezone.get_current_timezone_name()
