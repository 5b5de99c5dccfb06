"""Schema operations for migrations on tables that may be large."""

from django.db import migrations


def drop_single_column_indexes(*fields):
    """The database side of ``AlterField(db_index=False)`` on foreign keys `fields`
    (``(app_label, model_name, field_name)``), for use in SeparateDatabaseAndState.

    Django's own AlterField drops and re-creates the foreign key constraint, which
    re-checks every row under a lock (seconds on a table of millions of requests, with
    writes to the referenced tables blocked too). This drops only the index:
    ``DROP INDEX CONCURRENTLY`` on PostgreSQL (the migration must say ``atomic = False``),
    a plain ``DROP INDEX`` on SQLite; backwards, the index is built again the same way.
    """

    def indexes(apps, schema_editor):
        for app_label, model_name, field_name in fields:
            model = apps.get_model(app_label, model_name)
            table, column = model._meta.db_table, model._meta.get_field(field_name).column
            # The name Django gave the index (BaseDatabaseSchemaEditor._create_index_sql).
            yield schema_editor.quote_name(schema_editor._create_index_name(table, [column])), table, column

    def concurrently(schema_editor):
        return " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""

    def forward(apps, schema_editor):
        for name, _, _ in indexes(apps, schema_editor):
            schema_editor.execute(f"DROP INDEX{concurrently(schema_editor)} IF EXISTS {name}")

    def backward(apps, schema_editor):
        q = schema_editor.quote_name
        for name, table, column in indexes(apps, schema_editor):
            schema_editor.execute(f"CREATE INDEX{concurrently(schema_editor)} IF NOT EXISTS {name} "
                                  f"ON {q(table)} ({q(column)})")

    return migrations.RunPython(forward, backward)
