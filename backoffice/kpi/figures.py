"""The figures and series of a KPI dashboard, from the roll-ups or straight from the base tables.

Both sources answer the same five questions (transactions, active customers, cohorts,
onboardings, campaigns) with rows of the same shape; everything after that is shared, so
`dashboard(filters, source="raw")` equals `dashboard(filters)` whenever the roll-ups are
current (tests/backoffice/test_kpi_rollups.py). The roll-up source runs a fixed number of
queries whatever the data size.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import F, Sum
from django.utils.translation import gettext as _

from accounts.models import User

from ..models_kpi import (
    KpiActivationDelayDaily,
    KpiActiveDaily,
    KpiCampaignCohortDaily,
    KpiCampaignDaily,
    KpiCohortDaily,
    KpiTransactionDaily,
)
from ..models_training import CourseAttempt
from . import activation, campaign_attribution, facts
from .definitions import (
    ACTIVATION_BUCKETS,
    FIGURES,
    MONEY_IN_KINDS,
    MONEY_OUT_KINDS,
    RETENTION_WEEKS,
)
from .filters import KpiFilters

COHORT_FIELDS = (
    "registered",
    "email_verified",
    "kyc1",
    "kyc2",
    "activated",
    *(name for name, _days in ACTIVATION_BUCKETS),
    "first_txn_7d",
    *(f"retained_w{week}" for week in range(1, RETENTION_WEEKS + 1)),
)
CAMPAIGN_FIELDS = ("grants", "cost", "vouchers_issued", "vouchers_redeemed", "discounts")
RATIO = Decimal("0.0001")
MONEY = Decimal("0.01")


def _days(start: date, end: date):
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


class RollupSource:
    def __init__(self, filters: KpiFilters):
        self.f = filters

    def _where(self, qs, start, end, *, channel=True):
        qs = qs.filter(day__gte=start, day__lte=end)
        if self.f.branch_id is not None:
            qs = qs.filter(branch_id=self.f.branch_id)
        if self.f.staff_id is not None:
            qs = qs.filter(staff_id=self.f.staff_id)
        if channel and self.f.channel is not None:
            qs = qs.filter(channel=self.f.channel)
        return qs

    def transactions(self, start, end):
        qs = self._where(KpiTransactionDaily.objects, start, end)
        return [
            {
                "d": r["day"],
                "chan": r["channel"],
                "k": r["kind"],
                "cur": r["currency"],
                "count": r["n"],
                "amount": r["total"],
            }
            for r in qs.values("day", "channel", "kind", "currency")
            .annotate(n=Sum("count"), total=Sum("amount"))
            .order_by("day", "channel", "kind", "currency")
        ]

    def active(self, start, end):
        qs = self._where(KpiActiveDaily.objects, start, end, channel=False).filter(
            channel=self.f.channel or ""
        )
        return {
            r["day"]: r
            for r in qs.values("day")
            .annotate(dau=Sum("dau"), wau=Sum("wau"), mau=Sum("mau"))
            .order_by("day")
        }

    def cohorts(self, start, end):
        qs = self._where(KpiCohortDaily.objects, start, end, channel=False)
        return [
            {"d": r.pop("day"), **r}
            for r in qs.values("day").annotate(**{f: Sum(f) for f in COHORT_FIELDS}).order_by("day")
        ]

    def onboardings(self, start, end):
        qs = self._where(KpiCohortDaily.objects, start, end, channel=False)
        return {
            r["staff_id"]: r["n"]
            for r in qs.exclude(staff_id=None).values("staff_id").annotate(n=Sum("registered"))
        }

    def campaigns(self, start, end):
        qs = self._where(KpiCampaignDaily.objects, start, end, channel=False)
        if self.f.campaign_id is not None:
            qs = qs.filter(campaign_id=self.f.campaign_id)
        return [
            {"d": r.pop("day"), **r}
            for r in qs.values("day", "campaign_id")
            .annotate(**{f: Sum(f) for f in CAMPAIGN_FIELDS})
            .order_by("day", "campaign_id")
        ]

    def activation_delays(self, start, end) -> dict[int, int]:
        """{whole hours from sign-up to activation: customers} of the period's sign-ups."""
        qs = self._where(KpiActivationDelayDaily.objects, start, end, channel=False)
        return {
            r["hours"]: r["n"]
            for r in qs.values("hours").annotate(n=Sum("count")).order_by("hours")
        }

    def campaign_reach(self, start, end) -> list[dict]:
        """Per campaign: the period's new customers it reached, activated and retained."""
        qs = self._where(KpiCampaignCohortDaily.objects, start, end, channel=False)
        if self.f.campaign_id is not None:
            qs = qs.filter(campaign_id=self.f.campaign_id)
        sums = {f"sum_{f}": Sum(f) for f in campaign_attribution.ROW_FIELDS}
        return [
            {
                "campaign_id": r["campaign_id"],
                **{f: r[f"sum_{f}"] for f in campaign_attribution.ROW_FIELDS},
            }
            for r in qs.values("campaign_id").annotate(**sums).order_by("campaign_id")
        ]


