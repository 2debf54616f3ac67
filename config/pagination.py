"""The API's page numbers: a malformed `page` is refused, never read as the first page."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination


class StrictPageNumberPagination(PageNumberPagination):
    """`?page=` with no number, or `page` given twice, answers 404 "Invalid page." like any other
    page that does not exist (DRF alone serves the first page for an empty value and silently
    takes the last of several)."""

    def paginate_queryset(self, queryset, request, view=None):
        values = request.query_params.getlist(self.page_query_param)
        if len(values) > 1 or (values and not values[0].strip()):
            raise NotFound(_("Invalid page."))
        return super().paginate_queryset(queryset, request, view)
