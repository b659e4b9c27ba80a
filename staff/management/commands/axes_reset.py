"""django-axes' `axes_reset`, recording the unlock in the staff activity (by System)."""

from typing import Any

from axes.management.commands import axes_reset

from staff.services import sign_in_unlock


class Command(axes_reset.Command):
    help = "Clear every failed sign-in, which lifts every lockout (recorded as staff activity)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = sign_in_unlock(actor=None)
        self.stdout.write(f"{count} attempts removed." if count else "No attempts found.")
