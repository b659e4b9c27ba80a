"""django-axes' `axes_reset_username`, recording each unlock in the staff activity."""

from typing import Any

from axes.management.commands import axes_reset_username

from staff.services import sign_in_unlock


class Command(axes_reset_username.Command):
    help = "Clear the failed sign-ins of these usernames, which unlocks them (recorded)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = sum(sign_in_unlock(actor=None, username=name) for name in options["username"])
        self.stdout.write(f"{count} attempts removed." if count else "No attempts found.")
