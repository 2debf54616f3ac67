"""Django admin for campaign admins: campaigns with their spend, funding, and the grants."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api_errors import ApplicationError

from . import selectors, services
from .models import (
    Campaign,
    PointsAccount,
    PointsEntry,
    PointsMultiplier,
    Referral,
    RewardGrant,
)


class CampaignFundForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount (CNY)"), max_digits=20, decimal_places=2, min_value=0.01
    )


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = services.CAMPAIGN_EDITABLE_FIELDS

    # --- referrals and points (issue 5): a kind's own settings are optional for other kinds ---
    KIND_FIELDS = (
        "referral_min_payment",
        "referrals_per_referrer",
        "points_per_cny",
        "points_per_unit",
        "points_valid_days",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.KIND_FIELDS:
            if name in self.fields:
                self.fields[name].required = False

    def clean(self):
        cleaned = super().clean()
        for name in self.KIND_FIELDS:
            if cleaned.get(name) in (None, ""):
                cleaned[name] = Campaign._meta.get_field(name).default
        if cleaned.get("kind") == Campaign.Kind.POINTS and not cleaned.get("points_per_unit"):
            self.add_error("points_per_unit", _("A redemption unit needs at least one point."))
        return cleaned

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


CAMPAIGN_FIELDSETS = (
    (None, {"fields": ("name", "kind", "is_active", "starts_at", "ends_at")}),
    (
        _("Reward and budget"),
        {
            "fields": ("reward_amount", "budget", "spent", "pool"),
            "description": _(
                "Reward: the activation bonus; for a referral campaign, the referred customer's "
                "reward; for a points programme, the cash paid for one unit of points."
            ),
        },
    ),
    (
        _("Who may be rewarded"),
        {"fields": ("per_customer_cap", "new_customers_only", "min_kyc_level")},
    ),
    (
        _("Referral campaign"),
        {"fields": ("referrer_reward", "referral_min_payment", "referrals_per_referrer")},
    ),
    (
        _("Points programme"),
        {"fields": ("points_per_cny", "points_per_unit", "points_valid_days")},
    ),
    (_("Record"), {"fields": ("created_at", "updated_at")}),
)

# --- end referrals and points ---


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    fieldsets = CAMPAIGN_FIELDSETS
    inlines = (PointsMultiplierInline,)
    list_display = (
        "name",
        "kind",
        "reward_amount",
        "budget",
        "spent",
        "pool",
        "grants",
        "state",
        "starts_at",
        "ends_at",
    )
    list_filter = ("kind", "is_active")
    search_fields = ("name",)
    readonly_fields = ("spent", "pool", "created_at", "updated_at")
    actions = ("fund_campaign",)

    def get_queryset(self, request):
        return selectors.campaigns_with_figures()

    def save_model(self, request, obj, form, change):
        services.campaign_save(campaign=obj)

    @admin.display(description=_("pool balance"), ordering="pool_balance")
    def pool(self, obj):
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
        if obj.budget - obj.spent < obj.reward_amount:
            return _("Exhausted")
        return _("Running")

    @admin.action(description=_("Fund the selected campaign"), permissions=["change"])
    def fund_campaign(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one campaign to fund."), messages.ERROR)
            return None
        return redirect(reverse("admin:promotions_campaign_fund", args=[queryset.get().pk]))

    def get_urls(self):
        return [
            path(
                "<int:pk>/fund/",
                self.admin_site.admin_view(self.fund_view),
                name="promotions_campaign_fund",
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
                    campaign=campaign, amount=form.cleaned_data["amount"], funded_by=request.user
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


@admin.register(RewardGrant)
class RewardGrantAdmin(admin.ModelAdmin):
    list_display = ("pk", "campaign", "user", "amount", "status", "reason", "created_at")
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


# --- referrals and points (issue 5): what campaign admins look at; nothing is edited here ---


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
