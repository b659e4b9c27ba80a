"""django-axes' `axes_reset_ip_username`, recording the unlock in the staff activity."""

from typing import Any

from axes.management.commands import axes_reset_ip_username

from staff.services import sign_in_unlock


class Command(axes_reset_ip_username.Command):
    help = "Clear the failed sign-ins of a username from an address (recorded)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = sign_in_unlock(actor=None, username=options["username"], ip=options["ip"])
        self.stdout.write(f"{count} attempts removed." if count else "No attempts found.")
