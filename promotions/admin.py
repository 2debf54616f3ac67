"""Django admin for campaign admins: campaigns with their spend, funding, and the grants."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.api_errors import ApplicationError
from config.csv_export import csv_response
from wallet.models import Merchant
from wallet.templatetags.money import money

from . import selectors, services, vouchers
from .models import (
    Campaign,
    CustomerSegment,
    PointsAccount,
    PointsEntry,
    PointsMultiplier,
    Redemption,
    Referral,
    RewardGrant,
    Voucher,
)


class CampaignFundForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount (CNY)"), max_digits=20, decimal_places=2, min_value=0.01
    )


class VoucherIssueForm(forms.Form):
    emails = forms.CharField(
        label=_("Customers' email addresses"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One per line, at most 1,000."),
    )

    def clean_emails(self):
        emails = self.cleaned_data["emails"]
        if len(emails.split()) > 1000:
            raise forms.ValidationError(_("At most 1,000 addresses at a time."))
        return emails


class CampaignForm(forms.ModelForm):
    # vouchers and discounts: categories as check boxes rather than raw JSON
    merchant_categories = forms.MultipleChoiceField(
        label=_("merchant categories"),
        choices=Merchant.Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    target_segments = forms.MultipleChoiceField(
        label=_("customer segments"),
        choices=CustomerSegment.Code.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=Campaign._meta.get_field("target_segments").help_text,
    )

    class Meta:
        model = Campaign
        fields = (*services.CAMPAIGN_EDITABLE_FIELDS, "merchants")

    def clean(self):
        cleaned = super().clean()
        self._clean_kind_defaults(cleaned)
        self._clean_benefit(cleaned)
        self._clean_overlap(cleaned)
        return cleaned

    def _value(self, cleaned, name):
        return cleaned.get(name, getattr(self.instance, name, None))

    def _clean_benefit(self, cleaned):
        benefit = self._value(cleaned, "benefit")
        if benefit == Campaign.Benefit.PERCENT and self._value(cleaned, "percent") is None:
            self.add_error(
                "percent" if "percent" in self.fields else None,
                _("Enter the percent taken off or paid back."),
            )

    def _clean_overlap(self, cleaned):
        """Two discounts at checkout never apply to the same payment (README: Promotions)."""
        names = ("kind", "reward_type", "is_active", "starts_at", "ends_at")
        kind, reward_type, is_active, starts_at, ends_at = (self._value(cleaned, n) for n in names)
        if (
            kind != Campaign.Kind.MERCHANT_DISCOUNT
            or reward_type != Campaign.RewardType.CASH
            or not is_active
            or not starts_at
            or not ends_at
        ):
            return
        if "merchants" in self.fields:
            merchants = list(cleaned.get("merchants") or [])
        else:
            merchants = list(self.instance.merchants.all()) if self.instance.pk else []
        clashes = selectors.discount_campaigns_overlapping(
            exclude_pk=self.instance.pk,
            starts_at=starts_at,
            ends_at=ends_at,
            merchants=merchants,
            categories=self._value(cleaned, "merchant_categories"),
        )
        if clashes:
            self.add_error(
                "merchants" if "merchants" in self.fields else None,
                _(
                    "Another discount runs at the same time for these merchants: %(names)s. "
                    "Change the merchants, the categories or the dates."
                )
                % {"names": ", ".join(c.name for c in clashes)},
            )

    # --- referrals and points (issue 5): a kind's own settings are optional for other kinds ---
    KIND_FIELDS = (
        "referral_min_payment",
        "referrals_per_referrer",
        "points_per_cny",
        "points_per_unit",
        "points_valid_days",
        "reward_points",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.KIND_FIELDS:
            if name in self.fields:
                self.fields[name].required = False

    def _clean_kind_defaults(self, cleaned):
        for name in self.KIND_FIELDS:
            if cleaned.get(name) in (None, ""):
                cleaned[name] = Campaign._meta.get_field(name).default
        if cleaned.get("kind") == Campaign.Kind.POINTS and not cleaned.get("points_per_unit"):
            self.add_error("points_per_unit", _("A redemption unit needs at least one point."))
        self._clean_points_reward(cleaned)

    def _clean_points_reward(self, cleaned):
        """Points as a reward: an activation bonus only, a number of points, a cash value."""
        if self._value(cleaned, "reward_type") != Campaign.RewardType.POINTS:
            return
        if self._value(cleaned, "kind") != Campaign.Kind.ACTIVATION_BONUS:
            self.add_error(
                "reward_type" if "reward_type" in self.fields else None,
                _("Only an activation bonus can reward points."),
            )
        elif not cleaned.get("reward_points"):
            self.add_error(
                "reward_points" if "reward_points" in self.fields else None,
                _("Enter how many points each customer receives."),
            )

    # --- end referrals and points ---

    def clean_budget(self):
        budget = self.cleaned_data["budget"]
        if self.instance.pk and budget is not None:
            spent = Campaign.objects.get(pk=self.instance.pk).spent
            if budget < spent:
                raise forms.ValidationError(
                    _("The budget cannot be below what is already spent or reserved (%(spent)s).")
                    % {"spent": spent}
                )
        return budget


# --- referrals and points (issue 5): multipliers inline, the kinds' settings in fieldsets ---


class PointsMultiplierInline(admin.TabularInline):
    model = PointsMultiplier
    extra = 0
    verbose_name = _("category multiplier (points programmes only)")
    verbose_name_plural = _("category multipliers (points programmes only)")


# --- end referrals and points ---


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = (
        "name",
        "kind",
        "reward",
        "budget_total",
        "budget_used",
        "budget_left",
        "pool",
        "grants",
        "state",
        "starts_at",
        "ends_at",
        "results_link",
    )
    list_filter = ("kind", "is_active")
    search_fields = ("name",)
    readonly_fields = ("spent", "pool", "created_at", "updated_at")
    actions = (
        "fund_campaign",
        "issue_vouchers",
        "pause_campaigns",
        "resume_campaigns",
        "end_campaigns",
    )
    filter_horizontal = ("merchants",)

    # --- vouchers and discounts: each kind shows the fields it uses ---
    BASICS = (None, {"fields": ("name", "kind", "is_active", "starts_at", "ends_at")})
    MONEY = (_("Budget"), {"fields": ("budget", "spent", "pool")})
    WHO = (
        _("Who is eligible"),
        {
            "fields": (
                "min_kyc_level",
                "new_customers_only",
                "branch",
                "target_segments",
                "per_customer_cap",
            )
        },
    )
    WHERE = (_("Where"), {"fields": ("merchants", "merchant_categories", "min_spend")})
    RECORD = (_("Record"), {"fields": ("created_at", "updated_at")})
    REFERRAL = (
        _("Referral campaign"),
        {
            "fields": (
                "reward_amount",
                "referrer_reward",
                "referral_min_payment",
                "referrals_per_referrer",
            ),
            "description": _(
                "Reward: what the referred customer gets; the referrer gets the referrer reward, "
                "both once the friend's first shop payment reaches the minimum."
            ),
        },
    )
    POINTS = (
        _("Points programme"),
        {
            "fields": ("points_per_cny", "points_per_unit", "reward_amount", "points_valid_days"),
            "description": _("Reward: the cash (CNY) paid for one unit of points."),
        },
    )
    FIELDSETS_BY_KIND = {
        Campaign.Kind.ACTIVATION_BONUS: (
            BASICS,
            (_("Reward"), {"fields": ("reward_type", "reward_amount")}),
            (
                _("Points (reward type points)"),
                {
                    "fields": ("reward_points", "points_per_unit", "points_valid_days"),
                    "description": _(
                        "The customer's points balance receives the points given; they are "
                        "redeemed through the running points programme. Reward (CNY) is then "
                        "the cash value of one redemption unit: the budget counts each reward "
                        "as points given ÷ points per redemption unit × reward, rounded up. "
                        "Use the points programme's rate."
                    ),
                },
            ),
            (
                _("Voucher terms (reward type voucher)"),
                {
                    "fields": (
                        "benefit",
                        "percent",
                        "max_discount",
                        "voucher_valid_days",
                        "points_price",
                        "merchants",
                        "merchant_categories",
                        "min_spend",
                    )
                },
            ),
            WHO,
            MONEY,
        ),
        Campaign.Kind.MERCHANT_DISCOUNT: (
            BASICS,
            (
                _("Discount"),
                {
                    "fields": (
                        "reward_type",
                        "benefit",
                        "reward_amount",
                        "percent",
                        "max_discount",
                        "voucher_valid_days",
                        "points_price",
                    )
                },
            ),
            WHERE,
            WHO,
            MONEY,
        ),
        Campaign.Kind.FIRST_PAYMENT_CASHBACK: (
            BASICS,
            (
                _("Cashback"),
                {"fields": ("reward_type", "benefit", "reward_amount", "percent", "max_discount")},
            ),
            WHO,
            MONEY,
        ),
        Campaign.Kind.REFERRAL: (BASICS, REFERRAL, WHO, MONEY, RECORD),
        Campaign.Kind.POINTS: (BASICS, POINTS, WHO, MONEY, RECORD),
    }

    def get_inlines(self, request, obj):
        """Category multipliers belong to points programmes (and to a campaign being created)."""
        if obj is None or obj.kind == Campaign.Kind.POINTS:
            return (PointsMultiplierInline,)
        return ()

    def get_fieldsets(self, request, obj=None):
        if obj is None or obj.kind not in self.FIELDSETS_BY_KIND:
            everything = (
                (
                    _("Reward or discount"),
                    {
                        "fields": (
                            "reward_type",
                            "benefit",
                            "reward_amount",
                            "percent",
                            "max_discount",
                            "voucher_valid_days",
                            "points_price",
                        )
                    },
                ),
            )
            referral = (
                self.REFERRAL[0],
                {"fields": ("referrer_reward", "referral_min_payment", "referrals_per_referrer")},
            )
            points = (
                self.POINTS[0],
                {
                    "fields": (
                        "points_per_cny",
                        "points_per_unit",
                        "points_valid_days",
                        "reward_points",
                    )
                },
            )
            return (self.BASICS, *everything, self.WHERE, referral, points, self.WHO, self.MONEY)
        return self.FIELDSETS_BY_KIND[obj.kind]

    # --- end vouchers and discounts ---

    def get_queryset(self, request):
        return selectors.campaigns_with_figures()

    def save_model(self, request, obj, form, change):
        services.campaign_save(campaign=obj)

    @admin.display(description=_("reward (CNY)"), ordering="reward_amount")
    def reward(self, obj):
        if obj.rewards_points:
            return ngettext("%(n)d point", "%(n)d points", obj.reward_points) % {
                "n": obj.reward_points
            }
        return money(obj.reward_amount, obj.CURRENCY)

    @admin.display(description=_("total budget (CNY)"), ordering="budget")
    def budget_total(self, obj):
        return money(obj.budget, obj.CURRENCY)

    @admin.display(description=_("spent (CNY)"), ordering="spent")
    def budget_used(self, obj):
        return money(obj.spent, obj.CURRENCY)

    @admin.display(description=_("budget left (CNY)"))
    def budget_left(self, obj):
        return money(obj.remaining, obj.CURRENCY)

    @admin.display(description=_("pool balance"), ordering="pool_balance")
    def pool(self, obj):
        return money(self._pool_balance(obj), obj.CURRENCY)

    def _pool_balance(self, obj):
        balance = getattr(obj, "pool_balance", None)
        return balance if balance is not None else selectors.campaign_pool_balance(obj)

    @admin.display(description=_("grants"), ordering="grants_count")
    def grants(self, obj):
        return getattr(obj, "grants_count", None)

    @admin.display(description=_("state"))
    def state(self, obj):
        now = timezone.now()
        if obj.ends_at <= now:
            return _("Ended")
        if not obj.is_active:
            return _("Paused")
        if obj.starts_at > now:
            return _("Scheduled")
        if obj.rewards_points:
            # Points cost the pool nothing until redeemed (from the points programme's pool).
            if obj.budget - obj.spent < obj.points_reward_value:
                return _("Exhausted")
            return _("Running")
        if obj.budget - obj.spent <= 0 or (
            obj.benefit == Campaign.Benefit.FIXED and obj.budget - obj.spent < obj.reward_amount
        ):
            return _("Exhausted")
        if self._pool_balance(obj) < obj.reward_amount:
            return _("Pool empty: fund it")
        return _("Running")

    @admin.display(description=_("results"))
    def results_link(self, obj):
        url = reverse("admin:promotions_campaign_results", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Results"))

    def _each(self, request, queryset, change, done_message):
        """Apply a state change campaign by campaign; one refusal doesn't stop the others."""
        done = 0
        for campaign in queryset.order_by("pk"):
            try:
                change(campaign=campaign)
            except ApplicationError as exc:
                self.message_user(request, f"{campaign.name}: {exc.detail}", messages.ERROR)
            else:
                self.log_change(request, campaign, str(done_message))
                done += 1
        if done:
            self.message_user(request, f"{done_message} ({done})", messages.SUCCESS)

    @admin.action(description=_("Pause the selected campaigns"), permissions=["change"])
    def pause_campaigns(self, request, queryset):
        self._each(request, queryset, services.campaign_pause, _("Paused"))

    @admin.action(description=_("Resume the selected campaigns"), permissions=["change"])
    def resume_campaigns(self, request, queryset):
        self._each(request, queryset, services.campaign_resume, _("Resumed"))

    @admin.action(description=_("End the selected campaigns now"), permissions=["change"])
    def end_campaigns(self, request, queryset):
        self._each(request, queryset, services.campaign_end, _("Ended"))

    @admin.action(description=_("Fund the selected campaign"), permissions=["change"])
    def fund_campaign(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one campaign to fund."), messages.ERROR)
            return None
        return redirect(reverse("admin:promotions_campaign_fund", args=[queryset.get().pk]))

    @admin.action(description=_("Issue vouchers of the selected campaign"), permissions=["change"])
    def issue_vouchers(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one campaign."), messages.ERROR)
            return None
        return redirect(reverse("admin:promotions_campaign_issue", args=[queryset.get().pk]))

    def issue_view(self, request, pk):
        campaign = self.get_object(request, str(pk))
        if campaign is None or not self.has_change_permission(request, campaign):
            return redirect(reverse("admin:promotions_campaign_changelist"))
        form = VoucherIssueForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                issued, skipped = vouchers.vouchers_issue(
                    campaign=campaign,
                    emails=form.cleaned_data["emails"].split(),
                    issued_by=request.user,
                    request=request,
                )
            except ApplicationError as exc:
                form.add_error(None, str(exc.detail))
            else:
                self.message_user(
                    request,
                    _("%(count)d vouchers issued.") % {"count": issued},
                    messages.SUCCESS,
                )
                if skipped:
                    self.message_user(
                        request,
                        _("No voucher for: %(emails)s") % {"emails": ", ".join(skipped)},
                        messages.WARNING,
                    )
                return redirect(reverse("admin:promotions_campaign_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Issue vouchers of %(name)s") % {"name": campaign.name},
            "campaign": campaign,
            "example": Voucher(
                benefit=campaign.benefit,
                amount=campaign.reward_amount,
                percent=campaign.percent,
                min_spend=campaign.min_spend,
                currency=campaign.CURRENCY,
            ),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/promotions/campaign_issue_vouchers.html", context)

    def get_urls(self):
        return [
            path(
                "<int:pk>/issue-vouchers/",
                self.admin_site.admin_view(self.issue_view),
                name="promotions_campaign_issue",
            ),
            path(
                "<int:pk>/fund/",
                self.admin_site.admin_view(self.fund_view),
                name="promotions_campaign_fund",
            ),
            path(
                "<int:pk>/results/",
                self.admin_site.admin_view(self.results_view),
                name="promotions_campaign_results",
            ),
            path(
                "<int:pk>/results.csv",
                self.admin_site.admin_view(self.results_csv),
                name="promotions_campaign_results_csv",
            ),
            *super().get_urls(),
        ]

    def fund_view(self, request, pk):
        campaign = self.get_object(request, str(pk))
        if campaign is None or not self.has_change_permission(request, campaign):
            return redirect(reverse("admin:promotions_campaign_changelist"))
        form = CampaignFundForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.campaign_fund(
                    campaign=campaign,
                    amount=form.cleaned_data["amount"],
                    funded_by=request.user,
                    request=request,
                )
            except ApplicationError as exc:
                form.add_error("amount", str(exc.detail))
            else:
                self.message_user(request, _("The campaign's pool is funded."), messages.SUCCESS)
                return redirect(reverse("admin:promotions_campaign_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Fund %(name)s") % {"name": campaign.name},
            "campaign": campaign,
            "pool_balance": selectors.campaign_pool_balance(campaign),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/promotions/campaign_fund.html", context)

    def _viewable_or_none(self, request, pk):
        campaign = self.get_object(request, str(pk))
        if campaign is None or not self.has_view_permission(request, campaign):
            return None
        return campaign

    def results_view(self, request, pk):
        campaign = self._viewable_or_none(request, pk)
        if campaign is None:
            return redirect(reverse("admin:promotions_campaign_changelist"))
        results = selectors.campaign_results(campaign)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Results of %(name)s") % {"name": campaign.name},
            "campaign": campaign,
            "results": results,
            "chart": _daily_chart(results.days),
            "is_activation": campaign.kind == Campaign.Kind.ACTIVATION_BONUS,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/promotions/campaign_results.html", context)

    def results_csv(self, request, pk):
        """Every grant of the campaign, one row each; customers by id only (no personal data
        leaves the bank in a spreadsheet)."""
        campaign = self._viewable_or_none(request, pk)
        if campaign is None:
            return redirect(reverse("admin:promotions_campaign_changelist"))
        response, writer = csv_response(f"campaign-{campaign.pk}-results.csv")
        writer.writerow(
            [
                _("Reward"),
                _("Customer ID"),
                _("Amount"),
                _("Points"),
                _("Status"),
                _("Created"),
                _("Paid at"),
            ]
        )
        grants = RewardGrant.objects.filter(campaign=campaign).order_by("pk")
        for grant in grants.iterator(chunk_size=500):
            writer.writerow(
                [
                    grant.pk,
                    grant.user_id,
                    grant.amount,
                    grant.points,
                    grant.get_status_display(),
                    grant.created_at.isoformat(),
                    grant.settled_at.isoformat() if grant.settled_at else "",
                ]
            )
        return response


CHART_WIDTH = 600
CHART_HEIGHT = 160


def _daily_chart(days: list[dict]) -> list[dict]:
    """Bars of rewards paid per day, scaled to the chart (the SVG is drawn by the template)."""
    if not days:
        return []
    largest = max(day["count"] for day in days)
    width = CHART_WIDTH // len(days)
    return [
        {
            **day,
            "x": index * width,
            "width": max(width - 2, 1),
            "height": max(int(day["count"] * CHART_HEIGHT / largest), 1),
            "y": CHART_HEIGHT - max(int(day["count"] * CHART_HEIGHT / largest), 1),
        }
        for index, day in enumerate(days)
    ]


@admin.register(RewardGrant)
class RewardGrantAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "campaign",
        "user",
        "amount",
        "points",
        "status",
        "reason",
        "clawback_shortfall",
        "created_at",
    )
    list_filter = ("status", "campaign")
    list_select_related = ("campaign", "user")
    search_fields = ("user__email",)
    readonly_fields = [f.name for f in RewardGrant._meta.fields]
    actions = ("retry_grants",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("promotions.change_campaign")

    @admin.action(description=_("Retry the selected failed rewards"), permissions=["retry"])
    def retry_grants(self, request, queryset):
        retried = 0
        for grant in queryset.filter(status=RewardGrant.Status.FAILED).order_by("pk"):
            try:
                services.reward_grant_retry(grant=grant)
            except ApplicationError as exc:
                self.message_user(request, f"#{grant.pk}: {exc.detail}", messages.ERROR)
            else:
                retried += 1
        self.message_user(
            request,
            _("%(count)d rewards queued again.") % {"count": retried},
            messages.SUCCESS if retried else messages.WARNING,
        )


# --- read-only: vouchers, redemptions, referrals and points are money given -----------------


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdmin):
    list_display = ("pk", "campaign", "user", "label", "status", "expires_at", "used_at")
    list_filter = ("status", "campaign")
    list_select_related = ("campaign", "user")
    search_fields = ("user__email",)
    readonly_fields = [f.name for f in Voucher._meta.fields]
    exclude = ("merchants",)
    raw_id_fields = ("used_by_transaction",)


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "campaign",
        "user",
        "amount",
        "voucher",
        "transaction",
        "reversed_by",
        "created_at",
    )
    list_filter = ("campaign", ("reversed_by", admin.EmptyFieldListFilter))
    list_select_related = ("campaign", "user", "voucher__campaign", "transaction", "reversed_by")
    search_fields = ("user__email",)
    readonly_fields = [f.name for f in Redemption._meta.fields]


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ("pk", "referrer", "referee", "campaign", "status", "reason", "created_at")
    list_filter = ("status", "campaign")
    list_select_related = ("referrer", "referee", "campaign")
    search_fields = ("referrer__email", "referee__email", "code")
    exclude = ("identity_key",)


@admin.register(PointsAccount)
class PointsAccountAdmin(ReadOnlyAdmin):
    list_display = ("user", "balance", "updated_at")
    list_select_related = ("user",)
    search_fields = ("user__email",)


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "account",
        "kind",
        "points",
        "balance_after",
        "remaining",
        "expires_at",
        "created_at",
    )
    list_filter = ("kind", "campaign")
    list_select_related = ("account__user",)
    search_fields = ("account__user__email",)
