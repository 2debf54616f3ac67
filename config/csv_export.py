"""CSV downloads that spreadsheet apps open safely: UTF-8 with a BOM (so Chinese text reads
right) and no cell that would run as a formula."""

import csv

from django.http import HttpResponse

FORMULA_STARTS = "=+-@\t\r"


def csv_safe(text) -> str:
    """A cell starting with = + - @ would run as a formula in a spreadsheet; defuse it."""
    text = "" if text is None else str(text)
    return "'" + text if text and text[0] in FORMULA_STARTS else text


def csv_response(filename: str):
    """An attachment response and a writer over it."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    return response, csv.writer(response)
