import pytest
from django.urls import reverse

from config import roles
from staff import services
from tests.conftest import PASSWORD
from tests.signin import VerifiedClient, authenticator_app, totp_code

LOGIN = "/login/"
ADMIN_LOGIN = "/admin/login/"
VERIFY = "/account/verify/"
SECURITY = "/account/security/"
ADMIN_ADDRESS = "192.0.2.10"


def post_login(client, username, password=PASSWORD, path=LOGIN, **extra):
    """One try at a sign-in page, as the browser posts it."""
    return client.post(path, {"username": username, "password": password}, **extra)


def enter_code(client, code, **data):
    return client.post(VERIFY, {"token": code, **data})


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def is_verified(client) -> bool:
    return "otp_device_id" in client.session


@pytest.fixture
def finance(make_user):
    """A Finance user (a second factor is required) with an authenticator app."""
    user = make_user(roles.FINANCE, username="maja")
    authenticator_app(user)
    return user


@pytest.fixture
def finance_app(finance):
    return authenticator_app(finance)


@pytest.fixture
def newcomer(make_user):
    """A Finance user without a second factor yet."""
    return make_user(roles.FINANCE, username="nils")


@pytest.fixture
def agent_user(make_user):
    """Customer Service: no second factor required."""
    return make_user(roles.CUSTOMER_SERVICE, username="sara")


@pytest.fixture
def signed_in_finance(plain_client, finance):
    """Finance after the password, before the code."""
    response = post_login(plain_client, "maja")
    assert response.status_code == 302
    return plain_client


@pytest.fixture
def enrolled_codes(finance):
    """The Finance user's recovery codes."""
    services.recovery_codes_regenerate(user=finance)
    return services.recovery_codes(finance)


def code_now(user):
    return totp_code(authenticator_app(user))


def url(name, **kwargs):
    return reverse(name, kwargs=kwargs or None)


# The staff activity tests' (test_activity_*.py) administrator and Finance user.


@pytest.fixture
def alva(make_user):
    return make_user(roles.SYSTEM_ADMINISTRATOR, username="alva", is_staff=True)


@pytest.fixture
def admin(alva):
    client = VerifiedClient(REMOTE_ADDR=ADMIN_ADDRESS)
    client.force_login(alva)
    return client


@pytest.fixture
def maja(make_user):
    return make_user(roles.FINANCE, username="maja", first_name="Maja", last_name="Ek")
