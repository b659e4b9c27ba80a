"""factory-boy factories for every model. Tests build data with these; code under test is
always the real services and views."""

from tests.factories.accounts import (  # noqa: F401
    AccountAccessFactory,
    AccountFactory,
    PaymentMethodFactory,
    ProductFactory,
    SubscriptionFactory,
    UserFactory,
)
from tests.factories.activity import ActivityEventFactory  # noqa: F401
from tests.factories.credits import CreditEntryFactory, CreditWalletFactory  # noqa: F401
from tests.factories.legacy_history import LegacyEntryFactory, LegacyImportFactory  # noqa: F401
from tests.factories.staff import PreferencesFactory, SavedViewFactory  # noqa: F401
