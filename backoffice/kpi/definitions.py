"""Every KPI figure, defined once: what it counts (code below and in facts.py) and the help text
shown on the dashboard. Other apps' figures join the registry with `register` (support's CSAT,
NPS, complaints, SLA and class attendance: see `_register_support_figures`)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from wallet.models import Transaction

# Money that changes hands for a customer. Not volume: reversals (they take the original's
# volume away from the original's day instead), adjustments, exchanges between a customer's own
# wallets, moves into and out of the money-market fund and its yield, and campaign rewards
# (campaign cost, counted there).
VOLUME_KINDS = (
    Transaction.Kind.TRANSFER,
    Transaction.Kind.PAYMENT,
    Transaction.Kind.TOP_UP,
    Transaction.Kind.WITHDRAWAL,
    Transaction.Kind.BILL,
    Transaction.Kind.CASH_IN,
    Transaction.Kind.CASH_OUT,
)
MONEY_IN_KINDS = (Transaction.Kind.TOP_UP, Transaction.Kind.CASH_IN)
MONEY_OUT_KINDS = (Transaction.Kind.WITHDRAWAL, Transaction.Kind.CASH_OUT)
RETENTION_WEEKS = 4
ACTIVATION_BUCKETS = (("activated_1d", 1), ("activated_7d", 7), ("activated_30d", 30))
# Time to activate is counted in whole hours up to this many; a longer wait counts as this long.
ACTIVATION_HOURS_CAP = 24 * 90
# The longest period one dashboard shows (keeps every dashboard query bounded).
MAX_DAYS = 400


def excluded_email_domains() -> list[str]:
    """Test wallets: customers whose email is at one of these domains are not counted."""
    return list(getattr(settings, "KPI_EXCLUDED_EMAIL_DOMAINS", ["test.invalid"]))


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    help: str
    unit: str = "count"  # count, ratio, money, hours, score
    # For figures computed by another app: compute(filters) -> number or None.
    compute: Callable | None = None


FIGURES: dict[str, Figure] = {}


def register(figure: Figure) -> Figure:
    FIGURES[figure.key] = figure
    return figure


for _figure in (
    Figure(
        "registrations",
        _("Registrations"),
        _("Customers who signed up in the period (by sign-up day)."),
    ),
    Figure(
        "email_verified",
        _("Email verified"),
        _("Of the customers who signed up in the period, those with a verified email address."),
    ),
    Figure(
        "kyc1",
        _("KYC level 1 reached"),
        _("Of the customers who signed up in the period, those at KYC level 1 or above now."),
    ),
    Figure(
        "kyc2",
        _("KYC level 2 reached"),
        _("Of the customers who signed up in the period, those verified in person (level 2)."),
    ),
    Figure(
        "activated",
        _("Wallets activated"),
        _("Of the customers who signed up in the period, those whose wallet is activated."),
    ),
    Figure(
        "activation_rate",
        _("Activation rate"),
        _("Wallets activated ÷ registrations, for the customers who signed up in the period."),
        "ratio",
    ),
    Figure(
        "median_activation",
        _("Median time to activate"),
        _(
            "Of the customers who signed up in the period and activated their wallet, half took "
            "this long or less: the lower median of the time from signing up to activating, in "
            "whole hours (rounded down; with an even number of customers, the smaller of the two "
            "middle values). A wait of 90 days or more counts as 90 days."
        ),
        "hours",
    ),
    Figure(
        "first_txn_7d_rate",
        _("First transaction within 7 days"),
        _(
            "Share of the period's new customers who made a volume transaction in their first 7 days."
        ),
        "ratio",
    ),
    Figure(
        "dau",
        _("Daily active customers (DAU)"),
        _(
            "Active: the customer of at least one completed volume transaction that day (the one "
            "who paid or, for money coming in, who received it). Average over the period's days."
        ),
    ),
    Figure(
        "wau",
        _("Weekly active customers (WAU)"),
        _("Customers active on any of the 7 days ending on the period's last day."),
    ),
    Figure(
        "mau",
        _("Monthly active customers (MAU)"),
        _("Customers active on any of the 30 days ending on the period's last day."),
    ),
    Figure(
        "stickiness",
        _("Stickiness (DAU ÷ MAU)"),
        _("Average DAU of the period ÷ MAU on its last day."),
        "ratio",
    ),
    Figure(
        "txn_count",
        _("Transactions"),
        _(
            "Completed transfers, payments, bills, top-ups, withdrawals and cash at the counter. "
            "Reversed ones are taken away from their own day; reversals, adjustments, currency "
            "exchanges, fund moves and rewards are not counted. Channel: web pages, the app "
            "(API) or a branch counter; transactions from before channels were recorded count "
            "as web."
        ),
    ),
    Figure(
        "txn_amount",
        _("Transaction amount"),
        _("What the customer paid or received in those transactions, per currency."),
        "money",
    ),
    Figure(
        "amount_per_active",
        _("Amount per active customer"),
        _("Transaction amount of the period ÷ MAU on its last day, per currency."),
        "money",
    ),
    Figure(
        "money_in",
        _("Top-ups and cash deposits"),
        _("Amount brought into wallets from banks and at the counter."),
        "money",
    ),
    Figure(
        "money_out",
        _("Withdrawals and cash withdrawals"),
        _("Amount taken out of wallets to banks and at the counter."),
        "money",
    ),
    Figure(
        "campaign_cost",
        _("Campaign cost (CNY)"),
        _(
            "Reward grants paid out (by day paid) plus voucher discounts given. The campaign "
            "filter applies to the campaign figures only."
        ),
        "money",
    ),
    Figure(
        "cost_per_activation",
        _("Cost per activation (CNY)"),
        _(
            "Campaign cost ÷ wallets activated of the period's new customers. With a campaign "
            "chosen: that campaign's cost ÷ the period's new customers it reached who activated "
            "their wallet (reached: see the table per campaign)."
        ),
        "money",
    ),
    Figure(
        "cost_per_retained",
        _("Cost per retained customer (CNY)"),
        _(
            "Campaign cost ÷ new customers of the period still active in their fourth week. "
            "With a campaign chosen: that campaign's cost ÷ the period's new customers it "
            "reached who were active in their fourth week."
        ),
        "money",
    ),
    Figure(
        "voucher_redemption_rate",
        _("Voucher redemption rate"),
        _("Vouchers issued in the period that were used ÷ vouchers issued in the period."),
        "ratio",
    ),
    Figure(
        "onboardings",
        _("Onboardings at a branch"),
        _("New customers of the period onboarded by a staff member (see the table per member)."),
    ),
    Figure(
        "training_completion",
        _("Staff training completion"),
        _("Courses passed ÷ courses assigned, for the staff in scope (now, not per period)."),
        "ratio",
    ),
):
    register(_figure)


# The table per campaign (backoffice/kpi/campaign_attribution.py), one definition a column.
CAMPAIGN_TABLE_HELP = (
    _(
        "Reached: customers who signed up in the period and got a paid reward grant, a voucher "
        "or a discount (not taken back) from the campaign, at any time. A customer reached by "
        "two campaigns counts for each."
    ),
    _("Cost: reward grants paid in the period plus voucher discounts given in the period."),
    _("Activations: reached customers whose wallet is activated."),
    _("Retained: reached customers active in their fourth week after signing up."),
    _(
        "Cost per activation and per retained customer: the campaign's cost ÷ those customers "
        "(none: no value)."
    ),
)


def _register_support_figures() -> None:
    """Support's figures, each defined once in the support app and adapted to the dashboard's
    filters in backoffice/kpi/support_figures.py."""
    from . import support_figures

    specs = (
        (
            support_figures.csat,
            "csat",
            _("CSAT"),
            _("Share of satisfaction answers (1–5, after a resolved ticket) that are 4 or 5."),
            "ratio",
        ),
        (
            support_figures.nps,
            "nps",
            _("NPS"),
            _(
                "Net promoter score: the share of promoters (9–10) minus the share of detractors (0–6), in points from −100 to 100."
            ),
            "score",
        ),
        (
            support_figures.complaints_per_10k,
            "complaints_per_10k",
            _("Complaints per 10,000 customers"),
            _("Complaint tickets opened in the period per 10,000 customers."),
            "score",
        ),
        (
            support_figures.sla_attainment,
            "sla_attainment",
            _("Ticket SLA attainment"),
            _("Share of ticket SLA clocks (first response, update, resolution) met in the period."),
            "ratio",
        ),
        (
            support_figures.class_attendance,
            "class_attendance",
            _("Class attendance"),
            _("Of the registrations whose attendance was marked, the share who attended."),
            "ratio",
        ),
    )
    for function, key, label, help_text, unit in specs:
        register(Figure(key, label, help_text, unit, compute=function))


_register_support_figures()
