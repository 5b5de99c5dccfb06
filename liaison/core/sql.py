"""One INSERT per table from JSON rows: the pieces of a statement that writes several
tables in one round trip (PostgreSQL data-modifying CTEs).

A model instance becomes a JSON object of its columns (every concrete field but the
primary key, through the field's pre_save, as save() would send them);
json_populate_record(set) turns that JSON back into the table's row type on the server.
Used by liaison.requests.store (the request and its event) and liaison.notify.services
(its notification rows), each for its own tables.
"""

import json
from datetime import date, datetime, time
from decimal import Decimal
from functools import partial
from uuid import UUID

from django.db import connection


def insert_fields(model):
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def row(obj, skip=()):
    """The columns of unsaved `obj` as save() would write them ({column: value})."""
    return {f.column: f.pre_save(obj, True) for f in insert_fields(type(obj)) if f.attname not in skip}


def _json_value(value):
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


dumps = partial(json.dumps, default=_json_value)


def json_insert_sql(model, source, extra=(), expressions=None):
    """INSERT INTO <model's table> SELECT ... FROM <source>(NULL::table, %s::json).

    `source` is json_populate_record (one row) or json_populate_recordset (a JSON array);
    `extra` is [(column, SQL expression)] written instead of the JSON's value (an id
    from an earlier CTE); `expressions` maps a column to an SQL expression of itself.
    """
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    columns = [f.column for f in insert_fields(model) if f.column not in dict(extra)]
    values = [(expressions or {}).get(c, q(c)) for c in columns]
    names = ", ".join([*(q(c) for c, _ in extra), *(q(c) for c in columns)])
    select = ", ".join([*(v for _, v in extra), *values])
    return f"INSERT INTO {table} ({names}) SELECT {select} FROM {source}(NULL::{table}, %s::json)"
