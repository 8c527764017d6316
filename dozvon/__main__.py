"""``python -m dozvon`` runs the ``dozvon`` command."""

from dozvon.cli import main

if __name__ == "__main__":  # not when multiprocessing's spawn imports it in a child
    main()
