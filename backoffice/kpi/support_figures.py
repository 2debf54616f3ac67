"""The support app's figures on the KPI dashboard: each adapts the dashboard's filters (whole
days, both ends included, branch and staff) to the support function that defines the figure
once (support/metrics.py, support/sla.py, support/classes.py) and answers one number."""

from datetime import timedelta
from decimal import Decimal

from support import classes, metrics, sla

from .filters import KpiFilters

HUNDRED = Decimal(100)


def _share(percent: Decimal | None) -> Decimal | None:
    return None if percent is None else Decimal(percent) / HUNDRED


def csat(filters: KpiFilters) -> Decimal | None:
    """Share of CSAT answers that are 4 or 5 (the metrics take [start, end))."""
    end = filters.end + timedelta(days=1)
    return _share(metrics.csat(filters.start, end, branch=filters.branch_id))


def nps(filters: KpiFilters) -> Decimal | None:
    """% promoters − % detractors, a score from −100 to 100."""
    end = filters.end + timedelta(days=1)
    return metrics.nps(filters.start, end, branch=filters.branch_id)


def complaints_per_10k(filters: KpiFilters) -> Decimal | None:
    end = filters.end + timedelta(days=1)
    return metrics.complaints_per_10k(filters.start, end, branch=filters.branch_id)


def sla_attainment(filters: KpiFilters) -> Decimal | None:
    """Share of SLA clocks met; of one staff member's tickets when the staff filter is set."""
    result = sla.attainment(filters.start, filters.end, agent=filters.staff_id)
    return _share(result["rate"])


def class_attendance(filters: KpiFilters) -> Decimal | None:
    """Attended ÷ attendance marked, over the classes of the period (one branch's, if set)."""
    rows = classes.attendance_by_branch(filters.start, filters.end)
    if filters.branch_id is not None:
        rows = [row for row in rows if row["branch_id"] == filters.branch_id]
    marked = sum(row["marked"] for row in rows)
    attended = sum(row["attended"] for row in rows)
    return Decimal(attended) / Decimal(marked) if marked else None
