"""The navigation registry: each app offers its own links, and the layout shows the ones the
signed-in user may open. No template names another app's pages.

An app registers its links in its AppConfig's `ready()`:

    navigation.register(Link("Credit Activity", "credits:activity", "credits.view_credit_activity"))

`MAIN` links sit in the header; `TIMELINE` links sit beside an account's Recent Activity and
take the account's customer number; `ACCOUNT` links sit beside the signed-in user's name (their
own pages, for every signed-in user: such a link names no permission).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAIN = "main"
TIMELINE = "timeline"
ACCOUNT = "account"


@dataclass(frozen=True)
class Link:
    label: str
    url_name: str
    # "" for a page every signed-in user may open.
    permission: str
    place: str = MAIN
    hint: str = ""
    # How many things wait behind the link for this user (shown beside it when not 0).
    count: Callable[[Any], int] | None = None


_links: list[Link] = []


def register(*links: Link) -> None:
    for link in links:
        if link not in _links:
            _links.append(link)


def links(place: str) -> list[Link]:
    """Every registered link of `place`, in the order the apps registered them."""
    return [link for link in _links if link.place == place]


def all_links() -> list[Link]:
    """Every registered link, of every place."""
    return list(_links)
