"""django-axes' `axes_reset_ip`, recording each unlock in the staff activity."""

from typing import Any

from axes.management.commands import axes_reset_ip

from staff.services import sign_in_unlock


class Command(axes_reset_ip.Command):
    help = "Clear the failed sign-ins from these addresses, which unlocks them (recorded)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = sum(sign_in_unlock(actor=None, ip=ip) for ip in options["ip"])
        self.stdout.write(f"{count} attempts removed." if count else "No attempts found.")
