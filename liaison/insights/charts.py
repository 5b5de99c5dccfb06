"""Server-side SVG charts for pages and PDFs: no script, no inline style, a text alternative.

Why SVG drawn here rather than the uPlot canvas the pair page uses: the business case is
also a PDF (WeasyPrint draws SVG but runs no JavaScript), and the pages must work under a
strict Content-Security-Policy. Each chart is an `<svg role="img">` named by its <title>
and described by its <desc>, which says the figures in words; the templates put the
same figures in a table next to it, so nobody has to read a bar's length.

Colours are presentation attributes (fill="…"), not style attributes, and pass 4.5:1
against white for text and 3:1 for the bars (WCAG 1.4.11).
"""

from dataclasses import dataclass
from itertools import count

from django.utils.html import escape
from django.utils.safestring import mark_safe

INK = "#1a1a1a"
MUTED = "#545454"
BAR = "#1f5f99"
ALERT = "#a33a00"
GRID = "#c8c8c8"

_ids = count(1)


@dataclass
class Bar:
    label: str
    value: float
    note: str = ""       # shown after the value, e.g. "n = 12"
    alert: bool = False  # drawn in the alert colour (late notice, worse than the rule)


def _fmt(value):
    if value is None:
        return "-"
    if abs(value - round(value)) < 0.05:
        return f"{round(value):,}"
    return f"{value:,.1f}"


def _svg(width, height, title, desc, body, ident):
    return mark_safe(
        f'<svg class="svg-chart" viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'role="img" aria-labelledby="{ident}-t {ident}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>'
        f"{body}</svg>")


def hbar_chart(bars, *, title, unit=""):
    """Horizontal bars, one per row, the value written at the end of each bar.

    Reads well at 390 px: labels sit above their bars, so a long team name never squeezes
    the bar. Returns SafeString markup; an empty list gives an empty string (the template
    says "nothing recorded" instead).
    """
    if not bars:
        return ""
    ident = f"chart{next(_ids)}"
    # a small canvas, so the text stays readable when the figure shrinks to a phone's width
    width, row = 400, 46
    top = max((b.value for b in bars if b.value is not None), default=0) or 1
    parts = []
    for i, b in enumerate(bars):
        y = i * row
        length = 0 if b.value is None else max(2, 230 * max(b.value, 0) / top)
        fill = ALERT if b.alert else BAR
        text = f"{_fmt(b.value)} {unit}".strip() + (f" ({b.note})" if b.note else "")
        parts.append(f'<text x="0" y="{y + 15}" font-size="15" fill="{INK}">{escape(b.label)}</text>'
                     f'<rect x="0" y="{y + 21}" width="{length:.1f}" height="18" fill="{fill}"/>'
                     f'<text x="{length + 6:.1f}" y="{y + 35}" font-size="14" fill="{MUTED}">{escape(text)}</text>')
    desc = "; ".join(f"{b.label}: {_fmt(b.value)} {unit}".strip() + (f" ({b.note})" if b.note else "") for b in bars)
    return _svg(width, row * len(bars), title, desc, "".join(parts), ident)


def column_chart(columns, *, title, unit="", rule=None, rule_label=""):
    """Vertical columns over time (months), with an optional horizontal rule (a threshold).

    `columns` are Bars whose label is the period ("2026-03"); every third label is written
    so twelve or twenty-four months fit in 390 px.
    """
    if not columns:
        return ""
    ident = f"chart{next(_ids)}"
    width, height, left, bottom = 480, 220, 36, 28
    plot_h = height - bottom - 10
    top = max([c.value or 0 for c in columns] + [rule or 0]) or 1
    step = (width - left) / len(columns)
    every = max(1, -(-len(columns) // 5))  # at most five period labels: they never overlap
    parts = [f'<line x1="{left}" y1="{10 + plot_h}" x2="{width}" y2="{10 + plot_h}" stroke="{GRID}"/>',
             f'<text x="0" y="20" font-size="14" fill="{MUTED}">{_fmt(top)}</text>',
             f'<text x="0" y="{10 + plot_h}" font-size="14" fill="{MUTED}">0</text>']
    for i, c in enumerate(columns):
        x = left + i * step
        h = 0 if c.value is None else plot_h * max(c.value, 0) / top
        parts.append(f'<rect x="{x + step * 0.15:.1f}" y="{10 + plot_h - h:.1f}" width="{step * 0.7:.1f}" '
                     f'height="{h:.1f}" fill="{ALERT if c.alert else BAR}"/>')
        if i % every == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - 6}" font-size="14" fill="{MUTED}">{escape(c.label)}</text>')
    if rule is not None:
        y = 10 + plot_h - plot_h * rule / top
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width}" y2="{y:.1f}" stroke="{INK}" '
                     f'stroke-dasharray="6 4"/>')
        parts.append(f'<text x="{width - 4}" y="{y - 4:.1f}" font-size="14" text-anchor="end" fill="{INK}">'
                     f"{escape(rule_label)}</text>")
    desc = "; ".join(f"{c.label}: {_fmt(c.value)} {unit}".strip() + (f" ({c.note})" if c.note else "")
                     for c in columns)
    if rule is not None:
        desc += f". {rule_label}."
    return _svg(width, height, title, desc, "".join(parts), ident)
