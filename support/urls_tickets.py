from django.urls import path

from . import views_tickets

app_name = "support"

urlpatterns = [
    path("tickets/", views_tickets.ticket_list, name="tickets"),
    path("tickets/new/", views_tickets.ticket_new, name="ticket_new"),
    path("tickets/<str:reference>/", views_tickets.ticket_detail, name="ticket"),
    path("tickets/<str:reference>/state/", views_tickets.ticket_state, name="ticket_state"),
    path("attachments/<int:pk>/", views_tickets.attachment_download, name="attachment"),
]
