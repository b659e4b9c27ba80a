"""The registry of the ledger's activities and of the credit operations: each declared once,
everything else derived.

An *activity* is what a ledger entry did to its wallet (Grant, Consumption, ...): its code and
label, and the sign of its amount. The model's choices, the sign constraint, the roll-forward's
columns and the CSV's values all come from `ACTIVITIES`. One that moves a balance needs its
posting in the credit journal's mapping (credits.journal.POSTINGS; a test checks it).

An *operation* is what a person, an integration or the system asks the ledger for (grant,
revoke, refund, charge, ...): the activity it writes, the permission a person needs, the limit
it is held to and whether it then waits for a second person's approval, its label and noun, the
service that performs it, the inputs it takes beyond the common ones, and the fields of the
API's `POST /api/v1/credits/` when integrations may ask for it there. The approval operations,
the limits' keys and nouns, the permissions that a requester must still hold, the system checks
of CREDIT_LIMITS and the API's operation names all come from `OPERATIONS`.

Adding an operation: an entry here, its service function in `credits.services`, and tests; a
test walks this registry and proves each operation is wired everywhere (tests/credits/
test_operations.py). See docs/contributing.md.
"""

from dataclasses import dataclass

from django.db import models

# --- Activities ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerActivity:
    """What an entry did to its wallet: `sign` +1 adds, -1 subtracts, 0 moves nothing."""

    code: str
    label: str
    sign: int
    # Whether its entries name a gift card (and only theirs do).
    gift_card: bool = False

    @property
    def moves(self) -> bool:
        return self.sign != 0


ACTIVITIES: tuple[LedgerActivity, ...] = (
    LedgerActivity("grant", "Grant", +1),
    LedgerActivity("consumption", "Consumption", -1),
    LedgerActivity("refund", "Refund", +1),
    LedgerActivity("revocation", "Revocation", -1),
    LedgerActivity("gift_card_redemption", "Gift Card Redemption", +1, gift_card=True),
    LedgerActivity("gift_card_reversal", "Gift Card Reversal", -1, gift_card=True),
    LedgerActivity("gift_card_status_inquiry", "Gift Card Status Inquiry", 0, gift_card=True),
    # A lot's credit left unused past its expiry date (breakage): written by the expiry run
    # (credits.services.expiry), never asked for by a person or an integration.
    LedgerActivity("expiry", "Credit Expired", -1),
)
ACTIVITY = {activity.code: activity for activity in ACTIVITIES}

# The model's choices (CreditEntry.activity), in the registry's order.
Activity = models.TextChoices(  # type: ignore[call-overload]
    "Activity", [(a.code.upper(), (a.code, a.label)) for a in ACTIVITIES]
)
ADDING = tuple(a.code for a in ACTIVITIES if a.sign > 0)
SUBTRACTING = tuple(a.code for a in ACTIVITIES if a.sign < 0)
NOT_MOVING = tuple(a.code for a in ACTIVITIES if not a.moves)
GIFT_CARD_ACTIVITIES = tuple(a.code for a in ACTIVITIES if a.gift_card)
# The activities that move a balance, in the order the roll-forward shows them.
MOVING = tuple(a.code for a in ACTIVITIES if a.moves)


# --- Operations ------------------------------------------------------------------------------

# The inputs every operation takes: who acts is `actor`; these name what it acts on.
COMMON_INPUTS = ("account", "amount", "currency", "subscription", "note", "idempotency_key")


