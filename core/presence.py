"""Who is looking at something right now: a heartbeat per (user, thing) kept in the cache.

Each page that shows a thing (an account) and its polling script record a heartbeat; a viewer
whose last heartbeat is older than `PRESENCE_SECONDS` has gone (closed the tab, or hid it: the
polling stops while a tab is hidden). Nothing is written to the database.

One cache entry per thing holds its viewers, {user id: (name, until)}, read and written back
by each heartbeat. Two heartbeats at the same instant may lose one of them; the loser's next
heartbeat (every poll) puts it back, so a viewer is at worst missing for one poll. Several
server processes share presence only through a shared cache (`CACHE_URL`: Redis).
"""

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache


def _key(thing: str) -> str:
    return f"presence:{thing}"


def viewer_name(user: Any) -> str:
    return user.get_full_name() or user.get_username()


def heartbeat(thing: str, user: Any) -> list[str]:
    """Record that `user` is viewing `thing` now; return the names of the others viewing it,
    sorted (the user's own name is never in it)."""
    ttl = settings.PRESENCE_SECONDS
    now = time.time()
    viewers: dict[int, tuple[str, float]] = {
        pk: seen for pk, seen in (cache.get(_key(thing)) or {}).items() if seen[1] > now
    }
    viewers[user.pk] = (viewer_name(user), now + ttl)
    cache.set(_key(thing), viewers, timeout=ttl)
    return sorted(name for pk, (name, _until) in viewers.items() if pk != user.pk)


def account_thing(account_pk: int) -> str:
    """What presence calls an account (its pages, the timeline's included)."""
    return f"account:{account_pk}"
