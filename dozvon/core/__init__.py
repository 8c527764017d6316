"""Foundations every other package may use: clock, errors, i18n, settings, database.

This package imports nothing else of Dozvon. Its submodules are imported explicitly
(``from dozvon.core.clock import ...``) so that the pure routing engine can use the clock
without pulling in the database layer.
"""
