"""``python -m dozvon`` runs the ``dozvon`` command."""

from dozvon.cli import main

main()
