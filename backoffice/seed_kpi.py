"""Demo KPI roll-ups: rebuilt from whatever the demo seeded (idempotent, like rebuild_kpi)."""

from .kpi.rollups import rebuild


def demo_kpi_rollups_ensure() -> int:
    """Recompute every roll-up from the seeded history; returns the days covered."""
    return rebuild()
