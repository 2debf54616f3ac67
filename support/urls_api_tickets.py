from django.urls import path

from . import api_tickets

urlpatterns = [
    path("tickets/", api_tickets.TicketListCreateApi.as_view(), name="tickets"),
    path("tickets/<str:reference>/", api_tickets.TicketDetailApi.as_view(), name="ticket"),
    path(
        "tickets/<str:reference>/messages/",
        api_tickets.TicketMessagesApi.as_view(),
        name="ticket-messages",
    ),
    path(
        "tickets/<str:reference>/state/", api_tickets.TicketStateApi.as_view(), name="ticket-state"
    ),
    path(
        "tickets/<str:reference>/attachments/",
        api_tickets.TicketAttachmentsApi.as_view(),
        name="ticket-attachments",
    ),
    path(
        "tickets/<str:reference>/attachments/<int:pk>/",
        api_tickets.TicketAttachmentDownloadApi.as_view(),
        name="ticket-attachment",
    ),
]
