"""The registry of credit operations (credits/operations.py) is wired everywhere it is read:
the ledger's choices and constraints, the services, the permissions and the role matrix, the
limits and their checks, the approvals, the API, the account page and the roll-forward. A new
operation that is declared but not wired somewhere fails here, by name."""

import inspect
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import resolve, reverse

from config.roles import ROLE_PERMISSIONS
from credits import services
from credits.api import CreditOperationSerializer
from credits.balances_csv import summary_header
from credits.checks import credit_limits
from credits.forms import ACCOUNT_PAGE_FORMS
from credits.models import CreditApproval, CreditEntry
from credits.operations import (
    ACTIVITIES,
    ACTIVITY,
    API_OPERATIONS,
    COMMON_INPUTS,
    LIMIT_KEYS,
    MOVING,
    OPERATIONS,
    Activity,
    ApprovalOperation,
)
from credits.rollforward import RollForwardLine
from credits.services.limits import limits_text
from credits.services.requests import performer, service_call, stored_params
from credits.tables import RollForwardTable
from tests.factories import AccountFactory, PaymentMethodFactory

WAITING = [op for op in OPERATIONS if op.waits]
ON_ACCOUNT_PAGE = [op for op in OPERATIONS if op.on_account_page]
LIMITED = [op for op in OPERATIONS if op.limit]
FOR_API = [op for op in OPERATIONS if op.api is not None]


def ids(operations):
    return [op.code for op in operations]


def parameters(operation) -> set[str]:
    return set(inspect.signature(performer(operation)).parameters)


def test_codes_are_unique():
    assert len({a.code for a in ACTIVITIES}) == len(ACTIVITIES)
    assert len({op.code for op in OPERATIONS}) == len(OPERATIONS)


def test_the_ledgers_activity_choices_are_the_registrys():
    field = CreditEntry._meta.get_field("activity")
    assert list(field.choices) == [(a.code, a.label) for a in ACTIVITIES]
    assert list(Activity.values) == [a.code for a in ACTIVITIES]


def test_every_moving_activity_is_a_roll_forward_column_on_the_page_and_in_its_csv():
    assert tuple(a.code for a in ACTIVITIES if a.sign != 0) == MOVING
    assert list(RollForwardLine("money", "SEK").movements) == list(MOVING)
    table = RollForwardTable([])
    labels = [column.header for column in table.columns]
    assert labels[3 : 3 + len(MOVING)] == [ACTIVITY[code].label for code in MOVING]
    assert [a.label for a in ACTIVITIES if a.code in MOVING] == [
        column for column in summary_header() if column in {a.label for a in ACTIVITIES}
    ]


@pytest.mark.parametrize("operation", OPERATIONS, ids=ids(OPERATIONS))
def test_each_operation_writes_a_declared_activity(operation):
    assert operation.activity is None or operation.activity in ACTIVITY


@pytest.mark.parametrize("operation", OPERATIONS, ids=ids(OPERATIONS))
def test_each_operation_has_its_service_taking_its_inputs(operation):
    service = performer(operation)
    assert service is getattr(services, operation.service)
    assert operation.service in services.__all__
    taken = parameters(operation)
    assert {"actor", "account", "idempotency_key"} <= taken
    assert set(operation.inputs) - {"credit_type"} <= taken
    if operation.takes_credit_type:
        assert "credit_type" in taken


@pytest.mark.parametrize("operation", WAITING, ids=ids(WAITING))
def test_each_waiting_operations_service_runs_a_validated_approved_request(operation):
    taken = parameters(operation)
    assert set(COMMON_INPUTS) <= taken
    assert {"validated", "approved_by"} <= taken


@pytest.mark.django_db
@pytest.mark.parametrize("operation", OPERATIONS, ids=ids(OPERATIONS))
def test_each_permission_exists_and_a_role_holds_it(operation):
    if not operation.permission:
        assert not operation.waits, "an operation people ask for needs a permission"
        return
    app_label, codename = operation.permission.split(".")
    assert Permission.objects.filter(content_type__app_label=app_label, codename=codename).exists()
    assert any(operation.permission in held for held in ROLE_PERMISSIONS.values())


