"""Analytics: KPIs computed from the event log (see ../shared/METRICS.md, docs/kpi.md)."""
