"""The append-only event log: every KPI, report and history view is computed from it."""
