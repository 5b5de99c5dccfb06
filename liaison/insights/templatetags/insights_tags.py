"""Formatting of scorecard figures: hours as hours or days, rates as %, intervals."""

from django import template

register = template.Library()


@register.filter
def hours(value):
    if value is None:
        return "not yet"
    if value < 48:
        return f"{value:.0f} h"
    return f"{value / 24:.1f} d"


def _one(value, unit):
    if value is None:
        return "?"
    if unit == "h":
        return hours(value)
    if unit == "%":
        return f"{value:.0f} %"
    if unit == "d":
        return f"{value:.1f} d"
    return f"{value:.2f}"


@register.filter
def show_value(f):
    return _one(f["value"], f["unit"])


@register.filter
def show_ci(f):
    return f"{_one(f['lo'], f['unit'])} - {_one(f['hi'], f['unit'])}"


@register.filter
def cell(pair, unit):
    value, _n = pair
    if value is None:
        return "—"
    return _one(value, {"hours": "h"}.get(unit, unit))


@register.filter
def amount(value):
    """A Decimal total without trailing zeros, the same on SQLite and PostgreSQL ("48.5", "1500")."""
    from liaison.insights.business_case import amount as plain

    return plain(value) if value is not None else ""


@register.filter
def health_class(value):
    if value is None:
        return ""
    return "bad" if value < 60 else "warn" if value < 80 else "ok"


@register.simple_tag(takes_context=True)
def same_pattern(context, incident):
    """{% same_pattern incident as sp %}: the other service teams with this incident's pattern
    (patterns.same_pattern, for the signed-in viewer). The incident page includes
    "insights/_same_pattern.html", so incidents never imports insights."""
    from django.utils import timezone

    from liaison.insights.patterns import same_pattern as find

    return find(incident, context["request"].user, timezone.now())
