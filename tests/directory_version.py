"""Test helper for the directory version (liaison/org/cache.py)."""

from django.db import connection


def run_deferred_triggers():
    """What a commit does on PostgreSQL, where the triggers that move the directory version
    are deferred to the commit (which a test's transaction never reaches): run the pending
    ones now, then forget that this transaction moved it (they move it once per transaction)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute("SELECT set_config('liaison.directory_moved', '', true)")
