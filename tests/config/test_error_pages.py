"""Error pages in the site's layout that say what to do, the favicon, and a missing setting
reported in one line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

from config import roles
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_a_403_names_the_roles_that_grant_the_page(client, make_user):
    client.force_login(make_user(roles.SALES_AGENT))
    response = client.get(reverse("credits:activity"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "This page is for the roles <strong>Finance or System Administrator</strong>" in html
    assert "You are signed in as Sales Agent." in html
    assert 'class="site-header"' in html  # inside the layout, with its navigation
    assert 'href="/accounts/">Accounts</a>' in html


@override_settings(DEBUG=False)
def test_a_404_is_in_the_layout_and_says_what_to_do(service_client):
    response = service_client.get("/accounts/999999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and "Search for the customer" in html
    assert 'class="site-header"' in html


def test_the_400_and_500_templates_render_in_the_layout(rf):
    from django.views.defaults import bad_request, server_error

    request = rf.get("/")
    for view, text in ((bad_request, "could not be read"), (server_error, "went wrong")):
        response = view(request, exception=None) if view is bad_request else view(request)
        html = response.content.decode()
        assert text in html and 'class="site-header"' in html


def test_the_favicon_is_linked_and_served_without_signing_in(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.url.endswith("favicon.svg")
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/login/").content.decode()


def test_the_api_docs_load_no_outside_fonts(service_client):
    html = service_client.get("/api/docs/redoc/").content.decode()
    assert "redoc" in html.lower()
    assert "fonts.googleapis" not in html and "fonts.gstatic" not in html


def test_a_missing_secret_key_is_one_clear_line():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**env, "DATABASE_URL": "sqlite:///unused.sqlite3"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "Configuration error: Set SECRET_KEY in the environment or in .env; for the local demo "
        "database of `make run`, set DEBUG=true instead (e.g. DEBUG=true .venv/bin/python "
        "manage.py createsuperuser)."
    ]


def test_an_unknown_account_page_is_404_not_500(service_client):
    AccountFactory()
    assert service_client.get("/accounts/nope/activity/export.csv").status_code == 404
