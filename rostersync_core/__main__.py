"""``python -m rostersync_core`` runs the ``rostersync`` command line."""

from rostersync_core.cli.main import main

main()
