from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Relationship health: two-sided scorecards per pair of teams, monthly trends with
    deterioration alerts, and the fairness audit.

    Reads `requests` (and `network` for meeting attendance) and nobody imports it. Its own
    tables: RequestFact (one row per request, refreshed by the `insights.facts` sweep from
    RequestEvent ids above a watermark), DeteriorationAlert and AuditRun.
    """

    name = "liaison.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self):
        from liaison.core import links
        from liaison.notify.kinds import register

        from . import sweeps  # noqa: F401  (registers insights.facts and insights.alerts)

        register("Relationship health", {
            "insights.deterioration": "A measure of one of my team's relationships moved beyond its own history",
        })
        links.register("nav", "Insights", "insights:index", order=40, active="insights:")
        links.register("team", "Relationship health", "insights:partners", arg="slug", order=40)
