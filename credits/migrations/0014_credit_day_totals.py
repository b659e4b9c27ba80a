from decimal import Decimal

from django.db import migrations, models
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

SLOTS = 4


def count_existing_entries(apps, schema_editor):
    """The day totals of the entries written before they were kept (frozen here: the app's
    own `credits.services.day_totals.rebuild` may change later)."""
    CreditEntry = apps.get_model("credits", "CreditEntry")
    CreditDayTotal = apps.get_model("credits", "CreditDayTotal")
    zero = Decimal(0)
    rows = (
        CreditEntry.objects.using(schema_editor.connection.alias)
        .order_by()
        .annotate(
            day=TruncDate("created_at", tzinfo=timezone.get_default_timezone()),
            product=Coalesce("subscription__product_id", 0),
            slot=F("wallet_id") % SLOTS,
        )
        .values("day", "credit_type", "currency", "activity", "product", "slot")
        .annotate(
            n=Count("pk"),
            plus=Sum("amount", filter=Q(amount__gt=0), default=zero),
            minus=Sum("amount", filter=Q(amount__lt=0), default=zero),
        )
    )
    CreditDayTotal.objects.using(schema_editor.connection.alias).bulk_create(
        (
            CreditDayTotal(
                day=row["day"],
                credit_type=row["credit_type"],
                currency=row["currency"],
                activity=row["activity"],
                product_id=row["product"],
                slot=row["slot"],
                count=row["n"],
                added=row["plus"],
                subtracted=row["minus"],
            )
            for row in rows.iterator()
        ),
        batch_size=5000,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('credits', '0013_keyed_hash_chain'),
    ]

    operations = [
        migrations.CreateModel(
            name='CreditDayTotal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('credit_type', models.CharField(choices=[('token', 'Token'), ('currency', 'Currency')], max_length=10, verbose_name='type')),
                ('currency', models.CharField(blank=True, max_length=3)),
                ('activity', models.CharField(choices=[('grant', 'Grant'), ('consumption', 'Consumption'), ('refund', 'Refund'), ('revocation', 'Revocation'), ('gift_card_redemption', 'Gift Card Redemption'), ('gift_card_reversal', 'Gift Card Reversal'), ('gift_card_status_inquiry', 'Gift Card Status Inquiry')], max_length=30)),
                ('product_id', models.IntegerField(default=0)),
                ('slot', models.SmallIntegerField(default=0)),
                ('count', models.BigIntegerField(default=0)),
                ('added', models.DecimalField(decimal_places=4, default=0, max_digits=18)),
                ('subtracted', models.DecimalField(decimal_places=4, default=0, max_digits=18)),
            ],
            options={
                'default_permissions': (),
                'constraints': [models.UniqueConstraint(fields=('day', 'credit_type', 'currency', 'activity', 'product_id', 'slot'), name='credit_day_total_key')],
            },
        ),
        migrations.RunPython(count_existing_entries, migrations.RunPython.noop, elidable=True),
    ]
