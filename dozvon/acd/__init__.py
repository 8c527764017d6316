"""The routing engine bound to the database: state rows, the event log, restart recovery."""
