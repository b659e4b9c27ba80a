import pytest

from legacy_history.csvfile import HEADER
from tests.factories import AccountFactory


@pytest.fixture
def karin(db):
    return AccountFactory(customer_number="610001", email="Karin.Nilsson@example.se")


@pytest.fixture
def olle(db):
    return AccountFactory(customer_number="610002", email="olle@example.se")


def row(
    id="AH-1",
    event="Account created",
    type=":account",
    message="Signed up in the web shop.",
    producer="System",
    proprietor="karin.nilsson@example.se",
    created_at="2019-05-01T23:59:59+01:00",
    updated_at="",
) -> str:
    """One CSV line of a legacy file (fields quoted as the old export quoted them)."""
    fields = (id, event, type, message, producer, proprietor, created_at, updated_at)
    return ",".join(
        '"' + f.replace('"', '""') + '"' if "," in f or "\n" in f else f for f in fields
    )


def legacy_csv(*rows: str, header: str = HEADER, bom: bool = False) -> bytes:
    text = "\n".join([header, *rows]) + "\n"
    return (("\ufeff" if bom else "") + text).encode()


@pytest.fixture
def write_csv(tmp_path):
    """write_csv(*rows, header=..., bom=...) -> the path of a legacy file holding them."""
    counter = iter(range(1000))

    def write(*rows: str, **kwargs):
        path = tmp_path / f"legacy_{next(counter)}.csv"
        path.write_bytes(legacy_csv(*rows, **kwargs))
        return path

    return write