@pytest.mark.parametrize("operation", WAITING, ids=ids(WAITING))
def test_each_waiting_operation_is_an_approval_choice_with_a_limit(operation):
    field = CreditApproval._meta.get_field("operation")
    assert (operation.code, operation.label) in list(field.choices)
    assert operation.code in ApprovalOperation.values
    assert operation.limit in LIMIT_KEYS
    assert operation.permission


def test_approval_choices_are_exactly_the_waiting_operations():
    assert list(ApprovalOperation.values) == ids(WAITING)


def test_every_limit_key_belongs_to_an_operation_and_the_default_limits_pass_the_checks():
    declared = {
        key for op in OPERATIONS for key in (op.limit, op.daily_limit, op.daily_total_limit) if key
    }
    assert set(LIMIT_KEYS) == declared
    assert [m for m in credit_limits() if m.level >= 40] == []


@pytest.mark.django_db
@pytest.mark.parametrize("operation", LIMITED, ids=ids(LIMITED))
def test_each_limited_operation_says_its_limits(operation, finance_user):
    assert limits_text(finance_user, operation.code)


def test_the_apis_operations_are_the_registrys():
    field = CreditOperationSerializer().fields["operation"]
    assert list(field.choices) == list(API_OPERATIONS)
    assert tuple(op.code for op in OPERATIONS if op.api is not None) == API_OPERATIONS


@pytest.mark.parametrize("operation", FOR_API, ids=ids(FOR_API))
def test_each_api_operations_fields_are_the_serializers_and_reach_its_service(operation):
    assert operation.api is not None
    serializer_fields = set(CreditOperationSerializer().fields)
    declared = operation.api.required | operation.api.optional
    assert declared <= serializer_fields
    renamed = dict(operation.api.renamed)
    reaching = {renamed.get(name, name) for name in declared} - {"subscription", "currency"}
    assert reaching <= parameters(operation)


@pytest.mark.django_db
def test_the_api_schema_documents_each_operations_fields(api):
    """The OpenAPI description of POST /api/v1/credits/ is written from the registry."""
    schema = api.get("/api/schema/", {"format": "json"}).json()
    described = schema["paths"]["/api/v1/credits/"]["post"]["description"]
    for operation in FOR_API:
        assert operation.api is not None
        fields = ", ".join(sorted(operation.api.required))
        assert f"- `{operation.code}`: {fields}" in described


def test_the_account_page_offers_exactly_the_registrys_operations():
    assert set(ACCOUNT_PAGE_FORMS) == {op.code for op in ON_ACCOUNT_PAGE}


@pytest.mark.parametrize("operation", ON_ACCOUNT_PAGE, ids=ids(ON_ACCOUNT_PAGE))
def test_each_account_page_operation_has_its_page_gated_by_its_permission(operation):
    name, _form = ACCOUNT_PAGE_FORMS[operation.code]
    view = resolve(reverse(f"credits:{name}", args=["10001"])).func.view_class
    assert view().get_permission_required() == (operation.permission,)
    assert view.operation == operation.code


@pytest.mark.django_db
@pytest.mark.parametrize("operation", WAITING, ids=ids(WAITING))
def test_a_kept_request_calls_its_service_with_arguments_it_takes(operation, finance_user):
    """What a waiting request keeps is enough to run it when approved (and nothing more)."""
    account = AccountFactory()
    method = PaymentMethodFactory(account=account)
    values = {"transaction_id": "T-1", "refunded_to": method, "use_credits": False}
    approval = CreditApproval(
        account=account,
        operation=operation.code,
        credit_type="currency",
        currency="SEK",
        amount=Decimal("10.00"),
        params=stored_params(operation, values),
        reason="Because",
        idempotency_key="k",
    )
    service, kwargs = service_call(approval)
    inspect.signature(service).bind(actor=finance_user, **kwargs)


def test_an_unknown_waiting_operation_is_refused_by_name():
    from credits.services.requests import waiting_operation

    with pytest.raises(ValidationError) as refused:
        waiting_operation("apply_credits")
    assert "apply_credits" in str(refused.value)
