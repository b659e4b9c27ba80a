class KeyConverter:
    """A path segment that names a stored record (customer number, order ID, transaction ID).

    Like Django's `str` converter, but a NUL character does not match, so such an address is a
    404 before any query: no stored key holds one, and PostgreSQL refuses NUL in a string.
    """

    regex = "[^/\x00]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
