"""The `make bench-kpi` harness (bench/kpi.py) asks the dashboard what its contract says."""

from datetime import date
from urllib.parse import parse_qs, urlsplit

from bench import kpi


def _sets(count=200):
    return kpi._filter_sets(
        count, today=date(2026, 11, 27), branches=[1, 2], staff=[7, 8], campaigns=[3]
    )


def test_filter_sets_vary_ranges_grains_and_slices_and_are_repeatable():
    sets = _sets()
    assert sets == _sets()  # the same loads every run
    assert {(s["end"] - s["start"]).days + 1 for s in sets} == set(kpi.RANGE_DAYS)
    assert {s["grain"] for s in sets} == {"day", "week", "month"}
    assert {s.get("branch_id") for s in sets} == {None, 1, 2}
    assert {s.get("staff_id") for s in sets} == {None, 7, 8}
    assert {s.get("campaign_id") for s in sets} == {None, 3}
    assert {s.get("channel") for s in sets} == {None, "web", "app", "counter"}
    assert all(s["start"] <= s["end"] <= date(2026, 11, 27) for s in sets)


def test_the_dashboard_url_carries_every_filter_of_the_contract():
    one = {
        "start": date(2026, 1, 1),
        "end": date(2026, 3, 31),
        "grain": "week",
        "branch_id": 2,
        "channel": "app",
    }
    url = urlsplit(kpi._query(one))
    assert url.path == "/backoffice/kpi/"
    assert parse_qs(url.query, keep_blank_values=True) == {
        "start": ["2026-01-01"],
        "end": ["2026-03-31"],
        "grain": ["week"],
        "branch": ["2"],
        "staff": [""],
        "campaign": [""],
        "channel": ["app"],
    }
