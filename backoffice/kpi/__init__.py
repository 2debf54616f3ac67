"""KPI dashboards: figures defined once (definitions), the base-table queries (facts), roll-up
tables kept current incrementally (rollups), and the figures of a dashboard (figures)."""
