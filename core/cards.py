"""Card numbers never enter the database.

A card number is a run of 13 to 19 digits — written together or in groups separated by spaces,
dashes or dots (`4111 1111 1111 1111`, `4111-1111-1111-1111`) — that passes the Luhn check.
Free text the back-office stores (notes, comments, event attributes, gift card codes, payment
method details) is refused when it holds one; imported legacy messages have it masked instead.

The same test runs in three places: here (the services' validation), in PostgreSQL (the function
`has_card_number`, created by a migration, behind the tables' check constraints) and in SQLite
(the same Python function, registered on each connection, so that `make run` enforces it too).
"""

import re

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Func, Q

# A run of digits with at most two separators between two digits. Greedy: the whole run.
CANDIDATE = re.compile(r"[0-9](?:[ .\-]{0,2}[0-9])*")
MIN_DIGITS, MAX_DIGITS = 13, 19
MASK = "•"

CARD_NUMBER = "Never store a card number; keep at most its last four digits (•••• 1234)."

SQL_FUNCTION = "has_card_number"
# The PostgreSQL twin of `has_card_number`, created by accounts' migration 0004.
CREATE_SQL = r"""
CREATE OR REPLACE FUNCTION has_card_number(value text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    run text;
    digits text;
    total int;
    d int;
    i int;
BEGIN
    FOR run IN SELECT (regexp_matches(value, '[0-9](?:[ .\-]{0,2}[0-9])*', 'g'))[1] LOOP
        digits := regexp_replace(run, '[^0-9]', '', 'g');
        IF length(digits) BETWEEN 13 AND 19 THEN
            total := 0;
            FOR i IN 1..length(digits) LOOP
                d := substr(digits, length(digits) - i + 1, 1)::int;
                IF i % 2 = 0 THEN
                    d := d * 2;
                    IF d > 9 THEN d := d - 9; END IF;
                END IF;
                total := total + d;
            END LOOP;
            IF total % 10 = 0 THEN
                RETURN true;
            END IF;
        END IF;
    END LOOP;
    RETURN false;
END
$$;
"""
DROP_SQL = "DROP FUNCTION IF EXISTS has_card_number(text);"


def luhn(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check."""
    total = 0
    for position, character in enumerate(reversed(digits)):
        value = int(character)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card_runs(text: str) -> list[re.Match[str]]:
    found = []
    for match in CANDIDATE.finditer(text):
        digits = re.sub(r"[^0-9]", "", match.group())
        if MIN_DIGITS <= len(digits) <= MAX_DIGITS and luhn(digits):
            found.append(match)
    return found


def has_card_number(text: object) -> bool:
    """Whether `text` holds a card number (see above). Not text: no."""
    return isinstance(text, str) and bool(_card_runs(text))


def mask_card_numbers(text: str) -> str:
    """`text` with every card number's digits masked but the last four."""
    pieces, end = [], 0
    for match in _card_runs(text):
        run = match.group()
        keep = len(run)
        seen = 0
        for index in range(len(run) - 1, -1, -1):
            if run[index].isdigit():
                seen += 1
                if seen == 4:
                    keep = index
                    break
        masked = re.sub(r"[0-9]", MASK, run[:keep]) + run[keep:]
        pieces += [text[end : match.start()], masked]
        end = match.end()
    return "".join(pieces) + text[end:]


def validate_no_card_number(value: object) -> None:
    """A validator for model and form fields."""
    if has_card_number(value):
        raise ValidationError(CARD_NUMBER, code="card_number")


def no_card_number(column: str) -> Q:
    """The check constraint's condition: `column` holds no card number."""
    return ~Q(HasCardNumber(column))


class HasCardNumber(Func):
    """`has_card_number(column)` in SQL, for check constraints."""

    function = SQL_FUNCTION
    output_field = BooleanField()


def register_sqlite_function(sender: object, connection: object, **kwargs: object) -> None:
    """Give an SQLite connection the `has_card_number` function its constraints call."""
    if getattr(connection, "vendor", None) == "sqlite":
        connection.connection.create_function(  # type: ignore[attr-defined]
            SQL_FUNCTION, 1, lambda value: has_card_number(value), deterministic=True
        )
