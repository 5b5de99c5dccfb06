"""Warm a web worker before it takes traffic (`liaison serve`, issue 15).

Everything heavy is imported where it is used (insights' statistics, the network graph,
the API's schemas), so that one-shot processes such as the MTA pipe (`liaison mail
ingest`) start in a fraction of a second. A web worker is the opposite case: it lives for
hours, and the first visitor of a statistics page would otherwise wait 2-4 s while scipy
and lifelines load. gunicorn calls `post_worker_init` (liaison/gunicorn_conf.py) in each
worker after the application is loaded and before the worker accepts a connection; this
module is never imported on the mail path.
"""

import importlib
import logging
import time

logger = logging.getLogger("liaison.serve")

#: Imported in each web worker before it serves: the URLconf (every view and API router),
#: then what the statistics pages load on first use.
PRELOAD = (
    "numpy",
    "scipy.stats",
    "lifelines",
    "lifelines.statistics",
    "lifelines.utils",
    "networkx",
    "liaison.insights.survival",
    "liaison.insights.fairness",
    "liaison.insights.trends",
    "liaison.insights.scorecards",
    "liaison.network.graph",
)


def preload():
    """Import the URLconf and the analytics modules; returns (module names, seconds)."""
    from django.urls import get_resolver

    started = time.perf_counter()
    get_resolver().url_patterns  # noqa: B018 - imports every view module and the API
    for name in PRELOAD:
        importlib.import_module(name)
    # scipy.stats and lifelines import much of their code on first call; one tiny fit
    # each brings in the rest (a few ms once the modules are loaded).
    from lifelines import KaplanMeierFitter
    from scipy.stats import mannwhitneyu, theilslopes

    KaplanMeierFitter().fit([1.0, 2.0, 3.0], [1, 1, 0])
    mannwhitneyu([1, 2, 3], [2, 3, 4])
    theilslopes([1.0, 2.0, 4.0])
    return PRELOAD, time.perf_counter() - started
