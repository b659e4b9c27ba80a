import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


def account_from_request(apps, schema_editor):
    """Every operation's account, as its stored request names it (LedgerRequest.as_json)."""
    CreditOperation = apps.get_model("credits", "CreditOperation")
    operations = CreditOperation.objects.using(schema_editor.connection.alias)
    for operation in operations.filter(account__isnull=True).only("pk", "request").iterator():
        operations.filter(pk=operation.pk).update(account_id=operation.request["account"])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_folded_name_search'),
        ('credits', '0014_credit_day_totals'),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='creditoperation',
            name='written_once',
        ),
        migrations.AddField(
            model_name='creditoperation',
            name='account',
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.account'),
        ),
        migrations.RunPython(account_from_request, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='creditoperation',
            name='account',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.account'),
        ),
        migrations.AlterField(
            model_name='creditoperation',
            name='key',
            field=models.CharField(max_length=100, verbose_name='idempotency key'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='creditoperation',
            trigger=pgtrigger.compiler.Trigger(name='written_once', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."remainder" IS NOT NULL OR OLD."account_id" IS DISTINCT FROM (NEW."account_id") OR OLD."key" IS DISTINCT FROM (NEW."key") OR OLD."service" IS DISTINCT FROM (NEW."service") OR OLD."request" IS DISTINCT FROM (NEW."request") OR OLD."created_at" IS DISTINCT FROM (NEW."created_at"))', func="RAISE EXCEPTION 'pgtrigger: Cannot update rows from % table', TG_TABLE_NAME;", hash='5a607b781db2b550a3cb9c0b4b7ee072f1b7e757', operation='UPDATE', pgid='pgtrigger_written_once_ce93e', table='credits_creditoperation', when='BEFORE')),
        ),
        migrations.AddConstraint(
            model_name='creditoperation',
            constraint=models.UniqueConstraint(fields=('account', 'key'), name='credit_operation_key'),
        ),
    ]
