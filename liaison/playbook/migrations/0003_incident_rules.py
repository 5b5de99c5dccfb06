"""The incident situation's shipped moves, once incidents exist (migration 0002 loaded the rest)."""

from django.db import migrations


def load(apps, schema_editor):
    from liaison.playbook.defaults import load_defaults

    load_defaults(apps.get_model("playbook", "Rule"))  # creates only what is missing


class Migration(migrations.Migration):
    dependencies = [("playbook", "0002_default_rules")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