@dataclass(frozen=True)
class ApiFields:
    """The fields of `POST /api/v1/credits/` for an operation, beyond those every operation
    takes there (`operation`, `idempotency_key`, `account`, `note`, `created_at`)."""

    required: frozenset[str]
    optional: frozenset[str] = frozenset()
    # An API field that the service names otherwise: {api name: keyword of the service}.
    renamed: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Operation:
    code: str
    # As the approvals list and the timeline's request events name it ("Credit refund").
    label: str
    # As a sentence names one of it: "a grant of up to ...", "over the limit per revocation".
    noun: str
    # The ledger activity its entries have; None when it writes none (money back to a card).
    activity: str | None
    # The function of `credits.services` that performs it.
    service: str
    # The permission a person needs to ask for it (and still holds when it runs after
    # approval), and its description where this operation declares it (an operation that
    # shares another's permission leaves it empty); "" when only integrations and the system
    # ask for it.
    permission: str = ""
    permission_text: str = ""
    # The key of CREDIT_LIMITS that holds it (the most one may do alone per operation), and
    # of its daily total; "" when it has no limit.
    limit: str = ""
    daily_limit: str = ""
    # The key of its daily total across every currency, in settings.REPORTING_CURRENCY at
    # settings.EXCHANGE_RATES; "" when it has none.
    daily_total_limit: str = ""
    # With a daily limit: the verb and its past, as its messages say them ("grant up to 2000.00
    # SEK a day", "400.00 SEK granted today").
    verb: str = ""
    done: str = ""
    # Over its limit, it waits for another person's approval (four eyes).
    waits: bool = False
    # Money only (a currency, never tokens).
    money_only: bool = False
    # A transaction ID is required.
    transaction_required: bool = False
    # It takes from a wallet that must cover it: a request over the limit that the wallet
    # cannot cover is refused at once rather than kept waiting.
    covered: bool = False
    # The service's inputs beyond COMMON_INPUTS, which a waiting request keeps until it runs.
    inputs: tuple[str, ...] = ()
    # Integrations may ask for it through `POST /api/v1/credits/`, with these fields.
    api: ApiFields | None = None
    # The account page offers it to whoever holds the permission (a form and its page).
    on_account_page: bool = False

    @property
    def takes_credit_type(self) -> bool:
        return "credit_type" in self.inputs

    @property
    def makes_lot(self) -> bool:
        """Whether it adds a lot of a kind and expiry it is asked for (credits.models.lots)."""
        return "lot_kind" in self.inputs


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        code="grant",
        label="Grant",
        noun="grant",
        activity="grant",
        service="credit_grant",
        permission="credits.grant_credit",
        permission_text="Can grant credit to an account or a subscription",
        limit="grant",
        daily_limit="daily_grant",
        daily_total_limit="daily_grant_total",
        verb="grant",
        done="granted",
        waits=True,
        inputs=("credit_type", "transaction_id", "lot_kind", "expires_on"),
        api=ApiFields(
            required=frozenset({"amount", "credit_type"}),
            optional=frozenset(
                {"currency", "subscription", "transaction_id", "lot_kind", "expires_on"}
            ),
        ),
        on_account_page=True,
    ),
    Operation(
        code="revoke",
        label="Revocation",
        noun="revocation",
        activity="revocation",
        service="credit_revoke",
        permission="credits.revoke_credit",
        permission_text="Can revoke credit",
        limit="revoke",
        waits=True,
        covered=True,
        inputs=("credit_type",),
        api=ApiFields(
            required=frozenset({"amount", "credit_type"}),
            optional=frozenset({"currency", "subscription"}),
        ),
        on_account_page=True,
    ),
    Operation(
        code="refund",
        label="Credit refund",
        noun="refund",
        activity="refund",
        service="credit_refund",
        # Giving credit back is granting it.
        permission="credits.grant_credit",
        limit="refund",
        waits=True,
        transaction_required=True,
        inputs=("credit_type", "transaction_id"),
        api=ApiFields(
            required=frozenset({"amount", "credit_type", "transaction_id"}),
            optional=frozenset({"currency", "subscription"}),
        ),
    ),
    Operation(
        code="charge",
        label="Manual charge",
        noun="charge",
        activity="consumption",
        service="manual_charge",
        permission="credits.add_manual_charge",
        permission_text="Can charge an account outside the billing cycle",
        limit="charge",
        waits=True,
        money_only=True,
        inputs=("use_credits", "transaction_id"),
        on_account_page=True,
    ),
    Operation(
        code="manual_refund",
        label="Manual refund",
        noun="refund",
        activity=None,
        service="manual_refund",
        permission="credits.issue_manual_refund",
        permission_text="Can issue a manual refund",
        limit="refund",
        waits=True,
        money_only=True,
        inputs=("refunded_to",),
        on_account_page=True,
    ),
    Operation(
        code="apply_credits",
        label="Consumption before billing",
        noun="consumption",
        activity="consumption",
        service="apply_credits",
        transaction_required=True,
        inputs=("credit_type", "transaction_id"),
    ),
    Operation(
        code="gift_card_redemption",
        label="Gift Card Redemption",
        noun="redemption",
        activity="gift_card_redemption",
        service="gift_card_redeem",
        money_only=True,
        inputs=("gift_card", "transaction_id"),
        api=ApiFields(
            required=frozenset({"amount", "currency", "gift_card"}),
            optional=frozenset({"transaction_id"}),
        ),
    ),
    Operation(
        code="gift_card_reversal",
        label="Gift Card Reversal",
        noun="reversal",
        activity="gift_card_reversal",
        service="gift_card_reverse",
        money_only=True,
        inputs=("gift_card", "transaction_id"),
        api=ApiFields(
            required=frozenset({"amount", "currency", "gift_card"}),
            optional=frozenset({"transaction_id"}),
        ),
    ),
    Operation(
        code="gift_card_status_inquiry",
        label="Gift Card Status Inquiry",
        noun="status inquiry",
        activity="gift_card_status_inquiry",
        service="gift_card_status_inquiry",
        money_only=True,
        inputs=("gift_card", "status", "transaction_id"),
        api=ApiFields(
            required=frozenset({"currency", "gift_card", "gift_card_status"}),
            optional=frozenset({"transaction_id"}),
            renamed=(("gift_card_status", "status"),),
        ),
    ),
)
OPERATION = {operation.code: operation for operation in OPERATIONS}

