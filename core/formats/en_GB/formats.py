"""Dates and times as the pages write them (ISO dates, 24-hour times), for the admin and every
localized value: Django's British formats write `4:30 p.m.`."""

DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
