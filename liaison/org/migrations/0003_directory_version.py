"""The directory version: triggers that move one number on every change of the directory.

Read by liaison.org.cache, which empties each process's caches when it moves (see its
docstring for why). The triggers cover every column of the tracked tables but the two
written on every sign-in and API call; tests/org/test_directory_version.py updates each
column of each table through the ORM and checks the version moved, so a column added
later without re-creating these triggers fails the suite.
"""

from django.db import migrations

#: table -> columns whose UPDATE does not move the version
TRACKED = {
    "org_person": {"last_login"},
    "org_apitoken": {"last_used_at"},
    "org_membership": set(),
    "org_team": set(),
    "org_service": set(),
}
#: Only a new membership changes what is cached (a person's teams); a new person, team,
#: service or token is simply not cached yet, so inserting one leaves the caches alone.
INSERT_MATTERS = {"org_membership"}
VERSION_TABLE = "org_directoryversion"
MODELS = {"org_person": "Person", "org_apitoken": "ApiToken", "org_membership": "Membership",
          "org_team": "Team", "org_service": "Service"}


def _columns(apps, table):
    model = apps.get_model("org", MODELS[table])
    return [f.column for f in model._meta.concrete_fields if f.column not in TRACKED[table] and not f.primary_key]


def _postgresql(apps, q):
    # Deferred (at-commit) row triggers that bump the one row once per transaction (a
    # transaction-local setting remembers it): the new value commits with the change, so
    # no process can see the version move before the change itself, and the row is
    # locked only while the writing transaction commits.
    yield f"CREATE TABLE {VERSION_TABLE} (value bigint NOT NULL)"
    yield f"INSERT INTO {VERSION_TABLE} (value) VALUES (0)"
    yield (f"CREATE FUNCTION org_directory_moved() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
           "IF current_setting('liaison.directory_moved', true) IS DISTINCT FROM 'yes' THEN "
           f"UPDATE {VERSION_TABLE} SET value = value + 1; "
           "PERFORM set_config('liaison.directory_moved', 'yes', true); END IF; RETURN NULL; END $$")
    for table in TRACKED:
        columns = ", ".join(q(c) for c in _columns(apps, table))
        writes = "INSERT OR DELETE" if table in INSERT_MATTERS else "DELETE"
        for name, event in (("write", writes), ("update", f"UPDATE OF {columns}")):
            yield (f"CREATE CONSTRAINT TRIGGER {table}_directory_{name} AFTER {event} ON {q(table)} "
                   "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION org_directory_moved()")
        # TRUNCATE has no row triggers; it locks the whole table anyway.
        yield (f"CREATE TRIGGER {table}_directory_truncate AFTER TRUNCATE ON {q(table)} "
               "FOR EACH STATEMENT EXECUTE FUNCTION org_directory_moved()")


def _sqlite(apps, q):
    # One writer at a time: the row is bumped inside the writing transaction.
    yield f"CREATE TABLE {VERSION_TABLE} (value integer NOT NULL)"
    yield f"INSERT INTO {VERSION_TABLE} (value) VALUES (0)"
    bump = f"BEGIN UPDATE {VERSION_TABLE} SET value = value + 1; END"
    for table in TRACKED:
        columns = ", ".join(q(c) for c in _columns(apps, table))
        for event in (*(["INSERT"] if table in INSERT_MATTERS else []), "DELETE", f"UPDATE OF {columns}"):
            name = f"{table}_directory_{event.split()[0].lower()}"
            yield f"CREATE TRIGGER {name} AFTER {event} ON {q(table)} FOR EACH ROW {bump}"


def create(apps, schema_editor):
    build = _postgresql if schema_editor.connection.vendor == "postgresql" else _sqlite
    for sql in build(apps, schema_editor.quote_name):
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    q = schema_editor.quote_name
    if schema_editor.connection.vendor == "postgresql":
        for table in TRACKED:
            for name in ("write", "update", "truncate"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_directory_{name} ON {q(table)}")
        schema_editor.execute("DROP FUNCTION IF EXISTS org_directory_moved()")
        schema_editor.execute(f"DROP TABLE IF EXISTS {VERSION_TABLE}")
        return
    for table in TRACKED:
        for name in ("insert", "delete", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_directory_{name}")
    schema_editor.execute(f"DROP TABLE IF EXISTS {VERSION_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("org", "0002_auditors_group")]
    operations = [migrations.RunPython(create, drop)]
