"""Sessions are Django's database sessions, read by core.sessions' own statement."""

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_saved_session_reads_back():
    store = SessionStore()
    store["who"] = "Anna"
    store.save()
    assert SessionStore(store.session_key)["who"] == "Anna"


def test_an_expired_session_is_not_read_and_starts_anew():
    store = SessionStore()
    store["who"] = "Anna"
    store.save()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    again = SessionStore(store.session_key)
    assert "who" not in again
    assert again.session_key is None


def test_an_unknown_key_reads_nothing():
    again = SessionStore("x" * 32)
    assert dict(again.items()) == {}
    assert again.session_key is None
