"""Regression tests that replay the security audit's requests on connections and
integrations: the development server's connections (finding 11), API throttling (finding
12), and new tokens shown once with every action logged (findings 6 and 7)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.cache import cache
from rest_framework.test import APIClient

from integrations.services import integration_create

pytestmark = pytest.mark.django_db


# --- Finding 11: the development server's connections ---------------------------------------


def _settings_value(expression: str, **environ: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("CONN_MAX_AGE", "DEBUG")}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; print({expression})",
        ],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings", **environ},
        cwd=Path(settings.BASE_DIR),
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_development_keeps_no_connection_open_and_production_reuses_checked_ones():
    conn = 'settings.DATABASES["default"]'
    assert _settings_value(f'{conn}["CONN_MAX_AGE"]', DEBUG="true") == "0"
    assert _settings_value(f'{conn}["CONN_MAX_AGE"]', DEBUG="false") == "60"
    assert _settings_value(f'{conn}["CONN_HEALTH_CHECKS"]', DEBUG="false") == "True"


# --- Finding 12: API throttling -----------------------------------------------------------------


def test_an_integration_over_its_rate_gets_429_with_retry_after(api, settings):
    settings.API_THROTTLE_RATE = "3/minute"
    cache.clear()

    answers = [api.get("/api/v1/event-types/") for _ in range(4)]

    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert int(answers[3]["Retry-After"]) > 0


def test_each_integration_has_its_own_count(api, settings, db):
    settings.API_THROTTLE_RATE = "2/minute"
    cache.clear()
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {integration_create(name='Portal')[1]}")

    assert [api.get("/api/v1/event-types/").status_code for _ in range(3)] == [200, 200, 429]
    assert other.get("/api/v1/event-types/").status_code == 200


# --- Findings 6 and 7: a new token is shown once, on its page; actions are logged ------------


def _cookies_hold(client, text: str) -> bool:
    return any(text in morsel.value for morsel in client.cookies.values())


def test_a_new_integrations_token_is_shown_on_its_page_and_never_in_a_cookie(admin_client):
    response = admin_client.post("/admin/integrations/integration/add/", {"name": "Portal"})

    [(integration, key)] = response.context["issued"]
    assert key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert not _cookies_hold(admin_client, key)
    assert key not in admin_client.get("/admin/integrations/integration/").content.decode()
    assert LogEntry.objects.filter(object_id=str(integration.pk), action_flag=ADDITION).exists()


@pytest.mark.parametrize(
    ("action", "logged"),
    [
        ("disable", "Disabled: its token is refused."),
        ("enable", "Enabled."),
        ("issue_new_token", "Issued a new token; the previous one stopped working."),
    ],
)
def test_each_integration_action_leaves_an_admin_log_entry(
    admin_client, integration_and_key, action, logged
):
    integration, _ = integration_and_key

    response = admin_client.post(
        "/admin/integrations/integration/",
        {"action": action, "_selected_action": [integration.pk]},
    )

    entry = LogEntry.objects.get(object_id=str(integration.pk), action_flag=CHANGE)
    assert entry.get_change_message() == logged
    if action == "issue_new_token":
        [(_, key)] = response.context["issued"]
        assert not _cookies_hold(admin_client, key)
