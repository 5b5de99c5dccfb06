"""HTML to PDF with WeasyPrint (pinned in pyproject.toml; it draws with Debian's Pango).

The PDF's HTML is self-contained: its CSS is in the template and its charts are inline
SVG, so the fetcher allows only data: URLs — rendering never reaches the network or the
file system, whatever a title or a team name contains.

WeasyPrint is imported on the first PDF, not when the URLconf loads: it takes a second
or more to import, which every process would otherwise pay before serving its first page.
"""

import logging


def html_to_pdf(html):
    """The PDF bytes of a self-contained HTML document."""
    # WeasyPrint reports every rendering step at INFO ("Step 2 - Fetching and parsing CSS"),
    # even while importing; Liaison logs at INFO, so keep its progress out of the service's log.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",))).write_pdf()