class RawSource(RollupSource):
    """The same answers computed from the transactions, users and grants themselves."""

    def transactions(self, start, end):
        return list(
            facts.transaction_rows(
                start, end, scope=self.f.scope(), group=("d", "chan", "k", "cur")
            )
        )

    def active(self, start, end):
        return facts.active_on(start, end, scope=self.f.scope())

    def _cohort_scope(self):
        return {"br": self.f.branch_id, "st": self.f.staff_id}

    def cohorts(self, start, end):
        return facts.cohort_rows(start, end, scope=self._cohort_scope(), group=("d",))

    def onboardings(self, start, end):
        return {
            row["st"]: row["registered"]
            for row in facts.registrations(start, end, scope=self._cohort_scope(), group=("st",))
            if row["st"] is not None
        }

    def campaigns(self, start, end):
        scope = {**self._cohort_scope(), "campaign_id": self.f.campaign_id}
        return facts.campaign_rows(start, end, scope=scope, group=("d", "campaign_id"))

    def activation_delays(self, start, end):
        rows = activation.delay_rows(start, end, scope=self._cohort_scope(), group=())
        return {row["hours"]: row["count"] for row in rows}

    def campaign_reach(self, start, end):
        return campaign_attribution.attribution_rows(
            start, end, scope=self._cohort_scope(), group=(), campaign_id=self.f.campaign_id
        )


SOURCES = {"rollup": RollupSource, "raw": RawSource}


def _ratio(numerator, denominator):
    if not denominator:
        return None
    return (Decimal(numerator or 0) / Decimal(denominator)).quantize(RATIO)


def _money(value):
    return Decimal(value or 0).quantize(MONEY)


def bucket_of(day: date, grain: str) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def _period(source, start: date, end: date) -> dict:
    txns = source.transactions(start, end)
    active = source.active(start, end)
    cohorts = source.cohorts(start, end)
    campaigns = source.campaigns(start, end)
    return {
        "txns": txns,
        "active": active,
        "cohorts": cohorts,
        "campaigns": campaigns,
        "delays": source.activation_delays(start, end),
        "reach": source.campaign_reach(start, end),
    }


def _per(cost: Decimal, customers):
    return _money(cost / customers) if customers else None


def _headline(data: dict, start: date, end: date, campaign_id: int | None = None) -> dict:
    cohort = {f: sum(row[f] or 0 for row in data["cohorts"]) for f in COHORT_FIELDS}
    amount: dict[str, Decimal] = defaultdict(Decimal)
    money_in: dict[str, Decimal] = defaultdict(Decimal)
    money_out: dict[str, Decimal] = defaultdict(Decimal)
    count = 0
    for row in data["txns"]:
        count += row["count"]
        amount[row["cur"]] += row["amount"] or 0
        if row["k"] in MONEY_IN_KINDS:
            money_in[row["cur"]] += row["amount"] or 0
        if row["k"] in MONEY_OUT_KINDS:
            money_out[row["cur"]] += row["amount"] or 0
    days = (end - start).days + 1
    dau_total = sum(row["dau"] or 0 for row in data["active"].values())
    dau = (Decimal(dau_total) / days).quantize(MONEY)
    last = data["active"].get(end, {})
    wau, mau = last.get("wau") or 0, last.get("mau") or 0
    grants_cost = sum((row["cost"] or 0 for row in data["campaigns"]), Decimal(0))
    discounts = sum((row["discounts"] or 0 for row in data["campaigns"]), Decimal(0))
    cost = grants_cost + discounts
    issued = sum(row["vouchers_issued"] or 0 for row in data["campaigns"])
    redeemed = sum(row["vouchers_redeemed"] or 0 for row in data["campaigns"])
    activations, retained = cohort["activated"], cohort[f"retained_w{RETENTION_WEEKS}"]
    if campaign_id is not None:  # that campaign's cost per customer it reached (definitions)
        activations = sum(row["activated"] or 0 for row in data["reach"])
        retained = sum(row["retained"] or 0 for row in data["reach"])
    return {
        "registrations": cohort["registered"],
        "email_verified": cohort["email_verified"],
        "kyc1": cohort["kyc1"],
        "kyc2": cohort["kyc2"],
        "activated": cohort["activated"],
        "activation_rate": _ratio(cohort["activated"], cohort["registered"]),
        "median_activation": activation.lower_median(data["delays"]),
        "first_txn_7d_rate": _ratio(cohort["first_txn_7d"], cohort["registered"]),
        "dau": dau,
        "wau": wau,
        "mau": mau,
        "stickiness": _ratio(dau, mau),
        "txn_count": count,
        "txn_amount": {cur: _money(v) for cur, v in sorted(amount.items())},
        "amount_per_active": {
            cur: (_money(v / mau) if mau else None) for cur, v in sorted(amount.items())
        },
        "money_in": {cur: _money(v) for cur, v in sorted(money_in.items())},
        "money_out": {cur: _money(v) for cur, v in sorted(money_out.items())},
        "campaign_cost": _money(cost),
        "cost_per_activation": _per(cost, activations),
        "cost_per_retained": _per(cost, retained),
        "voucher_redemption_rate": _ratio(redeemed, issued),
    }


