"""What every measurement is made of: a result row, a timer, a signed-in client, and a timed page
request."""

import statistics
import time
from dataclasses import dataclass, field

from django.test import Client


@dataclass
class Result:
    name: str
    unit: str
    samples: list[float] = field(default_factory=list)
    value: float | None = None
    note: str = ""
    # The same measurement on the baseline (e.g. without an index), shown in the note.
    baseline: float | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else self.value

    def as_dict(self) -> dict:
        data = {"name": self.name, "unit": self.unit, "median": self.median, "note": self.note}
        if self.samples:
            data |= {"min": min(self.samples), "max": max(self.samples), "n": len(self.samples)}
        if self.baseline is not None:
            data["baseline"] = self.baseline
        return data


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm caches and connections once
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def signed_in_client(user) -> Client:
    """A client signed in as `user` with the second factor entered, as a System Administrator's
    every page is served (the bench user's authenticator app is set up here)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="Bench", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _get(client, url, answers=(200,)):
    def fn():
        response = client.get(url)
        assert response.status_code in answers, (url, response.status_code)

    return fn
