"""Create the four role groups. Their permissions are set by `sync_roles`, which runs after
every `migrate` once all permissions exist (see config.apps)."""

from django.db import migrations

ROLES = ("System Administrator", "Customer Service", "Sales Agent", "Finance")


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
