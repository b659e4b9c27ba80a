import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.models import Account, AccountAccess, PaymentMethod, Product, Subscription
from config.roles import ROLES


def groups_of_roles(names) -> list[Group]:
    """The groups of these roles, which must exist: the factory never creates or syncs them
    (the `role_groups` fixture does, once)."""
    unknown = sorted(set(names) - set(ROLES))
    if unknown:
        raise ValueError(f"Unknown role {', '.join(unknown)}: the roles are {', '.join(ROLES)}.")
    groups = list(Group.objects.filter(name__in=names))
    missing = sorted(set(names) - {group.name for group in groups})
    if missing:
        raise LookupError(
            f"No group for role {', '.join(missing)} in the database: a transactional test's "
            f"flush removes the groups; request the role_groups fixture (make_user does)."
        )
    return groups


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        self.set_password("secret-password")
        if create:
            self.save()
        if not create or not extracted:
            return
        self.groups.set(groups_of_roles(extracted))


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    customer_number = factory.Sequence(lambda n: f"{500000 + n}")
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = "+46 70 123 45 67"
    street = factory.Faker("street_address", locale="sv_SE")
    postcode = "113 59"
    city = "Stockholm"
    country = "SE"
    billing_day = 15


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Product {n}")
    code = factory.Sequence(lambda n: f"product-{n}")
    price = Decimal("149.00")
    currency = "SEK"


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    account = factory.SubFactory(AccountFactory)
    product = factory.SubFactory(ProductFactory)
    order_id = factory.Sequence(lambda n: f"ORD-T{n:06d}")
    status = Subscription.Status.ACTIVE
    started_on = dt.date(2026, 1, 15)
    next_billing_on = dt.date(2026, 12, 15)


class PaymentMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentMethod

    account = factory.SubFactory(AccountFactory)
    kind = PaymentMethod.Kind.CARD
    brand = "Visa"
    masked_details = factory.Sequence(lambda n: f"•••• {n % 10000:04d}")
    is_default = False


class AccountAccessFactory(factory.django.DjangoModelFactory):
    """A record of the access log (the pages record their own through the service)."""

    class Meta:
        model = AccountAccess

    account = factory.SubFactory(AccountFactory)
    actor_name = "Sara Lind"
    page = AccountAccess.Page.RECENT_ACTIVITY
    filters = factory.LazyFunction(dict)