def _series(data: dict, filters: KpiFilters) -> dict:
    buckets = sorted({bucket_of(day, filters.grain) for day in _days(filters.start, filters.end)})
    labels = [bucket.isoformat() for bucket in buckets]
    index = {bucket: i for i, bucket in enumerate(buckets)}

    def empty(kind=int):
        return [kind() for _bucket in buckets]

    registered, activated = empty(), empty()
    for row in data["cohorts"]:
        i = index[bucket_of(row["d"], filters.grain)]
        registered[i] += row["registered"] or 0
        activated[i] += row["activated"] or 0
    dau_sum = empty()
    day_count = empty()
    for day in _days(filters.start, filters.end):
        i = index[bucket_of(day, filters.grain)]
        day_count[i] += 1
        dau_sum[i] += (data["active"].get(day) or {}).get("dau") or 0
    counts = empty()
    amounts: dict[str, list] = {}
    for row in data["txns"]:
        i = index[bucket_of(row["d"], filters.grain)]
        counts[i] += row["count"]
        amounts.setdefault(row["cur"], empty(Decimal))[i] += row["amount"] or 0
    cost = empty(Decimal)
    for row in data["campaigns"]:
        i = index[bucket_of(row["d"], filters.grain)]
        cost[i] += (row["cost"] or 0) + (row["discounts"] or 0)
    return {
        "growth": {
            "title": _("Registrations and activations"),
            "type": "bar",
            "labels": labels,
            "datasets": [
                {"label": _("Registrations"), "data": registered},
                {"label": _("Wallets activated"), "data": activated},
            ],
        },
        "active": {
            "title": _("Daily active customers (average)"),
            "type": "line",
            "labels": labels,
            "datasets": [
                {
                    "label": _("DAU"),
                    "data": [
                        str((Decimal(s) / n).quantize(MONEY)) if n else "0"
                        for s, n in zip(dau_sum, day_count, strict=True)
                    ],
                }
            ],
        },
        "volume": {
            "title": _("Transactions"),
            "type": "bar",
            "labels": labels,
            "datasets": [{"label": _("Transactions"), "data": counts}],
        },
        "amount": {
            "title": _("Transaction amount"),
            "type": "line",
            "labels": labels,
            "datasets": [
                {"label": cur, "data": [str(_money(v)) for v in values]}
                for cur, values in sorted(amounts.items())
            ],
        },
        "campaigns": {
            "title": _("Campaign cost (CNY)"),
            "type": "bar",
            "labels": labels,
            "datasets": [{"label": _("Cost"), "data": [str(_money(v)) for v in cost]}],
        },
    }


def _cohort_table(data: dict, filters: KpiFilters) -> list[dict]:
    """Sign-up cohorts (per grain bucket) with their activation and retention curve."""
    grouped: dict[date, dict] = {}
    for row in data["cohorts"]:
        bucket = bucket_of(row["d"], filters.grain)
        entry = grouped.setdefault(bucket, dict.fromkeys(COHORT_FIELDS, 0))
        for field in COHORT_FIELDS:
            entry[field] += row[field] or 0
    return [
        {
            "cohort": bucket.isoformat(),
            "registered": entry["registered"],
            "activated": entry["activated"],
            "activation_rate": _ratio(entry["activated"], entry["registered"]),
            "retention": [
                _ratio(entry[f"retained_w{week}"], entry["registered"])
                for week in range(1, RETENTION_WEEKS + 1)
            ],
        }
        for bucket, entry in sorted(grouped.items())
    ]


