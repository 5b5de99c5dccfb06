"""Writing new requests: the one small function that hides the database engine.

insert_new_requests(plans) writes each planned request (liaison.requests.creating), its
"created" event and its notifications, and sends post_save for the request and the event
as save() would (liaison.notify.chat forwards events to chat webhooks). Two ways, one
result (tests/requests/test_create_fast_path.py compares the rows):

- PostgreSQL, one request: one prepared statement (below), one round trip.
- Otherwise (SQLite; a batch from the mail ingest): the ORM's bulk INSERTs, three
  statements whatever the number of requests, in one transaction.

The notification rows are notify's (liaison.notify.services.message_rows), and so is the
statement that inserts them (liaison.notify.services.queue, or its SQL for the CTE).
"""

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

from liaison.core.sql import dumps, json_insert_sql, row
from liaison.notify.services import queue, queue_params, queue_sql

from .models import Request, RequestEvent
from .rules import _saved_in_bulk


def insert_new_requests(plans):
    """Write the planned requests (liaison.requests.creating.NewRequest) with their
    "created" events and notifications; the plans' request and event get their ids.

    The only place that knows the engine: one request on PostgreSQL goes in one prepared
    statement (one round trip); anything else goes through the ORM in bulk.
    """
    if connection.vendor == "postgresql" and len(plans) == 1:
        _insert_in_one_statement(plans[0])
        _saved(plans)
        return
    with transaction.atomic():
        Request.objects.bulk_create([plan.request for plan in plans])
        RequestEvent.objects.bulk_create([plan.event for plan in plans])  # their request now has its id
        queue([note for plan in plans for note in plan.notification_rows()])
        _saved(plans)


def _saved(plans):
    _saved_in_bulk([obj for plan in plans for obj in (plan.request, plan.event)])


# --- one round trip for a new request (PostgreSQL) ------------------------------------------
#
# Creating a request writes three rows: the request, its "created" event and one
# notification per recipient. Through the ORM that is BEGIN, three INSERTs and COMMIT:
# five round trips, each a wake-up of the database server (on a busy machine each costs
# milliseconds of waiting), and ~60 parameters adapted one by one. On PostgreSQL,
# _insert_in_one_statement sends the three INSERTs as one statement (data-modifying CTEs),
# atomic by itself: one round trip, each row as one JSON parameter that
# json_populate_record turns into the table's row type (liaison.core.sql). The rows are
# the same model instances the ORM path saves (every concrete field, through its
# pre_save); the notifications' INSERT is notify's own (notify.services.queue_sql); the
# ids the event and notifications need come from the CTEs.
# The statement is prepared once per connection and bound server-side (_prepared_cursor):
# Django's psycopg cursors merge parameters into the SQL text client-side, and the
# server would parse and plan this three-table statement again on every create.
# Figures, before and after each step: bench/README.md (requests_api.py).

_REQUEST_ID, _EVENT_ID = "\x1frequest\x1f", "\x1fevent\x1f"  # stand-ins until the INSERT gives the ids
_NEW_REQUEST_SQL = None


def _new_request_sql():
    """The one statement (built once per process; psycopg caches its parsing too)."""
    global _NEW_REQUEST_SQL
    if _NEW_REQUEST_SQL is None:
        q = connection.ops.quote_name
        with_ids = "replace(replace({}, %s, (SELECT id FROM r)::text), %s, (SELECT id FROM e)::text)"
        requests = json_insert_sql(Request, "json_populate_record")
        events = json_insert_sql(RequestEvent, "json_populate_record", extra=[("request_id", "(SELECT id FROM r)")])
        notes = queue_sql(expressions={c: with_ids.format(q(c)) for c in ("dedupe_key", "link")})
        _NEW_REQUEST_SQL = (f"WITH r AS ({requests} RETURNING id), e AS ({events} RETURNING id), "
                            f"n AS ({notes}) SELECT (SELECT id FROM r), (SELECT id FROM e)")
    return _NEW_REQUEST_SQL


def _prepared_cursor():
    """A Django cursor (query log, error translation) over a psycopg cursor that binds
    parameters server-side and prepares its statements on first use, on this connection.

    Only cursors opened here prepare: Django's own are client-side (ClientCursor, unless
    the database OPTIONS ask for server_side_binding, which Liaison does not), which never
    prepare, so setting the connection's threshold leaves every other query as is.
    LIAISON_DB_PREPARED_STATEMENTS=0 turns this off, for a pooler that does not keep a
    server connection per client (PgBouncer in transaction mode).
    """
    if not settings.LIAISON_DB_PREPARED_STATEMENTS:
        return connection.cursor()
    connection.ensure_connection()
    raw = connection.connection
    raw.prepare_threshold = 0
    import psycopg  # here, not at the top: SQLite processes (the mail pipe) need not load it

    cursor = psycopg.Cursor(raw)
    return _LoggedPreparedCursor(cursor, connection) if connection.queries_logged else connection.make_cursor(cursor)


class _LoggedPreparedCursor(CursorDebugWrapper):
    """When queries are logged (DEBUG, tests): logs the statement as written, with its %s
    placeholders, since psycopg keeps no text of a server-side bound statement."""

    def execute(self, sql, params=None):
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)


def _insert_in_one_statement(plan):
    """INSERT the plan's request, event and notifications in one statement.

    The notification rows are built while request.pk and event.pk hold the stand-ins
    _REQUEST_ID and _EVENT_ID (in their dedupe keys and links); the statement puts the
    real ids in their place.
    """
    request, event = plan.request, plan.event
    request.pk, event.pk = _REQUEST_ID, _EVENT_ID
    try:
        notes = plan.notification_rows()
    finally:
        request.pk = event.pk = None
    params = [dumps(row(request)), dumps(row(event, skip=("request_id",))),  # the notifications' SELECT
              _REQUEST_ID, _EVENT_ID, _REQUEST_ID, _EVENT_ID, queue_params(notes)]  # comes first
    with _prepared_cursor() as cursor:
        cursor.execute(_new_request_sql(), params)
        request_id, event_id = cursor.fetchone()
    request.pk, event.pk, event.request_id = request_id, event_id, request_id
