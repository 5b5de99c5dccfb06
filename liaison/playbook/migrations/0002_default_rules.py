"""The shipped playbook (liaison.playbook.defaults) as rules org admins can edit."""

from django.db import migrations


def load(apps, schema_editor):
    from liaison.playbook.defaults import load_defaults

    load_defaults(apps.get_model("playbook", "Rule"))


class Migration(migrations.Migration):
    dependencies = [("playbook", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
