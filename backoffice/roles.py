"""Staff roles are Django groups with these names (DESIGN.md, "Staff roles and scope")."""

from django.utils.translation import gettext_lazy as _

TELLER = "teller"
BRANCH_MANAGER = "branch_manager"
RISK_OFFICER = "risk_officer"
SUPPORT_AGENT = "support_agent"
SUPPORT_LEAD = "support_lead"
CAMPAIGN_ADMIN = "campaign_admin"

ROLE_LABELS = {
    TELLER: _("Teller"),
    BRANCH_MANAGER: _("Branch manager"),
    RISK_OFFICER: _("Risk officer"),
    SUPPORT_AGENT: _("Support agent"),
    SUPPORT_LEAD: _("Support lead"),
    CAMPAIGN_ADMIN: _("Campaign admin"),
}
ALL_ROLES = tuple(ROLE_LABELS)
# Roles whose view of customers is limited to their own branch.
BRANCH_SCOPED_ROLES = (TELLER, BRANCH_MANAGER)
# Notices (风险提示): risk officers and campaign admins write and publish them (issue 7).
NOTICE_PERMISSIONS = ("support.add_notice", "support.change_notice", "support.view_notice")
# The business-hours calendar of support SLAs (working hours, holidays, 调休 make-up days).
SLA_CALENDAR_PERMISSIONS = tuple(
    f"support.{action}_{model}"
    for model in ("workinghours", "calendarday")
    for action in ("add", "change", "delete", "view")
)
# Surveys (issue 7): campaign admins build surveys in the admin and read the answers.
SURVEY_PERMISSIONS = (
    *(
        f"support.{action}_{model}"
        for model in ("survey", "surveyquestion", "surveychoice")
        for action in ("add", "change", "delete", "view")
    ),
    "support.view_surveyanswer",
    "support.view_surveyinvitation",
    "support.view_surveyresponse",
)
# Django admin permissions ("app_label.codename") each role's group is given.
ROLE_PERMISSIONS = {
    CAMPAIGN_ADMIN: (
        "promotions.add_campaign",
        "promotions.change_campaign",
        "promotions.view_campaign",
        "promotions.view_rewardgrant",
        # vouchers and discounts (read-only in the admin: each row is money given)
        "promotions.view_voucher",
        "promotions.view_redemption",
        # referrals and points (issue 5)
        "promotions.add_pointsmultiplier",
        "promotions.change_pointsmultiplier",
        "promotions.delete_pointsmultiplier",
        "promotions.view_pointsmultiplier",
        "promotions.view_referral",
        "promotions.view_pointsaccount",
        "promotions.view_pointsentry",
        # knowledge base: FAQ, tutorials and the security guide (issue 7)
        *(
            f"support.{action}_{model}"
            for model in ("kbcategory", "article", "tutorialstep")
            for action in ("add", "change", "delete", "view")
        ),
        "support.view_articlevote",
        "support.view_selfhelpoutcome",
        *NOTICE_PERMISSIONS,
        *SLA_CALENDAR_PERMISSIONS,
        *SURVEY_PERMISSIONS,
        # classes (培训课程): scheduled in the admin; registrations are read-only there
        "support.add_trainingclass",
        "support.change_trainingclass",
        "support.view_trainingclass",
        "support.view_classregistration",
    ),
    # The support lead reads the knowledge base's votes and deflection rate in the admin.
    SUPPORT_LEAD: (
        "support.view_article",
        "support.view_articlevote",
        "support.view_selfhelpoutcome",
        *SLA_CALENDAR_PERMISSIONS,
        # SLA policies are the lead's alone (campaign admins keep the calendar only).
        "support.add_slapolicy",
        "support.change_slapolicy",
        "support.delete_slapolicy",
        "support.view_slapolicy",
        "support.view_surveyanswer",
    ),
    # risk rules and what they decided (issue 9), and notices
    RISK_OFFICER: (
        *NOTICE_PERMISSIONS,
        "wallet.add_riskrule",
        "wallet.change_riskrule",
        "wallet.delete_riskrule",
        "wallet.view_riskrule",
        "wallet.view_riskevaluation",
        "wallet.view_riskcase",
    ),
}
