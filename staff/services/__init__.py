"""The write paths of staff activity and sign-in security. Pages, the admin, the management
commands and the sign-in signals all call these."""

from staff.services.events import (
    NOT_SIGNED_IN,
    VISITOR,
    staff_activity_export_start,
    staff_event_record,
)
from staff.services.roles import (
    OWN_ROLES,
    role_grant_approve,
    role_grant_refuse,
    role_grant_request,
)
from staff.services.second_factor import (
    ENROLMENT_CODE_NEEDED,
    RECOVERY_CODE_COUNT,
    SECOND_FACTOR_PERMISSION,
    enrolment_code_issue,
    recovery_codes,
    recovery_codes_regenerate,
    second_factor_enrol,
    second_factor_enrolled,
    second_factor_remove,
    second_factor_required,
    second_factor_reset,
    second_factor_verify,
    totp_config_url,
    totp_new_key,
)
from staff.services.users import sign_in_unlock, user_deactivate

__all__ = [
    "ENROLMENT_CODE_NEEDED",
    "enrolment_code_issue",
    "OWN_ROLES",
    "role_grant_approve",
    "role_grant_refuse",
    "role_grant_request",
    "NOT_SIGNED_IN",
    "VISITOR",
    "RECOVERY_CODE_COUNT",
    "SECOND_FACTOR_PERMISSION",
    "recovery_codes",
    "recovery_codes_regenerate",
    "second_factor_enrol",
    "second_factor_enrolled",
    "second_factor_remove",
    "second_factor_required",
    "second_factor_reset",
    "second_factor_verify",
    "sign_in_unlock",
    "staff_activity_export_start",
    "staff_event_record",
    "totp_config_url",
    "totp_new_key",
    "user_deactivate",
]
