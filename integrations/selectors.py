from integrations.models import Integration, token_hash


def integration_for_token(key: str) -> Integration | None:
    """The integration holding token `key` (active or not), or None."""
    return Integration.objects.filter(token_hash=token_hash(key)).first()
