"""A small-size run of the benchmark, so that it keeps working as the product changes.

It checks what the benchmark reports (row counts, zero drift), never how fast anything was.
"""

import json
import random

import pytest

from accounts.models import Account
from bench import generate, measure
from bench.run import load_baseline, print_table, write_json

pytestmark = pytest.mark.django_db(transaction=True)


def test_benchmark_runs_end_to_end_at_a_small_size(make_user, tmp_path, capsys):
    rng = random.Random(1)
    generate.accounts(30, rng)
    generate.events(900, 30, 300, rng)
    generate.ledger(600, 30, rng)
    generate.search_accounts(200, rng)
    client = measure.signed_in_client(make_user("System Administrator", is_staff=True))

    results = measure.recent_activity(client, generate.WHALE, repeat=2, depth=5)
    results += measure.credit_activity(client, generate.account_email(2), repeat=2)
    results += measure.totals(generate.account_email(2), repeat=2)
    results += measure.rollforward(client, repeat=2, account=generate.customer_number(2))
    results += measure.search(client, 2, repeat=2)
    results += measure.csv_export(client)
    results += measure.background_export(make_user("Finance"))
    numbers = [generate.customer_number(i) for i in range(2, 31)]
    results += measure.ingestion(2, 50, numbers)
    results += measure.concurrent_apply_credits([generate.customer_number(2)], 4, 5)
    spread = [generate.customer_number(n) for n in range(3, 7)]
    results += measure.concurrent_apply_credits(spread, 4, 5)
    results += measure.apply_credits_with_lots(generate.customer_number(8), 6, 5)
    results += measure.ledger_drift()

    by_name = {r.name: r for r in results}
    assert by_name["Ledger drift after the run (verify_ledger)"].value == 0
    assert by_name["apply_credits: 4 workers on one wallet"].value > 0
    assert by_name["apply_credits: 4 workers on 4 wallets"].value > 0
    assert by_name["apply_credits: a wallet of 6 lots, each charge from one"].baseline > 0
    assert by_name["apply_credits: each charge takes three whole lots"].value > 0
    assert "Credit Activity: filtered by account e-mail" in by_name
    assert by_name["Balances at a moment: one account"].median > 0
    assert "Recent Activity's first page" in by_name["Account list: one country (SE)"].note
    assert by_name["  query only: the month's roll-forward"].baseline is not None
    assert "Credit Activity totals: by account e-mail (queries only)" in by_name
    assert "Credit Activity totals: one month (queries only)" in by_name
    searches = [r for r in results if r.name.startswith("Account search")]
    assert len(searches) == 5 and all(r.baseline is not None for r in searches)
    assert Account.objects.count() == 200
    # The trigram indexes dropped for the baseline are all back.
    assert len(generate.trigram_indexes()) == 3
    assert all(r.median is not None and r.median >= 0 for r in results)
    counts = {r.note for r in results if r.name.endswith("peak memory")}
    # Ours streamed and written in the background, the COPY floor and the import-export
    # baseline alike.
    assert counts == {"600 rows"}
    assert "CSV written in the background (the job): rows/s" in by_name

    class Args:
        json = str(tmp_path / "bench.json")

    payload = write_json(Args(), results, {"events": 0.1})
    saved = json.loads((tmp_path / "bench.json").read_text())
    assert len(saved["results"]) == len(results)
    assert saved["commit"] == payload["commit"] and saved["commit"] != ""
    assert saved["machine"]["cpus"] >= 1

    # Compared with a baseline in which the first page took twice as long: "better", ×0.50.
    first = by_name["Recent Activity: whale first page"]
    for row in saved["results"]:
        if row["name"] == first.name:
            row["median"] = first.median * 2
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(saved))
    print_table(results, load_baseline(baseline))
    lines = capsys.readouterr().out.splitlines()
    row = next(line for line in lines if line.startswith("Recent Activity: whale first page"))
    assert "×0.50 better" in row
    assert any(line.startswith("compared with the baseline taken at ") for line in lines)


def test_no_baseline_compares_with_nothing(tmp_path):
    assert load_baseline(tmp_path / "missing.json") == {}
