from django.urls import path

from . import (
    cash_views,
    onboarding_views,
    reconciliation_views,
    views,
    views_access,
    views_chat,
    views_classes,
    views_customer_actions,
    views_kpi,
    views_risk,
    views_sla,
    views_surveys,
    views_tickets,
    views_training,
)

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/", views.customer_search, name="customer_search"),
    path("customers/<int:pk>/", views.customer_view, name="customer_view"),
    path("customers/<int:pk>/actions/", views.customer_action, name="customer_action"),
    path("approvals/", views.approval_queue, name="approval_queue"),
    path("approvals/<int:pk>/", views.approval_detail, name="approval_detail"),
    path("approvals/<int:pk>/decision/", views.approval_decide, name="approval_decide"),
    path("audit/", views.audit_search, name="audit_search"),
    path("audit/export.csv", views.audit_csv, name="audit_csv"),
    path("cash/", cash_views.cash_home, name="cash_home"),
    path("cash/till/open/", cash_views.till_open, name="cash_till_open"),
    path("cash/till/close/", cash_views.till_close, name="cash_till_close"),
    path("cash/customers/<int:pk>/in/", cash_views.cash_in, name="cash_in"),
    path("cash/customers/<int:pk>/out/", cash_views.cash_out, name="cash_out"),
    path(
        "cash/customers/<int:pk>/out/approval/",
        cash_views.cash_out_approval,
        name="cash_out_approval",
    ),
    path("cash/movements/<int:pk>/receipt.pdf", cash_views.cash_receipt, name="cash_receipt"),
    path("cash/end-of-day/", cash_views.end_of_day, name="cash_end_of_day"),
    path("onboarding/", onboarding_views.onboarding_list, name="onboarding_list"),
    path("onboarding/new/", onboarding_views.onboarding_start, name="onboarding_start"),
    path("onboarding/<int:pk>/", onboarding_views.onboarding_detail, name="onboarding"),
    path(
        "onboarding/<int:pk>/document/<str:side>/",
        onboarding_views.onboarding_document,
        name="onboarding_document",
    ),
    # staff training, reveal and break-glass (issue 8)
    path("training/", views_training.training_list, name="training"),
    path("training/team/", views_training.training_team, name="training_team"),
    path("training/<int:pk>/", views_training.training_course, name="training_course"),
    path("customers/<int:pk>/reveal/", views_access.customer_reveal, name="customer_reveal"),
    path("break-glass/", views_access.break_glass_list, name="break_glass_list"),
    path("break-glass/new/", views_access.break_glass_new, name="break_glass_new"),
    path(
        "break-glass/<int:pk>/review/",
        views_access.break_glass_review,
        name="break_glass_review",
    ),
    # bank reconciliation (issue 11)
    path("reconciliation/", reconciliation_views.queue, name="reconciliation_queue"),
    path(
        "reconciliation/exceptions/<int:pk>/",
        reconciliation_views.exception_detail,
        name="reconciliation_exception",
    ),
    path("reconciliation/ops/", reconciliation_views.ops, name="reconciliation_ops"),
    # more actions from the customer view (issue 8)
    path(
        "customers/<int:pk>/setup-link/",
        views_customer_actions.customer_setup_link,
        name="customer_setup_link",
    ),
    path(
        "customers/<int:pk>/limit-override/",
        views_customer_actions.customer_limit_override,
        name="customer_limit_override",
    ),
    # risk review queue and live monitor (issue 9)
    path("kpi/", views_kpi.kpi_dashboard, name="kpi_dashboard"),
    path("kpi/export.csv", views_kpi.kpi_csv, name="kpi_csv"),
    path("risk/", views_risk.risk_queue, name="risk_queue"),
    path("risk/monitor/", views_risk.risk_monitor, name="risk_monitor"),
    path("risk/cases/<int:pk>/", views_risk.risk_case, name="risk_case"),
    path("risk/cases/<int:pk>/decision/", views_risk.risk_case_decide, name="risk_case_decide"),
    path("risk/reports/<int:pk>/", views_risk.risk_report, name="risk_report"),
    path(
        "risk/reports/<int:pk>/decision/",
        views_risk.risk_report_decide,
        name="risk_report_decide",
    ),
    # satisfaction results (issue 7): CSAT, NPS, complaints; admin-built surveys' results
    path("surveys/", views_surveys.survey_results, name="survey_results"),
    path("surveys/export.csv", views_surveys.survey_results_csv, name="survey_results_csv"),
    path("surveys/<int:pk>/", views_surveys.survey_detail_results, name="survey_detail_results"),
    # classes and in-app feedback (issue 7)
    path("classes/", views_classes.class_list, name="classes"),
    path(
        "classes/attendance/",
        views_classes.attendance_report,
        name="class_attendance_report",
    ),
    path(
        "classes/attendance.csv",
        views_classes.attendance_report_csv,
        name="class_attendance_report_csv",
    ),
    path(
        "classes/<int:pk>/attendance/",
        views_classes.class_attendance,
        name="class_attendance",
    ),
    path("feedback/", views_classes.feedback_list, name="feedback"),
    path("feedback/export.csv", views_classes.feedback_csv, name="feedback_csv"),
    # support tickets (issue 7)
    path("support/", views_tickets.support_queue, name="support_queue"),
    path("support/sla/", views_sla.support_sla, name="support_sla"),
    path(
        "support/attachments/<int:pk>/",
        views_tickets.support_attachment,
        name="support_attachment",
    ),
    path("support/<str:reference>/", views_tickets.support_ticket, name="support_ticket"),
    path(
        "support/<str:reference>/reply/",
        views_tickets.support_ticket_reply,
        name="support_ticket_reply",
    ),
    path(
        "support/<str:reference>/assign/",
        views_tickets.support_ticket_assign,
        name="support_ticket_assign",
    ),
    path(
        "support/<str:reference>/escalate/",
        views_tickets.support_ticket_escalate,
        name="support_ticket_escalate",
    ),
    path(
        "support/<str:reference>/state/",
        views_tickets.support_ticket_state,
        name="support_ticket_state",
    ),
    # live chat and callbacks (issue 7); not under support/, whose <reference> catches all
    path("chat/", views_chat.chat_console, name="chat_console"),
    path("chat/availability/", views_chat.chat_availability, name="chat_availability"),
    path("chat/<str:reference>/", views_chat.chat_detail, name="chat"),
    path("chat/<str:reference>/pick-up/", views_chat.chat_pick_up, name="chat_pick_up"),
    path("chat/<str:reference>/messages/", views_chat.chat_messages, name="chat_messages"),
    path("chat/<str:reference>/send/", views_chat.chat_send, name="chat_send"),
    path("chat/<str:reference>/end/", views_chat.chat_end, name="chat_end"),
    path("callbacks/", views_chat.callbacks_due, name="callbacks"),
    path("callbacks/<int:pk>/done/", views_chat.callback_done, name="callback_done"),
]
