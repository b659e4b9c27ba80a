"""The accounts' part of the integration API: erasure of a customer."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.selectors import account_get
from accounts.services.anonymise import MAX_REASON_LENGTH
from core.api import ERROR_RESPONSES, NOT_FOUND_RESPONSE, StrictFieldsMixin, WritingAPIMixin


class AnonymiseInSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(
        max_length=MAX_REASON_LENGTH, help_text="Why, e.g. the erasure request's reference."
    )


class ErasureSerializer(serializers.Serializer):
    account = serializers.CharField(source="account.customer_number")
    status = serializers.CharField(source="account.status")
    anonymised_now = serializers.BooleanField(
        source="done", help_text="False when the account had been anonymised already."
    )
    redacted = serializers.DictField(
        child=serializers.IntegerField(), help_text="Records redacted, by kind."
    )


class AnonymiseView(WritingAPIMixin, APIView):
    """Erase a customer's personal data (GDPR art. 17), recorded as Customer Anonymised with
    the integration as the actor. Idempotent: an anonymised account is answered as it is, and
    nothing changes."""

    @extend_schema(
        request=AnonymiseInSerializer,
        responses={200: ErasureSerializer, **ERROR_RESPONSES, **NOT_FOUND_RESPONSE},
    )
    def post(self, request: Any, customer_number: str) -> Response:
        serializer = AnonymiseInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        erasure = services.account_anonymise(
            account=account_get(customer_number=customer_number),
            actor=request.auth.actor,
            reason=serializer.validated_data["reason"],
        )
        return Response(ErasureSerializer(erasure).data)