def _campaign_table(data: dict) -> list[dict]:
    """Per campaign: its cost in the period, the period's new customers it reached, how many of
    them activated and stayed, and its cost per activation and per retained customer."""
    table: dict[int, dict] = {}

    def entry(campaign_id):
        return table.setdefault(
            campaign_id,
            {
                "campaign_id": campaign_id,
                "cost": Decimal(0),
                "reached": 0,
                "activated": 0,
                "retained": 0,
            },
        )

    for row in data["campaigns"]:
        entry(row["campaign_id"])["cost"] += (row["cost"] or 0) + (row["discounts"] or 0)
    for row in data["reach"]:
        for field in campaign_attribution.ROW_FIELDS:
            entry(row["campaign_id"])[field] += row[field] or 0
    return [
        {
            **row,
            "cost": _money(row["cost"]),
            "cost_per_activation": _per(row["cost"], row["activated"]),
            "cost_per_retained": _per(row["cost"], row["retained"]),
        }
        for row in sorted(table.values(), key=lambda row: (-row["cost"], row["campaign_id"]))
    ]


def _breakdown(data: dict) -> list[dict]:
    totals: dict[tuple, list] = {}
    for row in data["txns"]:
        key = (row["k"], row["chan"], row["cur"])
        entry = totals.setdefault(key, [0, Decimal(0)])
        entry[0] += row["count"]
        entry[1] += row["amount"] or 0
    return [
        {"kind": k, "channel": chan, "currency": cur, "count": n, "amount": _money(total)}
        for (k, chan, cur), (n, total) in sorted(totals.items())
    ]


def training_completion(filters: KpiFilters):
    """Courses passed ÷ courses assigned, for the staff in scope (branch, or one member)."""
    staff = User.objects.filter(is_staff=True, is_active=True)
    if filters.branch_id is not None:
        staff = staff.filter(staff_profile__branch_id=filters.branch_id)
    if filters.staff_id is not None:
        staff = staff.filter(pk=filters.staff_id)
    assigned = (
        staff.filter(groups__training_courses__is_active=True)
        .values("pk", "groups__training_courses")
        .distinct()
        .count()
    )
    passed = (
        CourseAttempt.objects.filter(passed=True, course__is_active=True, staff__in=staff)
        .filter(course__audience__user=F("staff"))
        .values("staff", "course")
        .distinct()
        .count()
        if assigned
        else 0
    )
    return _ratio(passed, assigned)


def dashboard(filters: KpiFilters, source: str = "rollup") -> dict:
    """Figures with the previous period's values, chart series and tables for one slice."""
    src = SOURCES[source](filters)
    previous = filters.previous()
    data = _period(src, filters.start, filters.end)
    before = _period(src, previous.start, previous.end)
    now, then = (
        _headline(data, filters.start, filters.end, filters.campaign_id),
        _headline(before, previous.start, previous.end, filters.campaign_id),
    )
    onboardings = src.onboardings(filters.start, filters.end)
    now["onboardings"] = sum(onboardings.values())
    then["onboardings"] = None
    now["training_completion"] = training_completion(filters)
    then["training_completion"] = None
    figures = []
    for key, figure in FIGURES.items():
        if figure.compute is not None:
            try:
                value, earlier = figure.compute(filters), figure.compute(previous)
            except Exception:  # noqa: BLE001 - another app's figure must not break the page
                value = earlier = None
        else:
            value, earlier = now.get(key), then.get(key)
        figures.append(
            {
                "key": key,
                "label": str(figure.label),
                "help": str(figure.help),
                "unit": figure.unit,
                "value": value,
                "previous": earlier,
            }
        )
    return {
        "filters": filters.as_query(),
        "previous": previous.as_query(),
        "figures": figures,
        "series": _series(data, filters),
        "breakdown": _breakdown(data),
        "cohorts": _cohort_table(data, filters),
        "campaign_table": _campaign_table(data),
        "onboardings": [
            {"staff_id": staff_id, "onboardings": n}
            for staff_id, n in sorted(onboardings.items(), key=lambda item: (-item[1], item[0]))
        ],
    }