# The operations that wait for approval over the asker's limit: a CreditApproval's choices.
ApprovalOperation = models.TextChoices(  # type: ignore[call-overload]
    "ApprovalOperation", [(op.code.upper(), (op.code, op.label)) for op in OPERATIONS if op.waits]
)
# The operations integrations ask for by name through the API, in the registry's order.
API_OPERATIONS = tuple(op.code for op in OPERATIONS if op.api is not None)


def api_fields_text() -> str:
    """What each API operation takes, as the API's documentation says it."""
    lines = []
    for op in OPERATIONS:
        if op.api is None:
            continue
        required = ", ".join(sorted(op.api.required))
        optional = ", ".join(sorted(op.api.optional))
        lines.append(
            f"- `{op.code}`: {required}" + (f"; optional {optional}" if optional else "") + "."
        )
    return "\n".join(lines)


# Every key CREDIT_LIMITS may hold for a role.
LIMIT_KEYS = tuple(
    dict.fromkeys(
        key for op in OPERATIONS for key in (op.limit, op.daily_limit, op.daily_total_limit) if key
    )
)


def credit_permissions() -> list[tuple[str, str]]:
    """The ledger's permissions (CreditEntry.Meta.permissions): seeing and downloading Credit
    Activity, the operations' own (in the registry's order, each once), and the roll-forward."""
    declared = [
        (op.permission.split(".", 1)[1], op.permission_text)
        for op in OPERATIONS
        if op.permission and op.permission_text
    ]
    return [
        ("view_credit_activity", "Can see the credit activity of all customers"),
        ("export_credit_activity", "Can download credit activity as CSV"),
        *declared,
        ("view_credit_balances", "Can see the credit liability roll-forward and its CSV"),
    ]
