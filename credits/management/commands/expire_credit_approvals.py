from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from credits.services import approvals_expire


class Command(BaseCommand):
    help = (
        "Mark every request for approval that nobody decided on within APPROVAL_EXPIRY_DAYS "
        "as expired, recording Credit Request Expired on its account. Run it daily."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        expired = approvals_expire()
        self.stdout.write(
            f"{expired} request(s) expired (after {settings.APPROVAL_EXPIRY_DAYS} days)."
        )
