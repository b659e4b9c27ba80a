"""The records of the CSV downloads: of Credit Activity, and of the credit liability
roll-forward."""

from core.downloads import DownloadRecord


class CreditExport(DownloadRecord):
    """One CSV download of the Credit Activity (see DownloadRecord)."""

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA = {
        "filters": "values naming the customer (e-mail, name) are replaced; all values are "
        "removed after RETENTION_DAYS"
    }
    NO_PERSONAL_DATA = ("actor_name",)

    class Meta(DownloadRecord.Meta):
        pass


class CreditBalancesExport(DownloadRecord):
    """One CSV download of the credit liability roll-forward, of its wallets, or of the credit
    journal (its filters then say `"report": "journal"`; see DownloadRecord). Its filters are a
    period and a unit: they never name a customer."""

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA = {"filters": "all values removed after RETENTION_DAYS"}
    NO_PERSONAL_DATA = ("actor_name",)

    class Meta(DownloadRecord.Meta):
        verbose_name = "credit balances download"
